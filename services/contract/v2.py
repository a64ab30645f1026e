"""The Open Inference Protocol ("KServe v2", REST) in code: infer bodies in, tensors out.

A model speaks it through its tensors (its spec's input and output), with no per-model codec.
JSON data may be flat (row-major) or nested; the binary tensor data extension puts tensors
after the JSON, whose length the `Inference-Header-Content-Length` header gives. Errors are
the protocol's `{"error": "<message>"}`, with the statuses of the v1 contract's table.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import orjson

from models.spec import InvalidInput, ModelSpec, TensorSpec
from services.contract.dataplane import AsyncDataPlane, DataPlane
from services.contract.errors import (
    ModelNotFound,
    PayloadTooLarge,
    UnsupportedEncoding,
    error_response,
)
from services.contract.protocol import CONTENT_TYPE, render

HEADER_LENGTH = "Inference-Header-Content-Length"
CONTENT_ENCODING = "Content-Encoding"
ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}  # zlib's wbits for each
BINARY_CONTENT_TYPE = "application/octet-stream"
MAX_BODY_BYTES = 4 * 1024 * 1024  # a batch of tensors, binary or JSON, is larger than v1's
SERVER = {"name": "polyserve", "version": "1.1", "extensions": ["binary_tensor_data"]}
NOT_SUPPORTED = ("FP16", "BF16", "BYTES")  # no model here declares these

Reply = tuple[int, object, bytes]
"""(status, JSON document, binary tensor data appended after it)."""
SERVER_METADATA: Reply = (200, SERVER, b"")
LIVE: Reply = (200, {"live": True}, b"")  # answering at all is being live
# numpy 1.23 makes an object array of ragged nesting, with a warning (later ones raise): the
# object array is refused all the same, and catching the warning each call costs 30 µs.
warnings.filterwarnings("ignore", "Creating an ndarray from ragged", np.VisibleDeprecationWarning)


# Named tuples, not frozen dataclasses, for what each request makes: a third of the cost.
class Requested(NamedTuple):
    """One output the client asked for, and whether as binary data."""

    name: str
    binary: bool


class InferRequest(NamedTuple):
    inputs: np.ndarray
    """The model's input tensor, in its dtype and shape (batch first)."""
    id: str | None
    outputs: list[Requested]


def http_body(reply: Reply) -> tuple[int, bytes, str, dict[str, str]]:
    """(status, body, content type, headers) of a reply: JSON, with the binary tensor data
    after it and the JSON's length in a header when there is any."""
    status, document, binary = reply
    text = render(document)
    if not binary:
        return status, text, CONTENT_TYPE, {}
    return status, text + binary, BINARY_CONTENT_TYPE, {HEADER_LENGTH: str(len(text))}


def error_reply(error: Exception) -> Reply:
    """(status, {"error": message}, b"") for any exception: the contract's status and message
    (services/contract/errors.py; unknown ones are a logged 500)."""
    status, body = error_response(error)
    return status, {"error": body["message"]}, b""


class Framing(NamedTuple):
    """The request headers that say how to read an infer body."""

    header_length: str | None = None
    """Inference-Header-Content-Length: the JSON's length when binary data follows it."""
    content_encoding: str | None = None
    """Content-Encoding: tritonclient compresses bodies with gzip or deflate when asked."""

    @classmethod
    def of(cls, headers: Mapping[str, str]) -> Framing:
        return cls(headers.get(HEADER_LENGTH), headers.get(CONTENT_ENCODING))


def _decompressed(body: bytes, encoding: str | None) -> bytes:
    """The body as sent before its Content-Encoding, at most MAX_BODY_BYTES of it."""
    name = (encoding or "identity").strip().lower()
    if name == "identity":
        return body
    wbits = ENCODINGS.get(name)
    if wbits is None:
        raise UnsupportedEncoding(encoding, tuple(ENCODINGS))
    inflater = zlib.decompressobj(wbits)
    try:
        data = inflater.decompress(body, MAX_BODY_BYTES + 1)
    except zlib.error as error:
        raise InvalidInput(f"the body is not valid {encoding} data ({error})") from None
    if len(data) > MAX_BODY_BYTES:
        raise PayloadTooLarge(MAX_BODY_BYTES)
    if not inflater.eof:
        raise InvalidInput(f"the {encoding} data of the body is cut short")
    return data


