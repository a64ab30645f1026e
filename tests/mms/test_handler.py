"""The MMS handler in-process, through MMS's own Context: statuses, bodies, one engine call."""

from __future__ import annotations

import json

import numpy as np
import pytest
from mms.context import Context, RequestProcessor

from models.fizzbuzz import codec
from models.fizzbuzz.spec import SPEC
from services.contract import v2
from services.contract.handler import ModelHandler
from services.contract.protocol import MAX_BODY_BYTES
from services.mms.engines import ONNXRUNTIME
from services.mms.handler import BATCH_HEADER, BatchHandler


class CountingPredictor:
    """The arithmetic rule as logits (the class of N + 1), counting the engine calls."""

    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    def __call__(self, bits: np.ndarray) -> np.ndarray:
        self.calls += 1
        if self.fail:
            raise RuntimeError("engine exploded")
        numbers = (bits * (1 << np.arange(codec.BITS))).sum(axis=1).astype(int)
        return np.eye(len(codec.LABELS), dtype=np.float32)[[codec.label_of(n + 1) for n in numbers]]


Item = tuple[dict[str, object], dict[str, str]]  # what MMS hands over: fields, headers
Answer = tuple[int, dict[str, object], dict[str, str]]


def run_raw(predictor: CountingPredictor, items: list[Item]) -> list[tuple[int, bytes, dict]]:
    """Answer one batch; returns (status, body bytes, headers) per request."""
    context = Context("fizzbuzz", ".", None, len(items), None, "test")
    context.request_processor = [RequestProcessor(headers) for _, headers in items]
    bodies = BatchHandler(ModelHandler(SPEC, predictor, "test"), ONNXRUNTIME).answer(
        [item for item, _ in items], context
    )
    return [
        (context.get_response_status(idx)[0], body, context.get_response_headers(idx))
        for idx, body in enumerate(bodies)
    ]


def run(predictor: CountingPredictor, items: list[Item]) -> list[Answer]:
    """Answer one batch; returns (status, JSON body, headers) per request."""
    return [
        (status, json.loads(body), headers) for status, body, headers in run_raw(predictor, items)
    ]


def post(body: bytes) -> Item:
    return {"body": bytearray(body)}, {"Content-Length": str(len(body))}


def test_a_mixed_batch_gets_one_engine_call_and_an_answer_each() -> None:
    predictor = CountingPredictor()
    answers = run(
        predictor, [post(b'{"input.1": 14}'), post(b"nope"), post(b'{"input.1": [2, 4]}')]
    )
    assert predictor.calls == 1
    assert [status for status, _, _ in answers] == [200, 400, 200]
    assert answers[0][1] == {"next_number": "FizzBuzz"}
    assert answers[1][1]["type"] == "InvalidInput"
    assert answers[2][1] == {"next_number": ["Fizz", "Buzz"]}
    assert all(h["X-Backend"] == "mms" and h[BATCH_HEADER] == "3" for _, _, h in answers)
    assert all(h["content-type"] == "application/json" for _, _, h in answers)


def test_an_engine_failure_is_a_contract_500_beside_the_400s() -> None:
    answers = run(CountingPredictor(fail=True), [post(b'{"input.1": 1}'), post(b"[")])
    assert [status for status, _, _ in answers] == [500, 400]
    assert answers[0][1] == {
        "code": 500,
        "type": "InternalServerError",
        "message": "inference failed: RuntimeError",
    }


@pytest.mark.parametrize(
    ("item", "status", "error_type"),
    [
        (({"body": bytearray()}, {"content-length": "0"}), 405, "MethodNotAllowedException"),
        (post(b" " * (MAX_BODY_BYTES + 1)), 413, "PayloadTooLarge"),
        (({}, {"Content-Length": "15"}), 400, "InvalidInput"),  # MMS decoded a form body
        (post(b""), 400, "InvalidInput"),
    ],
    ids=["no body framed (GET)", "too large", "form-encoded", "empty POST"],
)
def test_requests_mms_lets_through_without_its_front(
    item: Item, status: int, error_type: str
) -> None:
    """The nginx front sends only framed JSON POSTs; MMS reached directly sends these too."""
    [(answered, body, _)] = run(CountingPredictor(), [item])
    assert (answered, body["code"], body["type"]) == (status, status, error_type)


def v2_call(call: str, body: bytes = b"", **headers: str) -> Item:
    """A request as the nginx front hands a v2 call over."""
    return {"body": bytearray(body)}, {
        "Content-Length": str(len(body)),
        "X-Polyserve-V2": call,
        **headers,
    }


def v2_infer(numbers: list[int]) -> bytes:
    bits = [[(n >> bit) & 1 for bit in range(codec.BITS)] for n in numbers]
    tensor = {"name": "input.1", "shape": [len(numbers), codec.BITS], "datatype": "FP32"}
    return json.dumps({"id": "a", "inputs": [{**tensor, "data": bits}]}).encode()


def test_v1_and_v2_requests_share_one_engine_call() -> None:
    predictor = CountingPredictor()
    answers = run(
        predictor,
        [post(b'{"input.1": 14}'), v2_call("infer", v2_infer([14, 2])), v2_call("metadata")],
    )
    assert predictor.calls == 1
    assert [status for status, _, _ in answers] == [200, 200, 200]
    assert answers[0][1] == {"next_number": "FizzBuzz"}
    [output] = answers[1][1]["outputs"]
    assert (answers[1][1]["id"], output["shape"]) == ("a", [2, 4])
    classes = np.argmax(np.reshape(output["data"], (2, 4)), axis=1)
    assert classes.tolist() == [3, 1]  # FizzBuzz, Fizz
    assert answers[2][1]["platform"] == "onnxruntime_onnx"
    assert answers[2][1]["versions"] == ["test"]


@pytest.mark.parametrize(
    ("item", "status"),
    [
        (v2_call("infer", v2_infer([1]), **{"X-Polyserve-Version": "other"}), 404),
        (v2_call("ready", **{"X-Polyserve-Version": "other"}), 404),
        (v2_call("infer", b"{"), 400),
        (v2_call("infer", b" " * (v2.MAX_BODY_BYTES + 1)), 413),
        (v2_call("stats"), 404),
    ],
    ids=["unknown version", "ready of an unknown version", "bad JSON", "too large", "other call"],
)
def test_v2_errors_are_in_the_protocol_shape(item: Item, status: int) -> None:
    [(answered, body, _)] = run(CountingPredictor(), [item])
    assert (answered, set(body)) == (status, {"error"})


def test_v2_binary_output_follows_the_json_its_header_measures() -> None:
    body = {**json.loads(v2_infer([14])), "parameters": {"binary_data_output": True}}
    [(status, answer, headers)] = run_raw(
        CountingPredictor(), [v2_call("infer", json.dumps(body).encode())]
    )
    length = int(headers[v2.HEADER_LENGTH])
    assert (status, headers["content-type"]) == (200, v2.BINARY_CONTENT_TYPE)
    [output] = json.loads(answer[:length])["outputs"]
    logits = np.frombuffer(answer[length:], dtype="<f4")
    assert len(answer) - length == output["parameters"]["binary_data_size"] == logits.nbytes
    assert np.argmax(logits) == 3


def test_an_engine_failure_is_a_500_in_each_request_s_protocol() -> None:
    answers = run(
        CountingPredictor(fail=True), [post(b'{"input.1": 1}'), v2_call("infer", v2_infer([1]))]
    )
    assert [status for status, _, _ in answers] == [500, 500]
    assert answers[0][1]["type"] == "InternalServerError"
    assert answers[1][1] == {"error": "inference failed: RuntimeError"}
