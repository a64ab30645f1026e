"""The gateway puts a model back into Redis by itself when Redis has lost it.

A store wiped (FLUSHALL, a Redis restarted without its data files, a model deleted) makes
RedisAI answer "model key is empty": that request gets its 503 as before, and the gateway runs
the deployment in the background, `python -m exporters redisai --model NAME`, with the
batching options it last saw the model stored with. A command, not an import: services never
import the exporters (tests/test_layers.py); the Redis URL, which may hold a password, goes by
environment, never on a command line `ps` shows (so does POLYSERVE_REDIS_CLUSTER: on a cluster
the deployment puts back every master's copy).

At most one deployment per model runs at a time in a worker, and after one the next waits:
RETRY_S after a success (a model that stays missing is not redeployed in a loop), doubling
from RETRY_S up to MAX_RETRY_S after each failure in a row. Workers do not coordinate: each
may run one, and the exporter is idempotent (a model already stored with the same weights'
sha256 and options is left alone), so the second finds the work done; should two check the
stored model at the same moment, one may fail (they share the check's tensor keys) and is
tried again after its back-off, finding the model in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from models.artifacts import REPO_ROOT

log = logging.getLogger(__name__)

RETRY_S = 5.0
MAX_RETRY_S = 300.0
COMMAND_TIMEOUT_S = 300.0  # the exporter trains and exports first if the artifacts are missing
OUTPUT_TAIL_CHARS = 2000


def deploy_command(model: str, options: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "exporters", "redisai", "--model", model, *options]


def _status(code: int | None) -> str:
    if code is None:
        return "no exit status"
    return f"exit {code}" if code >= 0 else f"killed by signal {-code}"


@dataclass
class _Model:
    """One model's redeployments: the one running, and when the next may start."""

    running: asyncio.Task[None] | None = None
    not_before: float = 0.0
    failures: int = 0


class Redeployer:
    def __init__(self, environment: Mapping[str, str], timeout_s: float = COMMAND_TIMEOUT_S):
        self.environment = environment
        """Added to the deployment's environment: which Redis (and whether a cluster)."""
        self.timeout_s = timeout_s
        self._models: dict[str, _Model] = {}

    def model_missing(self, model: str, options: Sequence[str] = ()) -> None:
        """Redis said `model` is not there: redeploy it, unless that is under way or its
        back-off has not passed. Returns at once; the deployment runs on this event loop."""
        state = self._models.setdefault(model, _Model())
        now = time.monotonic()
        if state.running is not None or now < state.not_before:
            return
        state.running = asyncio.get_running_loop().create_task(
            self._redeploy(model, list(options), state)
        )

    async def aclose(self) -> None:
        """Stop every deployment under way (the worker is stopping): its process is killed."""
        tasks = [state.running for state in self._models.values() if state.running is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _redeploy(self, model: str, options: list[str], state: _Model) -> None:
        command = deploy_command(model, options)
        shown = " ".join(command[1:])
        log.warning("model %r is missing from Redis: redeploying it (`python %s`)", model, shown)
        started = time.monotonic()
        try:
            code, output = await self._outcome(command)
        finally:
            state.running = None
        self._back_off(model, state, code, output.strip(), time.monotonic() - started)

    async def _outcome(self, command: list[str]) -> tuple[int | None, str]:
        """The exit status (None: none) and the tail of the output, or what went wrong."""
        try:
            return await self._run(command)
        except TimeoutError:
            return None, f"still running after {self.timeout_s:.0f} s: killed"
        except Exception as error:  # noqa: BLE001 - a failure to start is a failure like others
            return None, f"{type(error).__name__}: {error}"

    def _back_off(
        self, model: str, state: _Model, code: int | None, output: str, elapsed: float
    ) -> None:
        """When the next deployment of `model` may start, and the log line of this one."""
        if code == 0:
            state.failures, state.not_before = 0, time.monotonic() + RETRY_S
            log.info("model %r redeployed in %.1f s: %s", model, elapsed, output)
            return
        state.failures += 1
        retry_s = min(MAX_RETRY_S, RETRY_S * 2 ** (state.failures - 1))
        state.not_before = time.monotonic() + retry_s
        log.error(
            "redeploying model %r failed (%s) after %.1f s; not tried again for %.0f s: %s",
            model, _status(code), elapsed, retry_s, output,
        )  # fmt: skip

    async def _run(self, command: list[str]) -> tuple[int, str]:
        """The command's exit status and the tail of its output; killed past the timeout."""
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=REPO_ROOT,
            env={**os.environ, **self.environment},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            async with asyncio.timeout(self.timeout_s):
                output, _ = await process.communicate()
        except BaseException:  # timed out, or cancelled: no deployment left running behind
            with contextlib.suppress(ProcessLookupError):  # it had just ended
                process.kill()
            await asyncio.shield(process.wait())
            raise
        text = output.decode(errors="replace")[-OUTPUT_TAIL_CHARS:]
        assert process.returncode is not None
        return process.returncode, text
