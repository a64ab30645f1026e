"""Resident memory of a backend: the processes its start recorded, and all their children."""

from __future__ import annotations

import psutil

from services.stack import Backend


def rss_mb(backend: Backend) -> float:
    total = 0
    for pid in backend.pids():
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            continue  # a worker recycled between listing and reading
    return total / 2**20
