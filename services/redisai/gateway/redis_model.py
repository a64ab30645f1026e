"""Running a model stored in RedisAI: one pipelined, non-transactional round trip.

TENSORSET, MODELEXECUTE, TENSORGET and DEL of the temporary keys travel together; each
temporary key also gets a short expiry first, so a request that dies half way (a dropped
connection, a timeout) still leaves nothing behind for long.
"""

from __future__ import annotations

import asyncio
import uuid

import numpy as np
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.contract.errors import ModelNotReady

TEMP_PREFIX = "polyserve:tmp:"
TEMP_TTL_MS = 30_000
# Replies meaning "this Redis cannot serve the model now", as opposed to a failed run.
NOT_SERVING_ERRORS = ("model key is empty", "WRONGTYPE", "unknown command")


class RedisModel:
    """A predictor (encoded inputs -> logits) backed by a model key in RedisAI."""

    def __init__(self, client: aioredis.Redis, key: str, timeout_s: float) -> None:
        self.client = client
        self.key = key
        self.timeout_s = timeout_s

    async def __call__(self, bits: np.ndarray) -> np.ndarray:
        token = uuid.uuid4().hex
        source, target = f"{TEMP_PREFIX}{token}:in", f"{TEMP_PREFIX}{token}:out"
        timeout_ms = max(1, int(self.timeout_s * 1000))
        pipe = self.client.pipeline(transaction=False)
        pipe.execute_command("AI.TENSORSET", source, "FLOAT", *bits.shape, "BLOB", bits.tobytes())
        pipe.pexpire(source, TEMP_TTL_MS)
        pipe.execute_command(
            "AI.MODELEXECUTE", self.key, "INPUTS", 1, source, "OUTPUTS", 1, target,
            "TIMEOUT", timeout_ms,
        )  # fmt: skip
        pipe.pexpire(target, TEMP_TTL_MS)
        pipe.execute_command("AI.TENSORGET", target, "BLOB")
        pipe.delete(source, target)
        try:
            replies = await asyncio.wait_for(pipe.execute(raise_on_error=False), self.timeout_s)
        except (RedisConnectionError, RedisTimeoutError, TimeoutError, OSError) as error:
            raise ModelNotReady(f"Redis did not answer in time ({error or 'timeout'})") from None
        for reply in replies:
            if isinstance(reply, Exception):
                raise _as_domain_error(reply, self.key)
        if replies[2] == b"TIMEDOUT":
            raise ModelNotReady("the model run waited in RedisAI's queue past its timeout")
        blob = replies[4]
        return np.frombuffer(blob, dtype=np.float32).reshape(bits.shape[0], -1)


def _as_domain_error(error: Exception, key: str) -> Exception:
    if isinstance(error, ResponseError) and any(m in str(error) for m in NOT_SERVING_ERRORS):
        return ModelNotReady(f"model {key!r} is not loaded in Redis")
    if isinstance(error, RedisConnectionError | RedisTimeoutError):
        return ModelNotReady(f"Redis is unreachable ({error})")
    return RuntimeError(f"RedisAI failed: {error}")
