"""kserve's v2 REST client against one model of a running backend, in kserve's own venv.

    run/clients/kserve/bin/python tests/clients/kserve_check.py < REQUEST.json

REQUEST: {"url", "model", "input": {"name", "datatype", "shape", "data"}, "output"}. Checks
the health and readiness calls, then infers with the input and output as JSON and as binary
data, and prints one JSON line: {"live", "ready", "model_ready", "unknown_ready", "outputs":
{"<in>-<out>": flat output data}} for the test to judge. Run with kserve's interpreter: it
cannot share polyserve's venv (numpy, protobuf, psutil pins).
"""

from __future__ import annotations

import asyncio
import json
import sys

import numpy as np
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig
from kserve.protocol.infer_type import RequestedOutput


async def check(request: dict) -> dict:
    url, model, given = request["url"], request["model"], request["input"]
    dtype = {"FP32": np.float32, "FP64": np.float64, "INT32": np.int32, "INT64": np.int64}
    values = np.asarray(given["data"], dtype=dtype[given["datatype"]]).reshape(given["shape"])
    report: dict = {"outputs": {}}
    async with InferenceRESTClient(RESTConfig(protocol="v2", timeout=60)) as client:
        report["live"] = await client.is_server_live(url)
        report["ready"] = await client.is_server_ready(url)
        report["model_ready"] = await client.is_model_ready(url, model)
        report["unknown_ready"] = await client.is_model_ready(url, "no-such-model")
        for binary_in in (False, True):
            for binary_out in (False, True):
                tensor = InferInput(given["name"], list(values.shape), given["datatype"])
                tensor.set_data_from_numpy(values, binary_data=binary_in)
                asked = RequestedOutput(request["output"], {"binary_data": binary_out})
                infer = InferRequest(model, [tensor], request_id="k1", request_outputs=[asked])
                answer = await client.infer(url, infer, model_name=model)
                key = f"{'binary' if binary_in else 'json'}-{'binary' if binary_out else 'json'}"
                report["outputs"][key] = answer.outputs[0].as_numpy().reshape(-1).tolist()
    return report


if __name__ == "__main__":
    print(json.dumps(asyncio.run(check(json.load(sys.stdin)))))
