"""Running a model stored in RedisAI: one command, one round trip, no keys written.

Each request is a read-only DAG: set the input tensor, run the model, get the output, all
inside `AI.DAGEXECUTE_RO`, whose tensors are local to the DAG. Nothing enters the keyspace, so
nothing is left behind when a request fails half way, and the module batches the DAG's model
run with other requests like any MODELEXECUTE.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from models.spec import ModelSpec
from services.contract.errors import ModelNotReady
from services.redisai.gateway.resp import Reply, RespClient, bulk_strings, pack

# Replies meaning "this Redis cannot serve the model now", as opposed to a failed run.
NOT_SERVING_ERRORS = ("model key is empty", "WRONGTYPE", "unknown command")
# Of those, the one meaning the key is not there at all: a deployment puts it back.
MISSING_MODEL_ERROR = "model key is empty"
BATCHING_FIELDS = ("batchsize", "minbatchsize", "minbatchtimeout")  # as the exporter takes them

OnMissing = Callable[[str, Sequence[str]], None]
"""Told the model's name and the deployment options it was last seen stored with."""

# Open Inference Protocol datatypes -> RedisAI's tensor types.
REDISAI_TYPES = {
    "BOOL": "BOOL", "INT8": "INT8", "INT16": "INT16", "INT32": "INT32", "INT64": "INT64",
    "UINT8": "UINT8", "FP32": "FLOAT", "FP64": "DOUBLE",
}  # fmt: skip


class RedisModel:
    """A predictor (input tensor -> output tensor) backed by a model key in RedisAI.

    The command is the same but for the input's shape and bytes, so the rest of it is packed
    once (packing every argument on each call cost more than parsing the reply).
    """

    def __init__(
        self,
        client: RespClient,
        spec: ModelSpec,
        timeout_s: float,
        on_missing: OnMissing | None = None,
    ) -> None:
        self.client = client
        self.spec = spec
        self.key = spec.name
        self.output = spec.output
        self.on_missing = on_missing
        self.stored_with: list[str] = []
        """The batching options (`--batchsize=N` ...) of the stored model, as last seen."""
        timeout_ms = max(1, int(timeout_s * 1000))
        before_input = (
            "AI.DAGEXECUTE_RO", "ROUTING", self.key, "TIMEOUT", timeout_ms,
            "|>", "AI.TENSORSET", "input", REDISAI_TYPES[spec.input.datatype],
        )  # fmt: skip
        after_input = (
            "|>", "AI.MODELEXECUTE", self.key, "INPUTS", 1, "input", "OUTPUTS", 1, "output",
            "|>", "AI.TENSORGET", "output", "BLOB",
        )  # fmt: skip
        input_arguments = len(spec.input.shape) + 2  # the dimensions, "BLOB", the bytes
        arguments = len(before_input) + input_arguments + len(after_input)
        self._after_input = bulk_strings(after_input)
        self._before_input = b"*%d\r\n" % arguments + bulk_strings(before_input)
        self._meta = pack(("AI.MODELGET", self.key, "META"))

    async def __call__(self, inputs: np.ndarray) -> np.ndarray:
        command = b"".join((
            self._before_input,
            bulk_strings((*inputs.shape, "BLOB", inputs.tobytes())),
            self._after_input,
        ))  # fmt: skip
        reply = await self._execute(command)
        if not isinstance(reply, list):  # +TIMEDOUT: the run waited in the queue too long
            raise ModelNotReady("the model run waited in RedisAI's queue past its timeout")
        for element in reply:
            if isinstance(element, Exception):
                raise self._domain_error(element)
        outputs = np.frombuffer(reply[-1], dtype=self.output.dtype)
        return outputs.reshape(len(inputs), *self.output.shape[1:])

    async def version(self) -> str:
        """The TAG the model is stored with: its weights' sha256 (exporters/redisai.py)."""
        return self._remember(await self._execute(self._meta))

    async def remember_deployment(self) -> bool:
        """Note how the model is stored now, if Redis has it (for a redeployment later);
        whether it has. Never reported missing: a deployment may be under way."""
        try:
            self._remember(await self.client.execute(self._meta))
        except Exception:  # noqa: BLE001 - not there, or Redis down: nothing to note yet
            return False
        return True

    def _remember(self, meta: list[Reply]) -> str:
        """Its batching options from an `AI.MODELGET ... META` reply; returns its TAG."""
        fields = dict(zip(meta[::2], meta[1::2], strict=True))
        self.stored_with = [
            f"--{name}={int(fields[name.encode()])}"
            for name in BATCHING_FIELDS
            if name.encode() in fields
        ]
        return bytes(fields[b"tag"]).decode()

    async def _execute(self, command: bytes) -> Reply:
        try:
            return await self.client.execute(command)
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            raise ModelNotReady(f"Redis did not answer in time ({error or 'timeout'})") from None
        except ResponseError as error:
            raise self._domain_error(error) from None

    def _domain_error(self, error: Exception) -> Exception:
        """The contract's error for an error reply; a missing model is reported on, too."""
        message = str(error)
        if MISSING_MODEL_ERROR in message and self.on_missing is not None:
            self.on_missing(self.key, self.stored_with)
        if any(text in message for text in NOT_SERVING_ERRORS):
            return ModelNotReady(f"model {self.key!r} is not loaded in Redis")
        return RuntimeError(f"RedisAI failed: {error}")
