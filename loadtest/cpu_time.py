"""The CPU time a server's own processes spend during a load run: what a request costs it.

Requests per second say how fast; the CPU time a server spends per request says what each one
costs the machine, which is what a deployment pays for. The load generator is not counted:
it is not one of the server's processes.

And the share of the machine's CPU time its hypervisor gave to someone else meanwhile
("steal"): on the 2-core VMs these figures come from it ranged from 0.2 % to 10 % between
8 s runs of one minute, and the same server's requests/s moved with it (8,580 at 0.2 %,
5,530 at 9.9 %), so a row measured while much was stolen can be told apart.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable

import psutil

from loadtest.figures import RunFigures
from services.process import tree_pids

Snapshot = dict[tuple[int, float], float]
"""(pid, start time) -> the process's user + system CPU seconds so far."""


def snapshot(pids: Iterable[int]) -> Snapshot:
    readings: Snapshot = {}
    for pid in pids:
        try:
            process = psutil.Process(pid)
            with process.oneshot():
                times = process.cpu_times()
                readings[(pid, process.create_time())] = times.user + times.system
        except psutil.Error:
            continue  # ended between listing and reading
    return readings


def seconds_between(before: Snapshot, after: Snapshot) -> float:
    """CPU seconds spent in between by the processes alive at `after`: one started in between
    counts whole; one that ended in between (a recycled worker) is not counted."""
    return sum(seconds - before.get(key, 0.0) for key, seconds in after.items())


def _machine_time(times: tuple[float, ...]) -> float:
    """All of a psutil.cpu_times() reading: Linux counts a guest's time in `user` and `nice`
    too, so its own fields are left out (as psutil's cpu_percent does)."""
    return sum(times) - getattr(times, "guest", 0) - getattr(times, "guest_nice", 0)


def stolen_pct(before: tuple[float, ...], after: tuple[float, ...]) -> float | None:
    """The share of the machine's CPU time stolen by its hypervisor between two readings of
    psutil.cpu_times(); None where the kernel does not tell (no `steal` outside Linux)."""
    total = _machine_time(after) - _machine_time(before)
    if not hasattr(after, "steal") or total <= 0:
        return None
    return 100 * (after.steal - before.steal) / total  # type: ignore[attr-defined]


def spent_per_request(pids: Callable[[], list[int]], run: Callable[[], RunFigures]) -> RunFigures:
    """`run`'s figures, with the CPU time the processes `pids` names spent on it per request
    and the share of the machine's stolen meanwhile."""
    before, machine_before = snapshot(pids()), psutil.cpu_times()
    figures = run()
    spent = seconds_between(before, snapshot(pids()))
    per_request = 1e6 * spent / figures.requests if figures.requests else None
    stolen = stolen_pct(machine_before, psutil.cpu_times())
    return dataclasses.replace(figures, cpu_us_per_request=per_request, cpu_stolen_pct=stolen)


def trees_of(*pids: int) -> Callable[[], list[int]]:
    """The processes these started ones lead (themselves and their descendants), when asked."""

    def processes() -> list[int]:
        leaders = []
        for pid in pids:
            with contextlib.suppress(psutil.Error):  # stopped already
                leaders.append(psutil.Process(pid))
        return tree_pids(leaders)

    return processes
