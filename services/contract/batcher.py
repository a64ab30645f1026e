"""Requests for one model, waiting in one process's threads, answered by one model call.

A threaded server (gunicorn's gthread workers) calls a model once per request; a call's fixed
cost (the interpreter's way into TorchScript and back) is paid by every request. With a
Batcher in front of the predictor, the first thread to ask opens a batch and waits a little
(at most the delay) for others to join it; then it closes the batch, runs the model once on
every request's rows stacked, and hands each waiting thread its own rows. No thread of its
own: the first caller runs the model, the others sleep on a condition until it is done.

The first caller stops waiting early when the batch is full (its requests, or its rows: the
next request would not fit), and when every thread that can call is inside a batcher already
(waiting, or running a model): no other request can come until one of them leaves. A caller
whose call is answered counts as gone at once, woken or not yet.

Only validated inputs get here (the handler decodes a body before it calls the predictor),
so a batch fails only as a whole: the model call raised, and then each of its callers gets
that exception as its own error. A failed call leaves nothing behind: the next batch is new.

Why by hand: of the micro-batching libraries on PyPI, `batched` (0.1.x) runs the model on a
background thread of its own, a hand-off there and back for every request; `batch-inference`
and `service-streamer` have not been released since 2023 and 2019; the rest batch asyncio
coroutines or HTTP calls. None knows how many threads a gunicorn worker has, which is what
tells a waiting caller to stop waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from services.contract.handler import predict_stacked

BATCH_HEADER = "X-Batch-Size"
"""How many requests the model call that answered a request served (MMS's handler's too)."""

Executed = Callable[[int, float], None]
"""Told of each model call, in the thread that ran it: its requests and its seconds."""
Served = Callable[[int], None]
"""Told in each caller's own thread, once it has its rows: the requests its call served."""


@dataclass(frozen=True)
class BatchLimits:
    requests: int
    """The most requests one model call serves (1: each request its own call)."""
    rows: int
    """The most input rows one model call takes (a request with more would go alone)."""
    delay_s: float
    """How long the first request of a batch waits for more to join it."""

    def __post_init__(self) -> None:
        if self.requests < 1 or self.rows < 1 or self.delay_s < 0:
            raise ValueError(f"batch limits out of range: {self}")


class Callers:
    """The threads that may call a process's batchers, shared by all of them (every model's):
    how many there are (None: no bound known), how many are inside a batcher now, and the
    batchers gathering a batch.

    Its one lock guards every sharing batcher's state: the caller that makes everyone inside
    (of whichever model) closes every batch being gathered, once it has joined or opened
    its own. Leaving it to the waiting first callers to notice would miss it: by the time
    one wakes, another batch's caller may have left already. There are a handful of threads:
    one lock is no contention.
    """

    def __init__(self, threads: int | None = None) -> None:
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be at least 1, not {threads}")
        self.threads = threads
        self.inside = 0
        self.lock = threading.Lock()
        self.gathering: set[Batcher] = set()

    def close_if_all_inside(self) -> None:
        """If every caller is inside, every batch being gathered goes now (lock held)."""
        if self.threads is not None and self.inside >= self.threads:
            for batcher in list(self.gathering):
                batcher.close_open()


class _Batch:
    """One model call being gathered, run, then answered. Changed under Callers' lock only,
    except `inputs`, which the runner reads once the batch is closed (nobody adds then)."""

    __slots__ = ("closed", "error", "finished", "inputs", "inside", "outputs", "rows")

    def __init__(self, inputs: np.ndarray) -> None:
        self.inputs = [inputs]
        self.rows = len(inputs)
        self.inside = 1  # its callers counted in Callers.inside
        self.closed = False  # nobody joins any more: the runner has it
        self.finished = False  # outputs (or error) are there
        self.outputs: list[np.ndarray] = []
        self.error: BaseException | None = None


def _no_report(*_: int | float) -> None:
    pass


