"""Calls made at the same moment, each from a thread of its own: how the batching tests put
several requests in front of a batcher together."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
JOIN_S = 60.0


def at_once(calls: Sequence[Callable[[], T]], join_s: float = JOIN_S) -> list[T]:
    """Each call on a thread of its own, released together by a barrier; their results in
    call order. A call that raised raises here; one still running after `join_s` fails the
    test as stuck."""
    results: list[T | None] = [None] * len(calls)
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(calls))

    def run(idx: int) -> None:
        barrier.wait()
        try:
            results[idx] = calls[idx]()
        except BaseException as error:  # noqa: BLE001 - raised again in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(idx,)) for idx in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(join_s)
    assert not any(thread.is_alive() for thread in threads), "a call is stuck"
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]
