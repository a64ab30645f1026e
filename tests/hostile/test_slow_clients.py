"""500 idle, 500 slow-header and 500 slow-body connections held on each backend for 30 s
(tests/hostile/slow_clients.py): the backend must keep answering everyone else."""

from __future__ import annotations

import time

import pytest

from tests.hostile import fuzz
from tests.hostile.slow_clients import KINDS, SlowLoad, SlowReport, hold_slow_clients

LOAD = SlowLoad(idle=500, slow_header=500, slow_body=500, duration_s=30.0)
MIN_ANSWERED_SHARE = 0.99
RECOVERY_S = 10.0


@pytest.fixture(scope="module")
def slow_report(hostile_backend: str) -> SlowReport:
    """The load held once per backend; the tests below judge the report."""
    return hold_slow_clients(hostile_backend, LOAD)


def test_the_whole_load_was_opened(slow_report: SlowReport) -> None:
    """Otherwise the probe measured a lighter load than asked (this harness's own check)."""
    short = [kind for kind in KINDS if slow_report.kinds[kind].opened < LOAD.count(kind)]
    if short:
        pytest.fail(f"never opened all of {short}\n{slow_report.summary()}", pytrace=False)


def test_probes_are_answered_within_a_second(slow_report: SlowReport) -> None:
    if slow_report.probes.answered_share < MIN_ANSWERED_SHARE:
        pytest.fail(slow_report.summary(), pytrace=False)


def test_the_backend_serves_once_the_slow_clients_leave(
    hostile_backend: str, slow_report: SlowReport
) -> None:
    deadline = time.monotonic() + RECOVERY_S
    while problems := fuzz.serving_problems(hostile_backend, timeout=2.0):
        assert time.monotonic() < deadline, problems
        time.sleep(0.5)
