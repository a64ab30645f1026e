"""A model's own speed, in process on one thread: the ceiling no backend can pass."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import onnxruntime
import torch

from models.artifacts import ModelFiles
from models.spec import ModelSpec


def calls_per_second(call: Callable[[], object], seconds: float) -> float:
    call()  # warm up outside the clock
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            call()
        calls += 100
    return calls / elapsed


def model_ceilings(spec: ModelSpec, seconds: float = 2.0) -> dict[str, float]:
    """Calls per second on the readiness probe's input: TorchScript and onnxruntime, one
    thread each."""
    files = ModelFiles.of(spec.name)
    inputs = spec.probe_request().inputs
    torch.set_num_threads(1)
    scripted = torch.jit.load(str(files.torchscript)).eval()
    tensor = torch.from_numpy(inputs)

    def torchscript_call() -> np.ndarray:
        with torch.inference_mode():
            return scripted(tensor).numpy()

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(files.onnx), options, providers=["CPUExecutionProvider"]
    )
    feed = {spec.input.name: inputs}
    return {
        "torchscript": calls_per_second(torchscript_call, seconds),
        "onnxruntime": calls_per_second(lambda: session.run(None, feed), seconds),
    }
