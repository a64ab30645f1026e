"""The thread-side batcher (services/contract/batcher.py): concurrent callers share model
calls within its limits, each gets its own rows back, and a failed call fails each of its
callers alone and leaves the next batch unharmed.

No timing is asserted: where a test needs callers to meet, the delay is far longer than
they need, and a batch closes because it is full or because every caller is inside.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest

from models.artifacts import ModelFiles
from models.fizzbuzz import codec
from services.contract.batcher import Batcher, BatchLimits, Callers
from services.flask.model import torchscript_predictor
from tests.at_once import at_once

LONG_S = 60.0  # a delay no test waits out: batches close because they are full
JOIN_S = 30.0  # how long a test waits for its callers before it calls the batcher stuck


class RowDoubler:
    """A predictor whose every output row is its input row times two, recording its calls.
    `gate`, when given, holds every call until it is set; the first `failures` calls raise."""

    def __init__(self, failures: int = 0, gate: threading.Event | None = None) -> None:
        self.failures = failures
        self.gate = gate
        self.calls: list[int] = []  # rows per call
        self.reported: list[int] = []  # requests per call, as the batcher reports them
        self.lock = threading.Lock()
        self.started = threading.Semaphore(0)  # released once per call started

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        with self.lock:
            self.calls.append(len(rows))
            failing = len(self.calls) <= self.failures
        self.started.release()
        if self.gate is not None:
            assert self.gate.wait(JOIN_S)
        if failing:
            raise ValueError("the engine failed")
        return rows * 2

    def executed(self, requests: int, seconds: float) -> None:
        assert seconds >= 0
        with self.lock:
            self.reported.append(requests)


def batcher_of(
    predictor: Callable[[np.ndarray], np.ndarray],
    requests: int,
    rows: int = 1024,
    delay_s: float = LONG_S,
    callers: Callers | None = None,
) -> tuple[Batcher, list[int]]:
    """A batcher of `predictor`, and the list each caller's served count is appended to."""
    served: list[int] = []
    executed = predictor.executed if isinstance(predictor, RowDoubler) else lambda *_: None
    limits = BatchLimits(requests=requests, rows=rows, delay_s=delay_s)
    return Batcher(predictor, limits, callers, executed, served.append), served


def rows(first: int, count: int) -> np.ndarray:
    return np.arange(first, first + count, dtype=np.float32).reshape(count, 1)


def call_all(batcher: Batcher, inputs: list[np.ndarray]) -> list[np.ndarray | Exception]:
    """Call the batcher with each input from a thread of its own, all at once; each caller's
    outputs, or the exception it got, in input order."""

    def call(rows: np.ndarray) -> Callable[[], np.ndarray | Exception]:
        def outcome() -> np.ndarray | Exception:
            try:
                return batcher(rows)
            except Exception as error:  # noqa: BLE001 - what the caller got, for the test
                return error

        return outcome

    return at_once([call(rows) for rows in inputs], JOIN_S)


def test_concurrent_callers_share_one_call_and_each_gets_its_own_rows() -> None:
    predictor = RowDoubler()
    batcher, served = batcher_of(predictor, requests=6)
    inputs = [rows(10 * i, 1 + i % 3) for i in range(6)]
    outputs = call_all(batcher, inputs)
    assert predictor.calls == [sum(len(bits) for bits in inputs)]
    assert predictor.reported == [6]
    assert served == [6] * 6
    for bits, answer in zip(inputs, outputs, strict=True):
        np.testing.assert_array_equal(answer, bits * 2)
    assert batcher.callers.inside == 0


def test_no_call_serves_more_requests_than_the_batch_size() -> None:
    predictor = RowDoubler()
    batcher, served = batcher_of(predictor, requests=3, delay_s=0.005)
    inputs = [rows(i, 1) for i in range(10)]
    outputs = call_all(batcher, inputs)
    assert all(requests <= 3 for requests in predictor.reported)
    assert sum(predictor.reported) == 10
    assert len(served) == 10
    for bits, answer in zip(inputs, outputs, strict=True):
        np.testing.assert_array_equal(answer, bits * 2)


def test_a_full_batch_goes_at_once_and_the_next_caller_opens_another() -> None:
    gate = threading.Event()
    predictor = RowDoubler(gate=gate)
    # Seven threads, batches of three: the third batch's two go once all seven are inside
    # (the first two calls are held by the gate meanwhile), never after the long delay.
    batcher, served = batcher_of(predictor, requests=3, callers=Callers(threads=7))
    results: list[np.ndarray | Exception] = []
    caller = threading.Thread(
        target=lambda: results.extend(call_all(batcher, [rows(i, 1) for i in range(7)]))
    )
    caller.start()
    for _ in range(3):
        assert predictor.started.acquire(timeout=JOIN_S), "a batch never went"
    gate.set()
    caller.join(JOIN_S)
    assert sorted(predictor.reported) == [1, 3, 3]
    assert sorted(served) == [1] + [3] * 6
    assert all(isinstance(result, np.ndarray) for result in results)


