"""Resident memory of a backend: the processes its start recorded, and all their children."""

from __future__ import annotations

from typing import Protocol

import psutil


class HasProcesses(Protocol):
    """A backend (services.stack.Backend), or anything else that lists its processes."""

    def pids(self) -> list[int]: ...


def rss_mb(backend: HasProcesses) -> float:
    total = 0
    for pid in backend.pids():
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            continue  # a worker recycled between listing and reading
    return total / 2**20
