"""Running a model stored in RedisAI: one command, one round trip, no keys written.

Each request is a read-only DAG: set the input tensor, run the model, get the output, all
inside `AI.DAGEXECUTE_RO`, whose tensors are local to the DAG. Nothing enters the keyspace, so
nothing is left behind when a request fails half way, and the module batches the DAG's model
run with other requests like any MODELEXECUTE.
"""

from __future__ import annotations

import numpy as np
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.contract.errors import ModelNotReady
from services.redisai.gateway.resp import RespClient, bulk_strings

# Replies meaning "this Redis cannot serve the model now", as opposed to a failed run.
NOT_SERVING_ERRORS = ("model key is empty", "WRONGTYPE", "unknown command")


class RedisModel:
    """A predictor (encoded inputs -> logits) backed by a model key in RedisAI.

    The command is the same but for the input's shape and bytes, so the rest of it is packed
    once: packing all 25 arguments took ~6 µs a call, three times as long as parsing the reply.
    """

    def __init__(self, client: RespClient, key: str, timeout_s: float) -> None:
        self.client = client
        self.key = key
        timeout_ms = max(1, int(timeout_s * 1000))
        before_input = (
            "AI.DAGEXECUTE_RO", "ROUTING", key, "TIMEOUT", timeout_ms,
            "|>", "AI.TENSORSET", "bits", "FLOAT",
        )  # fmt: skip
        after_input = (
            "|>", "AI.MODELEXECUTE", key, "INPUTS", 1, "bits", "OUTPUTS", 1, "logits",
            "|>", "AI.TENSORGET", "logits", "BLOB",
        )  # fmt: skip
        input_arguments = 4  # rows, columns, "BLOB", the bytes
        arguments = len(before_input) + input_arguments + len(after_input)
        self._after_input = bulk_strings(after_input)
        self._before_input = b"*%d\r\n" % arguments + bulk_strings(before_input)

    async def __call__(self, bits: np.ndarray) -> np.ndarray:
        rows, columns = bits.shape
        command = b"".join((
            self._before_input,
            bulk_strings((rows, columns, "BLOB", bits.tobytes())),
            self._after_input,
        ))  # fmt: skip
        try:
            reply = await self.client.execute(command)
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            raise ModelNotReady(f"Redis did not answer in time ({error or 'timeout'})") from None
        except ResponseError as error:
            raise _as_domain_error(error, self.key) from None
        if not isinstance(reply, list):  # +TIMEDOUT: the run waited in the queue too long
            raise ModelNotReady("the model run waited in RedisAI's queue past its timeout")
        for element in reply:
            if isinstance(element, Exception):
                raise _as_domain_error(element, self.key)
        return np.frombuffer(reply[-1], dtype=np.float32).reshape(rows, -1)


def _as_domain_error(error: Exception, key: str) -> Exception:
    if any(message in str(error) for message in NOT_SERVING_ERRORS):
        return ModelNotReady(f"model {key!r} is not loaded in Redis")
    return RuntimeError(f"RedisAI failed: {error}")