def test_a_lone_request_is_answered_after_the_delay() -> None:
    predictor = RowDoubler()
    batcher, served = batcher_of(predictor, requests=8, delay_s=0.01)
    np.testing.assert_array_equal(batcher(rows(5, 2)), rows(5, 2) * 2)
    assert (predictor.calls, predictor.reported, served) == ([2], [1], [1])


def test_with_no_delay_a_lone_request_goes_at_once() -> None:
    predictor = RowDoubler()
    batcher, served = batcher_of(predictor, requests=8, delay_s=0)
    np.testing.assert_array_equal(batcher(rows(1, 1)), rows(1, 1) * 2)
    assert served == [1]


def test_the_first_caller_stops_waiting_once_every_thread_is_inside() -> None:
    predictor = RowDoubler()
    batcher, _served = batcher_of(predictor, requests=8, callers=Callers(threads=2))
    outputs = call_all(batcher, [rows(0, 1), rows(1, 1)])  # the delay is a minute long
    assert predictor.reported == [2]
    assert all(isinstance(answer, np.ndarray) for answer in outputs)


def test_callers_of_every_model_count_as_inside() -> None:
    fizz, buzz = RowDoubler(), RowDoubler()
    callers = Callers(threads=2)  # one worker's two threads, one for each model
    first, _ = batcher_of(fizz, requests=8, callers=callers)
    second, _ = batcher_of(buzz, requests=8, callers=callers)
    barrier = threading.Barrier(2)
    answers: list[np.ndarray] = []

    def call(batcher: Batcher) -> None:
        barrier.wait()
        answers.append(batcher(rows(0, 1)))

    threads = [threading.Thread(target=call, args=(b,)) for b in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_S)
    assert len(answers) == 2, "a model's first caller waited out the delay"
    assert (fizz.reported, buzz.reported, callers.inside) == ([1], [1], 0)


def test_a_call_never_takes_more_rows_than_the_limit() -> None:
    predictor = RowDoubler()
    batcher, _ = batcher_of(predictor, requests=8, rows=4, delay_s=0.005)
    inputs = [rows(10 * i, 1 + i % 3) for i in range(9)]
    outputs = call_all(batcher, inputs)
    assert max(predictor.calls) <= 4
    assert sum(predictor.calls) == sum(len(bits) for bits in inputs)
    for bits, answer in zip(inputs, outputs, strict=True):
        np.testing.assert_array_equal(answer, bits * 2)


def test_the_model_s_error_reaches_every_caller_of_its_call_and_the_next_call_is_fine() -> None:
    predictor = RowDoubler(failures=1)
    batcher, served = batcher_of(predictor, requests=4)
    failed = call_all(batcher, [rows(i, 1) for i in range(4)])
    assert predictor.reported == [4]
    assert all(
        isinstance(error, ValueError) and str(error) == "the engine failed" for error in failed
    )
    assert served == []  # no answer says it was served
    assert batcher.callers.inside == 0
    inputs = [rows(i, 2) for i in range(4)]
    for bits, answer in zip(inputs, call_all(batcher, inputs), strict=True):
        np.testing.assert_array_equal(answer, bits * 2)
    assert predictor.reported == [4, 4]


def test_a_model_answering_too_few_rows_is_an_error_for_each_caller() -> None:
    batcher, _ = batcher_of(lambda bits: bits[:-1], requests=3)
    answers = call_all(batcher, [rows(i, 1) for i in range(3)])
    assert all(isinstance(error, RuntimeError) for error in answers)


@pytest.mark.parametrize(("requests", "rows_", "delay_s"), [(0, 1, 0), (1, 0, 0), (1, 1, -1)])
def test_limits_out_of_range_are_refused(requests: int, rows_: int, delay_s: float) -> None:
    with pytest.raises(ValueError, match="batch limits"):
        BatchLimits(requests, rows_, delay_s)


def test_the_torchscript_model_batched_answers_as_it_does_alone(
    fizzbuzz_files: ModelFiles,
) -> None:
    model = torchscript_predictor(fizzbuzz_files.torchscript)
    batcher, served = batcher_of(model, requests=5)
    numbers = [[2], [14, 29], [0], [1022, 98, 4], [15]]
    inputs = [codec.CODEC.to_inputs(items) for items in numbers]
    outputs = call_all(batcher, inputs)
    assert served == [5] * 5
    for items, bits, answer in zip(numbers, inputs, outputs, strict=True):
        np.testing.assert_allclose(answer, model(bits), rtol=1e-5, atol=1e-6)
        labels = np.asarray(answer).argmax(axis=1).tolist()
        assert [codec.say(n, label) for n, label in zip(items, labels, strict=True)] == [
            codec.answer(n) for n in items
        ]


def test_callers_of_an_answered_call_no_longer_count_as_inside() -> None:
    # Counted inside until each woke, they would make the next first caller go alone.
    predictor = RowDoubler()
    callers = Callers(threads=3)
    seen: list[int] = []
    limits = BatchLimits(requests=8, rows=1024, delay_s=LONG_S)
    batcher = Batcher(
        predictor, limits, callers, predictor.executed, lambda _: seen.append(callers.inside)
    )
    for _ in range(3):
        call_all(batcher, [rows(i, 1) for i in range(3)])
    assert predictor.reported == [3, 3, 3]
    assert seen == [0] * 9