def _split(body: bytes, header_length: str | None) -> tuple[bytes, bytes]:
    """The JSON part and the binary part of a body."""
    if header_length is None:
        return body, b""
    if not header_length.isdigit() or int(header_length) > len(body):
        raise InvalidInput(f"{HEADER_LENGTH} {header_length!r} is not a length within the body")
    return body[: int(header_length)], body[int(header_length) :]


def _object(value: object, what: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object")
    return value


def _flatten(data: object, into: list[object]) -> list[object]:
    """Nested lists -> their scalars in row-major order."""
    if isinstance(data, list):
        for item in data:
            _flatten(item, into)
    else:
        into.append(data)
    return into


def _plain_numbers(data: object, count: int, dtype: np.dtype) -> np.ndarray | None:
    """`count` integers or floats, nested in any way, converted by numpy in one C call into
    `dtype` and all finite there; None for anything else (strings, nulls, ragged nesting, too
    many or too few values, a value `dtype` cannot hold), which the value-by-value check then
    names. Booleans must be ruled out beforehand: numpy would turn them into numbers."""
    try:
        values = np.array(data)
    except ValueError:  # ragged nesting, from numpy 1.24 on
        return None
    if values.dtype.kind not in "if" or values.size != count:
        return None
    typed = values.astype(dtype)
    # One reduction instead of a finiteness test per value: a NaN or an infinity makes the sum
    # non-finite. So can finite values that add up past the dtype's range: the slow path then
    # checks them one by one, and takes them.
    return typed if math.isfinite(typed.sum()) else None


def _check_values(flat: list[object], datatype: str) -> None:
    """JSON values of the kind the datatype holds: booleans, integers, or finite numbers."""
    if datatype == "BOOL":
        ok = all(isinstance(v, bool) for v in flat)
    elif datatype.startswith(("INT", "UINT")):
        ok = all(isinstance(v, int) and not isinstance(v, bool) for v in flat)
    else:
        ok = all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in flat
        )
    if not ok:
        raise InvalidInput(f"the data holds values that are not {datatype}")


