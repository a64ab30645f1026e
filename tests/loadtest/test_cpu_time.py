"""The CPU time a server's processes spend during a run, read from real processes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import NamedTuple

import psutil
import pytest

from loadtest.cpu_time import seconds_between, snapshot, stolen_pct

# Burns CPU until told to stop on stdin: a stand-in for a server under load.
BURNER = "import sys, threading\nstop = threading.Event()\n" \
    "threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()\n" \
    "while not stop.is_set(): pass\n"  # fmt: skip


@pytest.fixture
def burner() -> Iterator[subprocess.Popen]:
    process = subprocess.Popen([sys.executable, "-c", BURNER], stdin=subprocess.PIPE)
    yield process
    process.kill()
    process.wait()


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def burn(process: subprocess.Popen, seconds: float) -> None:
    psutil.Process(process.pid).cpu_percent(interval=seconds)


def test_only_the_time_spent_between_two_snapshots_is_counted(burner: subprocess.Popen) -> None:
    burn(burner, 0.4)
    before = snapshot([burner.pid])
    burn(burner, 0.5)
    spent = seconds_between(before, snapshot([burner.pid]))
    assert 0.2 < spent < 1
    assert spent < cpu_seconds(burner.pid) - 0.2  # what it burnt before is left out


def test_a_process_started_in_between_counts_whole_and_one_ended_not_at_all(
    burner: subprocess.Popen,
) -> None:
    burn(burner, 0.3)
    started = snapshot([burner.pid])
    assert seconds_between({}, started) == pytest.approx(sum(started.values()))
    assert seconds_between(started, {}) == 0
    assert sum(started.values()) > 0.1


def test_a_process_gone_before_the_reading_is_left_out(burner: subprocess.Popen) -> None:
    burner.kill()
    burner.wait()
    assert snapshot([burner.pid]) == {}


class LinuxTimes(NamedTuple):  # the fields of psutil.cpu_times() this reads, as Linux has them
    user: float
    idle: float
    steal: float
    guest: float = 0  # counted in `user` already


def test_the_stolen_share_is_of_all_the_machine_s_cpu_time_in_between() -> None:
    before, after = LinuxTimes(10, 80, 5), LinuxTimes(25, 85, 10)
    assert stolen_pct(before, after) == pytest.approx(20)  # 5 of 25 seconds
    with_guest = LinuxTimes(25, 85, 10, guest=5)  # 5 of `user`'s 15 s ran a guest
    assert stolen_pct(before, with_guest) == pytest.approx(20)
    assert stolen_pct(after, after) is None  # no time passed
    assert stolen_pct((10.0, 80.0), (25.0, 85.0)) is None  # a kernel that does not tell


def test_linux_tells_the_stolen_share(burner: subprocess.Popen) -> None:
    before = psutil.cpu_times()
    burn(burner, 0.3)
    stolen = stolen_pct(before, psutil.cpu_times())
    assert stolen is not None
    assert 0 <= stolen < 100
