"""The gateway's coalescer: concurrent requests share predictor calls, and never mix up rows;
each call is reported with the requests it carried."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from services.redisai.gateway.coalescer import Coalescer


class RowDoubler:
    """A predictor whose every output row is its input row times two, recording its calls."""

    def __init__(self, delay_s: float = 0.01, failures: int = 0) -> None:
        self.delay_s = delay_s
        self.failures = failures  # the first calls that raise
        self.calls: list[int] = []  # rows per call
        self.reported: list[int] = []  # requests per call, as the coalescer reports them
        self.running = self.most_running = 0
        self.called = asyncio.Event()  # set once a call is in flight

    async def __call__(self, bits: np.ndarray) -> np.ndarray:
        self.calls.append(len(bits))
        self.called.set()
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.running -= 1
        if len(self.calls) <= self.failures:
            raise ConnectionError("Redis is down")
        return bits * 2

    def executed(self, requests: int, seconds: float) -> None:
        assert seconds > 0
        self.reported.append(requests)


def coalescer_of(predictor: RowDoubler, max_rows: int, max_in_flight: int) -> Coalescer:
    return Coalescer(predictor, max_rows, max_in_flight, predictor.executed)


def rows(first: int, count: int) -> np.ndarray:
    return np.arange(first, first + count, dtype=np.float32).reshape(count, 1)


async def gather(coalescer: Coalescer, inputs: list[np.ndarray]) -> list[np.ndarray]:
    return await asyncio.gather(*(coalescer(bits) for bits in inputs))


def test_requests_arriving_together_make_one_call_and_each_gets_its_rows() -> None:
    predictor = RowDoubler()
    inputs = [rows(10 * i, 1 + i % 3) for i in range(20)]
    outputs = asyncio.run(gather(coalescer_of(predictor, max_rows=256, max_in_flight=1), inputs))
    assert predictor.calls == [sum(len(bits) for bits in inputs)]
    assert predictor.reported == [len(inputs)]
    for bits, output in zip(inputs, outputs, strict=True):
        np.testing.assert_array_equal(output, bits * 2)


def test_requests_arriving_during_a_call_wait_and_go_together() -> None:
    predictor = RowDoubler(delay_s=0.05)
    coalescer = coalescer_of(predictor, max_rows=256, max_in_flight=1)

    async def scenario() -> list[np.ndarray]:
        first = asyncio.ensure_future(coalescer(rows(0, 1)))
        await predictor.called.wait()  # the first call is in flight now
        later = await gather(coalescer, [rows(i, 1) for i in range(1, 6)])
        return [await first, *later]

    outputs = asyncio.run(scenario())
    assert predictor.calls == [1, 5]
    assert [float(output[0, 0]) for output in outputs] == [2.0 * i for i in range(6)]


def test_a_call_carries_at_most_max_rows_but_a_larger_request_goes_alone() -> None:
    predictor = RowDoubler()
    inputs = [rows(i, 2) for i in range(0, 20, 2)] + [rows(100, 9)]
    outputs = asyncio.run(gather(coalescer_of(predictor, max_rows=5, max_in_flight=8), inputs))
    assert predictor.calls == [4, 4, 4, 4, 4, 9]
    assert predictor.reported == [2, 2, 2, 2, 2, 1]
    for bits, output in zip(inputs, outputs, strict=True):
        np.testing.assert_array_equal(output, bits * 2)


def test_no_more_calls_in_flight_than_allowed() -> None:
    predictor = RowDoubler()
    coalescer = coalescer_of(predictor, max_rows=1, max_in_flight=3)
    asyncio.run(gather(coalescer, [rows(i, 1) for i in range(12)]))
    assert len(predictor.calls) == 12
    assert predictor.most_running == 3


def test_a_failed_call_fails_its_requests_only() -> None:
    predictor = RowDoubler(delay_s=0.02, failures=1)
    coalescer = coalescer_of(predictor, max_rows=256, max_in_flight=1)

    async def scenario() -> tuple[list[object], np.ndarray]:
        failed = [asyncio.ensure_future(coalescer(rows(i, 1))) for i in range(3)]
        await predictor.called.wait()  # the three are in flight in the first call
        after = asyncio.ensure_future(coalescer(rows(7, 1)))  # waits for the next call
        results = await asyncio.gather(*failed, return_exceptions=True)
        return results, await after

    failed, after = asyncio.run(scenario())
    assert all(isinstance(result, ConnectionError) for result in failed)
    np.testing.assert_array_equal(after, rows(7, 1) * 2)
    assert predictor.calls == [3, 1]
    assert predictor.reported == [3, 1]  # the failed call too


def test_an_abandoned_request_does_not_disturb_the_others() -> None:
    predictor = RowDoubler(delay_s=0.05)
    coalescer = coalescer_of(predictor, max_rows=256, max_in_flight=1)

    async def scenario() -> np.ndarray:
        busy = asyncio.ensure_future(coalescer(rows(0, 1)))
        await predictor.called.wait()
        abandoned = asyncio.ensure_future(coalescer(rows(1, 1)))
        kept = asyncio.ensure_future(coalescer(rows(2, 1)))
        await asyncio.sleep(0)
        abandoned.cancel()  # its client went away while it waited
        with pytest.raises(asyncio.CancelledError):
            await abandoned
        await busy
        return await kept

    kept = asyncio.run(scenario())
    np.testing.assert_array_equal(kept, rows(2, 1) * 2)
    assert predictor.calls == [1, 1]  # the abandoned request was dropped, not run