class V2Model:
    """One model as the protocol sees it: metadata, infer request parsing, response rendering."""

    def __init__(self, spec: ModelSpec, version: str, platform: str) -> None:
        self.spec = spec
        self.version = version
        self.platform = platform

    def metadata(self) -> dict[str, object]:
        return {
            "name": self.spec.name,
            "versions": [self.version],
            "platform": self.platform,
            **self.spec.tensors(),
        }

    def parse(self, body: bytes, framing: Framing) -> InferRequest:
        """An infer request body -> the input tensor and the outputs asked for; InvalidInput."""
        text, binary = _split(_decompressed(body, framing.content_encoding), framing.header_length)
        try:
            document = _object(orjson.loads(text), "the body")
        except orjson.JSONDecodeError as error:
            raise InvalidInput(f"the body is not valid JSON ({error})") from None
        inputs = document.get("inputs")
        if not isinstance(inputs, list) or len(inputs) != 1:
            names = self.spec.input.name
            raise InvalidInput(f'"inputs" must be a list of one tensor, named "{names}"')
        # A JSON boolean anywhere (a flag, or a wrong value) sends the data the slow way.
        has_booleans = b"true" in text or b"false" in text
        tensor = self._input(_object(inputs[0], "an input"), binary, has_booleans)
        request_id = document.get("id")
        if request_id is not None and not isinstance(request_id, str):
            raise InvalidInput('"id" must be a string')
        parameters = _object(document.get("parameters", {}), '"parameters"')
        all_binary = parameters.get("binary_data_output") is True
        return InferRequest(tensor, request_id, self._outputs(document, all_binary))

    def _input(self, entry: dict[str, object], binary: bytes, has_booleans: bool) -> np.ndarray:
        spec = self.spec.input
        if entry.get("name") != spec.name:
            name = entry.get("name")
            raise InvalidInput(f"unknown input {name!r}; the model takes {spec.name!r}")
        datatype = entry.get("datatype")
        if datatype in NOT_SUPPORTED:
            raise InvalidInput(f"{datatype} is not supported: {spec.name} is {spec.datatype}")
        if datatype != spec.datatype:
            raise InvalidInput(f"{spec.name} is {spec.datatype}, not {datatype!r}")
        shape = self._shape(entry.get("shape"), spec)
        count = math.prod(shape)
        parameters = _object(entry.get("parameters", {}), "an input's parameters")
        if "binary_data_size" in parameters:
            size = parameters["binary_data_size"]
            expected = count * spec.dtype.itemsize
            if size != expected or len(binary) != expected:
                raise InvalidInput(
                    f"binary data of {spec.name}: {size} bytes said, {len(binary)} sent, "
                    f"{expected} for shape {shape}"
                )
            values = np.frombuffer(binary, dtype=spec.dtype.newbyteorder("<"))
            if spec.dtype.kind == "f" and not np.isfinite(values).all():
                raise InvalidInput(f"the binary data of {spec.name} holds NaN or infinities")
            return values.astype(spec.dtype).reshape(shape)
        if "data" not in entry:
            raise InvalidInput(f'the input {spec.name} has neither "data" nor binary data')
        if spec.dtype.kind == "f" and not has_booleans:
            values = _plain_numbers(entry["data"], count, spec.dtype)
            if values is not None:
                return values.reshape(shape)
        flat = _flatten(entry["data"], [])
        if len(flat) != count:
            raise InvalidInput(f"{len(flat)} values for shape {shape}, which holds {count}")
        _check_values(flat, spec.datatype)
        try:
            values = np.asarray(flat, dtype=spec.dtype)
        except (OverflowError, ValueError):
            raise InvalidInput(f"the data holds values {spec.datatype} cannot hold") from None
        if spec.dtype.kind == "f" and not np.isfinite(values).all():
            raise InvalidInput(f"the data holds values {spec.datatype} cannot hold")
        return values.reshape(shape)

    def _shape(self, shape: object, spec: TensorSpec) -> list[int]:
        fixed = list(spec.shape[1:])
        if (
            not isinstance(shape, list)
            or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape)
            or shape[1:] != fixed
            or not shape
        ):
            expected = [-1, *fixed]
            raise InvalidInput(f"shape {shape!r} does not match {spec.name}'s {expected}")
        if not 1 <= shape[0] <= self.spec.codec.max_batch:
            raise InvalidInput(
                f"a batch of {shape[0]}; {self.spec.name} takes 1 to {self.spec.codec.max_batch}"
            )
        return shape

    def _outputs(self, document: dict[str, object], all_binary: bool) -> list[Requested]:
        asked = document.get("outputs")
        name = self.spec.output.name
        if asked is None:
            return [Requested(name, all_binary)]
        if not isinstance(asked, list) or not asked:
            raise InvalidInput('"outputs" must be a non-empty list of {"name": ...}')
        requested = []
        for entry in asked:
            entry = _object(entry, "an output")
            if entry.get("name") != name:
                raise InvalidInput(f"unknown output {entry.get('name')!r}; the model has {name!r}")
            parameters = _object(entry.get("parameters", {}), "an output's parameters")
            requested.append(Requested(name, parameters.get("binary_data", all_binary) is True))
        return requested

    def render(self, request: InferRequest, outputs: np.ndarray) -> tuple[object, bytes]:
        """The response document and the binary data to append to it."""
        spec = self.spec.output
        entries, binary = [], []
        for asked in request.outputs:
            entry: dict[str, object] = {
                "name": spec.name,
                "datatype": spec.datatype,
                "shape": list(outputs.shape),
            }
            if asked.binary:
                data = outputs.astype(spec.dtype.newbyteorder("<")).tobytes()
                entry["parameters"] = {"binary_data_size": len(data)}
                binary.append(data)
            else:
                entry["data"] = outputs.reshape(-1).tolist()
            entries.append(entry)
        document: dict[str, object] = {"model_name": self.spec.name, "model_version": self.version}
        if request.id is not None:
            document["id"] = request.id
        document["outputs"] = entries
        return document, b"".join(binary)


