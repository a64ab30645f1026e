"""Requests waiting in one gateway worker go to Redis together, as one model run.

Each round trip to RedisAI costs the gateway a command to pack and a reply to parse, and
costs Redis a hand-off to a worker thread and back; the model run itself is the cheap part.
While a run is in flight, the requests that arrive queue here and leave as one batch when a
sender is back: under load, a round trip carries several requests; alone, a request goes at once.
Only validated inputs get here, so a batch fails only as a whole (Redis down, a timeout), and
then every request of it gets that error. A request waits at most for the calls ahead of it
(each bounded by the Redis timeout), then for its own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import numpy as np

from services.contract.handler import AsyncPredictor, split_rows

Waiting = tuple[np.ndarray, asyncio.Future[np.ndarray]]
Executed = Callable[[int, float], None]
"""Told of each call of `predict`: how many requests it carried, and its seconds."""


class Coalescer:
    """An AsyncPredictor that merges concurrent calls into calls of `predict` on stacked rows.

    `max_in_flight` senders each carry one call of `predict` at a time: a sender back from a
    call takes whatever queued meanwhile and goes again at once, and an idle one is woken by
    the next request (and leaves on the next turn of the loop, so requests arriving in this
    turn join it). A call carries at most `max_rows` rows, except that a single request larger
    than that goes alone. `executed` is told of each call (services/metrics.py's batches).
    """

    def __init__(
        self,
        predict: AsyncPredictor,
        max_rows: int,
        max_in_flight: int,
        executed: Executed,
    ) -> None:
        self.predict = predict
        self.max_rows = max_rows
        self.max_in_flight = max_in_flight
        self.executed = executed
        self._waiting: list[Waiting] = []
        self._idle_senders: list[asyncio.Future[None]] = []
        self._senders: list[asyncio.Task[None]] = []  # held: the loop keeps tasks weakly
        # The worker's loop, kept: asyncio.get_running_loop() is a getpid() call on 3.11.
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, bits: np.ndarray) -> np.ndarray:
        loop = self._loop or self._start_senders()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        self._waiting.append((bits, future))
        if self._idle_senders:
            self._idle_senders.pop().set_result(None)
        return await future

    def _start_senders(self) -> asyncio.AbstractEventLoop:
        # Long-lived senders rather than a task per call: a new task and the loop turns it took
        # to start left Redis idle between calls (docs/performance.md has the measurement).
        self._loop = loop = asyncio.get_running_loop()
        self._senders = [loop.create_task(self._send(loop)) for _ in range(self.max_in_flight)]
        return loop

    async def _send(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            batch = self._take_batch()
            if batch:
                await self._run(batch)
            else:
                woken = loop.create_future()
                self._idle_senders.append(woken)
                await woken

    def _take_batch(self) -> list[Waiting]:
        """The oldest waiting requests within max_rows (at least one); abandoned ones dropped."""
        self._waiting = [(bits, future) for bits, future in self._waiting if not future.done()]
        rows, count = 0, 0
        for bits, _ in self._waiting:
            if count and rows + len(bits) > self.max_rows:
                break
            rows, count = rows + len(bits), count + 1
        batch, self._waiting = self._waiting[:count], self._waiting[count:]
        return batch

    async def _run(self, batch: list[Waiting]) -> None:
        futures = [future for _, future in batch]
        try:
            for future, output in zip(futures, await self._predict_rows(batch), strict=True):
                if not future.done():
                    future.set_result(output)
        except Exception as error:  # noqa: BLE001 - handed to every request of the batch
            for future in futures:
                if not future.done():
                    future.set_exception(error)
        finally:  # cancelled (the worker is stopping): nobody is left waiting for ever
            for future in futures:
                future.cancel()

    async def _predict_rows(self, batch: list[Waiting]) -> list[np.ndarray]:
        started = time.perf_counter()
        try:
            if len(batch) == 1:
                return [await self.predict(batch[0][0])]
            logits = await self.predict(np.concatenate([bits for bits, _ in batch]))
        finally:  # failed calls too
            self.executed(len(batch), time.perf_counter() - started)
        return split_rows(logits, [len(bits) for bits, _ in batch])