class Batcher:
    """A Predictor (services/contract/handler.py) that merges concurrent calls into calls of
    `predict` on their stacked rows, within `limits`. See the module for who waits and who
    runs the model."""

    def __init__(
        self,
        predict: Callable[[np.ndarray], np.ndarray],
        limits: BatchLimits,
        callers: Callers | None = None,
        executed: Executed = _no_report,
        served: Served = _no_report,
    ) -> None:
        self.predict = predict
        self.limits = limits
        self.callers = callers or Callers()
        self.executed = executed
        self.served = served
        self._open: _Batch | None = None  # the batch being gathered, which callers join
        # Made once, on the callers' lock: a Condition costs more to make than this model's
        # run. A notification may wake a thread waiting for another batch; it checks its own.
        self._closed = threading.Condition(self.callers.lock)  # first callers wait here
        self._first_waiting = 0  # how many: a batch closed with nobody waiting notifies none
        self._answered = threading.Condition(self.callers.lock)  # the others here

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        callers = self.callers
        with callers.lock:
            callers.inside += 1
            batch = self._open
            if batch is not None and batch.rows + len(inputs) > self.limits.rows:
                self.close_open()  # these rows do not fit: it is as full as it gets
                batch = None
            if batch is not None:
                index = self._join(batch, inputs)  # 1 or more: a place after the first's
            else:
                index = 0
                batch = self._open = _Batch(inputs)
                callers.gathering.add(self)
                callers.close_if_all_inside()
                try:
                    self._gather(batch)
                except BaseException as error:  # interrupted: nobody is left waiting for ever
                    self._close(batch)
                    self._finish(batch, [], error)
                    raise
        if index == 0:  # the first caller: it runs the model
            return self._run(batch)
        if batch.error is not None:
            raise _as_own(batch.error)
        self.served(len(batch.inputs))
        return batch.outputs[index]

    def _join(self, batch: _Batch, inputs: np.ndarray) -> int:
        """Join the batch and wait, lock held, until its call is over; this caller's place."""
        index = len(batch.inputs)
        batch.inputs.append(inputs)
        batch.rows += len(inputs)
        batch.inside += 1
        if len(batch.inputs) >= self.limits.requests:
            self.close_open()
        self.callers.close_if_all_inside()
        try:
            while not batch.finished:
                self._answered.wait()
        finally:
            if not batch.finished:  # interrupted: no longer inside (the call still runs)
                batch.inside -= 1
                self.callers.inside -= 1
        return index

    def _gather(self, batch: _Batch) -> None:
        """As the first caller, lock held: wait until the batch is closed (full, everyone
        inside, a request that does not fit) or the delay is over; then close it."""
        if not batch.closed and len(batch.inputs) < self.limits.requests:
            deadline = time.monotonic() + self.limits.delay_s
            self._first_waiting += 1
            try:
                while not batch.closed:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._closed.wait(remaining)
            finally:
                self._first_waiting -= 1
        self._close(batch)

    def close_open(self) -> None:
        """The batch being gathered goes now, nobody joins it any more (lock held)."""
        if self._open is not None:
            self._close(self._open)

    def _close(self, batch: _Batch) -> None:
        if not batch.closed:
            batch.closed = True
            if self._first_waiting:
                self._closed.notify_all()
        if self._open is batch:
            self._open = None
            self.callers.gathering.discard(self)

    def _run(self, batch: _Batch) -> np.ndarray:
        """As the first caller, lock released: the model call, every caller's rows handed out."""
        outputs: list[np.ndarray] = []
        error: BaseException | None = None
        try:
            outputs = self._predict_rows(batch.inputs)
        except BaseException as raised:  # handed to every caller; the runner raises it too
            error = raised
            raise
        finally:  # whatever happened, nobody is left waiting, and the next batch is new
            with self.callers.lock:
                self._finish(batch, outputs, error)
        self.served(len(batch.inputs))
        return outputs[0]

    def _finish(
        self, batch: _Batch, outputs: list[np.ndarray], error: BaseException | None
    ) -> None:
        """As the first caller, lock held: the batch answered, and its callers woken and no
        longer counted inside. Counted out here, not as each wakes: a caller woken but not yet
        running is as good as gone, and counted in it would close the next batch at once."""
        batch.outputs, batch.error, batch.finished = outputs, error, True
        self.callers.inside -= batch.inside
        batch.inside = 0
        if len(batch.inputs) > 1:
            self._answered.notify_all()

    def _predict_rows(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        started = time.perf_counter()
        try:
            return predict_stacked(self.predict, inputs)
        finally:  # failed calls too, once each
            self.executed(len(inputs), time.perf_counter() - started)


def _as_own(error: BaseException) -> BaseException:
    """The runner's error, to raise in a waiting caller: an interruption of the runner's
    thread (KeyboardInterrupt, SystemExit) is not the waiting caller's own."""
    if isinstance(error, Exception):
        return error
    return RuntimeError(f"the batch's model call was interrupted ({type(error).__name__})")
