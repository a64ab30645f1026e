"""Running a model stored in RedisAI: one command, one round trip, no keys written.

Each request is a read-only DAG: set the input tensor, run the model, get the output, all
inside `AI.DAGEXECUTE_RO`, whose tensors are local to the DAG. Nothing enters the keyspace, so
nothing is left behind when a request fails half way, and the module batches the DAG's model
run with other requests like any MODELEXECUTE.

The model is stored once on a single Redis (`SingleStore`: its key is its name), and once per
master on a Redis Cluster (cluster.py's ClusterStore): requests take the copies in turn, and
one whose node cannot be reached goes to the next copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

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


class Store(Protocol):
    """Where a model's copies are, and how a command reaches the one at a key."""

    async def copies(self, model: str) -> Sequence[str]: ...
    async def execute(self, key: str, packed: bytes, read_only: bool) -> Reply: ...
    async def aclose(self) -> None: ...


class SingleStore:
    """A single Redis: one copy of each model, under its name."""

    def __init__(self, client: RespClient) -> None:
        self.client = client

    async def copies(self, model: str) -> Sequence[str]:
        return (model,)

    async def execute(self, key: str, packed: bytes, read_only: bool) -> Reply:
        return await self.client.execute(packed)

    async def aclose(self) -> None:
        await self.client.aclose()


@dataclass(frozen=True)
class _Commands:
    """The commands for the copy at one key, packed but for a run's input (packing every
    argument on each call cost more than parsing the reply)."""

    before_input: bytes
    after_input: bytes
    meta: bytes

    @classmethod
    def of(cls, key: str, spec: ModelSpec, timeout_ms: int) -> _Commands:
        before_input = (
            "AI.DAGEXECUTE_RO", "ROUTING", key, "TIMEOUT", timeout_ms,
            "|>", "AI.TENSORSET", "input", REDISAI_TYPES[spec.input.datatype],
        )  # fmt: skip
        after_input = (
            "|>", "AI.MODELEXECUTE", key, "INPUTS", 1, "input", "OUTPUTS", 1, "output",
            "|>", "AI.TENSORGET", "output", "BLOB",
        )  # fmt: skip
        input_arguments = len(spec.input.shape) + 2  # the dimensions, "BLOB", the bytes
        arguments = len(before_input) + input_arguments + len(after_input)
        return cls(
            before_input=b"*%d\r\n" % arguments + bulk_strings(before_input),
            after_input=bulk_strings(after_input),
            meta=pack(("AI.MODELGET", key, "META")),
        )

    def run(self, inputs: np.ndarray) -> bytes:
        shape_and_bytes = bulk_strings((*inputs.shape, "BLOB", inputs.tobytes()))
        return b"".join((self.before_input, shape_and_bytes, self.after_input))


class RedisModel:
    """A predictor (input tensor -> output tensor) backed by a model stored in RedisAI."""

    def __init__(
        self,
        store: Store,
        spec: ModelSpec,
        timeout_s: float,
        on_missing: OnMissing | None = None,
    ) -> None:
        self.store = store
        self.spec = spec
        self.key = spec.name
        self.output = spec.output
        self.on_missing = on_missing
        self.stored_with: list[str] = []
        """The batching options (`--batchsize=N` ...) of the stored model, as last seen."""
        self.timeout_ms = max(1, int(timeout_s * 1000))
        self._commands: dict[str, _Commands] = {}
        self._turn = 0

    async def __call__(self, inputs: np.ndarray) -> np.ndarray:
        reply = await self._execute(lambda commands: commands.run(inputs))
        if not isinstance(reply, list):  # +TIMEDOUT: the run waited in the queue too long
            raise ModelNotReady("the model run waited in RedisAI's queue past its timeout")
        for element in reply:
            if isinstance(element, Exception):
                raise self._domain_error(element)
        outputs = np.frombuffer(reply[-1], dtype=self.output.dtype)
        return outputs.reshape(len(inputs), *self.output.shape[1:])

    async def version(self) -> str:
        """The TAG the model is stored with: its weights' sha256 (exporters/redisai.py)."""
        return self._remember(await self._execute(_meta))

    async def remember_deployment(self) -> bool:
        """Note how the model is stored now, if Redis has it (for a redeployment later);
        whether it has. Never reported missing: a deployment may be under way."""
        try:
            key = (await self.store.copies(self.key))[0]
            self._remember(await self.store.execute(key, self._commands_for(key).meta, True))
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

    async def _execute(self, command: Callable[[_Commands], bytes]) -> Reply:
        """`command` for one of the model's copies, the next in turn; the copies after it
        while their nodes cannot be reached or do not hold the model (which is reported)."""
        keys = await self.store.copies(self.key)
        if not keys:  # a cluster whose index does not list the model
            raise self._domain_error(ResponseError(MISSING_MODEL_ERROR))
        self._turn += 1
        failure: Exception = ModelNotReady("Redis did not answer in time (timeout)")
        for attempt in range(len(keys)):
            key = keys[(self._turn + attempt) % len(keys)]
            try:
                return await self.store.execute(key, command(self._commands_for(key)), True)
            except (RedisConnectionError, OSError) as error:
                failure = ModelNotReady(f"Redis did not answer in time ({error})")
            except RedisTimeoutError as error:  # its deadline is spent: no time for another
                failure = ModelNotReady(f"Redis did not answer in time ({error or 'timeout'})")
                break
            except ResponseError as error:
                failure = self._domain_error(error)
                if not isinstance(failure, ModelNotReady):  # a failed run: the same anywhere
                    raise failure from None
        raise failure

    def _commands_for(self, key: str) -> _Commands:
        commands = self._commands.get(key)
        if commands is None:
            commands = self._commands[key] = _Commands.of(key, self.spec, self.timeout_ms)
        return commands

    def _domain_error(self, error: Exception) -> Exception:
        """The contract's error for an error reply; a missing model is reported on, too."""
        message = str(error)
        if MISSING_MODEL_ERROR in message and self.on_missing is not None:
            self.on_missing(self.key, self.stored_with)
        if any(text in message for text in NOT_SERVING_ERRORS):
            return ModelNotReady(f"model {self.key!r} is not loaded in Redis")
        return RuntimeError(f"RedisAI failed: {error}")


def _meta(commands: _Commands) -> bytes:
    return commands.meta