class V2Plane:
    """The protocol's endpoints over a data plane's handlers (engines called in process)."""

    def __init__(self, plane: DataPlane, platform: str) -> None:
        self.plane = plane
        self.models = {
            name: V2Model(handler.spec, handler.version, platform)
            for name, handler in plane.handlers.items()
        }

    def model(self, name: str, version: str | None) -> V2Model:
        """The model `name` (at `version`, when one is asked for); ModelNotFound."""
        model = self.models.get(name)
        if model is None:
            raise ModelNotFound(name)
        if version is not None and version != model.version:
            raise ModelNotFound(name, version)
        return model

    def ready(self) -> Reply:
        status, _ = self.plane.ping()
        return status, {"ready": status == 200}, b""

    def metadata(self, name: str, version: str | None) -> Reply:
        try:
            return 200, self.model(name, version).metadata(), b""
        except Exception as error:  # noqa: BLE001 - every failure becomes a protocol reply
            return error_reply(error)

    def model_ready(self, name: str, version: str | None) -> Reply:
        try:
            self.model(name, version)
            ready = self.plane.handler(name).answers_correctly()
        except Exception as error:  # noqa: BLE001 - every failure becomes a protocol reply
            return error_reply(error)
        return (200 if ready else 503), {"name": name, "ready": ready}, b""

    def infer(self, name: str, version: str | None, body: bytes, framing: Framing) -> Reply:
        try:
            model = self.model(name, version)
            request = model.parse(body, framing)
            outputs = self.plane.handler(name).predictor(request.inputs)
            document, binary = model.render(request, outputs)
        except Exception as error:  # noqa: BLE001 - every failure becomes a protocol reply
            return error_reply(error)
        return 200, document, binary


class AsyncV2Plane:
    """The protocol's endpoints over an async data plane (engines behind a network hop).

    A model's version is asked of the engine (RedisAI: the stored TAG) by metadata and
    readiness calls and kept for the infer responses in between, which then cost no extra
    round trip.
    """

    def __init__(self, plane: AsyncDataPlane, platform: str) -> None:
        self.plane = plane
        self.platform = platform
        self._models: dict[str, V2Model] = {}

    async def _model(self, name: str, version: str | None, refresh: bool = False) -> V2Model:
        handler = self.plane.handler(name)
        model = self._models.get(name)
        if refresh or model is None:
            model = V2Model(handler.spec, await handler.version(), self.platform)
            self._models[name] = model
        if version is not None and version != model.version:
            raise ModelNotFound(name, version)
        return model

    async def ready(self) -> Reply:
        status, _ = await self.plane.ping()
        return status, {"ready": status == 200}, b""

    async def metadata(self, name: str, version: str | None) -> Reply:
        try:
            return 200, (await self._model(name, version, refresh=True)).metadata(), b""
        except Exception as error:  # noqa: BLE001 - every failure becomes a protocol reply
            return error_reply(error)

    async def model_ready(self, name: str, version: str | None) -> Reply:
        try:
            await self._model(name, version, refresh=True)
            ready = await self.plane.handler(name).answers_correctly()
        except Exception as error:  # noqa: BLE001 - every failure becomes a protocol reply
            return error_reply(error)
        return (200 if ready else 503), {"name": name, "ready": ready}, b""

    async def infer(self, name: str, version: str | None, body: bytes, framing: Framing) -> Reply:
        try:
            model = await self._model(name, version)
            request = model.parse(body, framing)
            outputs = await self.plane.handler(name).predictor(request.inputs)
            document, binary = model.render(request, outputs)
        except Exception as error:  # noqa: BLE001 - every failure becomes a protocol reply
            return error_reply(error)
        return 200, document, binary
