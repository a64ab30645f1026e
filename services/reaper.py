"""Run one program so that nothing it started outlives it:

    python -m services.reaper [--stale SOCKET]... [--cwd DIR] RECORD -- COMMAND [ARG...]

The process supervisor (supervisord) tracks one pid per program and restarts it when it
exits. A program killed with SIGKILL leaves its children running, though: nginx's workers
keep the port (the next nginx cannot bind it), MMS's Python workers keep their models, and
the restarted program then fails or doubles up. supervisord cannot see them: they are
re-parented to init. So each supervised program runs under this reaper:

- it is a child subreaper (prctl), so the orphans of a killed program become its children
  and it can find and stop them;
- it forwards the supervisor's signals to the program and exits with the program's status;
- when the program exits, however it died, it stops every descendant left (SIGTERM, then
  SIGKILL after a grace period);
- it records its process group in RECORD: a reaper killed itself (SIGKILL) cannot clean up,
  so the next one stops what is left of the previous group before starting the program, and
  `stop` uses the same record when the supervisor itself is gone.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

PR_SET_CHILD_SUBREAPER = 36
PR_SET_PDEATHSIG = 1
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP,
             signal.SIGUSR1, signal.SIGUSR2)  # fmt: skip
GRACE_S = 10.0
ORPHAN_GRACE_S = 1.0
"""What is left once the program has exited has lost its parent: it gets a moment to finish
the request in hand, not a graceful shutdown, so that the restart is not held up."""


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


def _die_with_parent() -> None:
    """In the program, before exec: a reaper killed outright takes its program with it."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def stop_processes(processes: list[psutil.Process], grace_s: float = GRACE_S) -> None:
    """SIGTERM each, then SIGKILL whatever is still alive after the grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for process in processes:
            with contextlib.suppress(psutil.Error):
                process.send_signal(sig)
        _, processes = psutil.wait_procs(processes, timeout=grace_s)
        if not processes:
            return


def _record(record: Path) -> tuple[int, float] | None:
    """(process group, its leader's start time) as a reaper recorded them."""
    try:
        state = json.loads(record.read_text())
        return int(state["pgid"]), float(state["started"])
    except (FileNotFoundError, KeyError, TypeError, ValueError):
        return None


def recorded_group_id(record: Path) -> int | None:
    """The process group a record names, if any."""
    recorded = _record(record)
    return recorded[0] if recorded else None


def _members(group: int) -> list[psutil.Process]:
    members = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if os.getpgid(process.pid) == group:
                members.append(process)
    return members


def recorded_group(record: Path, with_leader: bool = False) -> list[psutil.Process]:
    """The processes of the group a record names: the reaper (if alive and `with_leader`),
    its program and whatever else is left in the group.

    The kernel reuses no pid while it names a live process group, so members found under
    a dead leader's group id are that group's; a live process holding the leader's pid is
    checked against the recorded start time before anything is taken for ours.
    """
    recorded = _record(record)
    if recorded is None:
        return []
    group, started = recorded
    with contextlib.suppress(psutil.NoSuchProcess):
        leader = psutil.Process(group)
        if not with_leader or abs(leader.create_time() - started) > 1e-3:
            return []  # a live reaper's group, not ours to stop; or the pid is someone else's
    return _members(group)


def stop_recorded(record: Path, with_leader: bool = False) -> int:
    """Stop the group a record names (only its leftovers while its reaper lives, unless
    `with_leader`); how many processes there were."""
    processes = recorded_group(record, with_leader)
    stop_processes(processes)
    return len(processes)


def write_record(record: Path) -> None:
    record.parent.mkdir(parents=True, exist_ok=True)
    started = psutil.Process().create_time()
    state = {"pgid": os.getpgid(0), "started": started, "starts": start_count(record) + 1}
    record.write_text(json.dumps(state) + "\n")


def start_count(record: Path) -> int:
    """How many times the program under this record was started (0 if never)."""
    try:
        return int(json.loads(record.read_text())["starts"])
    except (FileNotFoundError, KeyError, TypeError, ValueError):
        return 0


def run(record: Path, command: list[str], stale: list[Path], cwd: Path | None = None) -> int:
    if os.getpgid(0) != os.getpid():
        os.setpgrp()  # run by hand: lead a group of our own, as under supervisord
    left = stop_recorded(record)
    if left:
        print(f"reaper: stopped {left} processes a killed reaper left", file=sys.stderr)
    for path in stale:  # a socket file a killed server left would fail its next bind
        path.unlink(missing_ok=True)
    write_record(record)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    program = subprocess.Popen(command, cwd=cwd, preexec_fn=_die_with_parent)
    for sig in FORWARDED:
        signal.signal(sig, lambda number, _frame: program.send_signal(number))
    status = program.wait()
    stop_processes(psutil.Process().children(recursive=True), ORPHAN_GRACE_S)
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:  # reap the orphans we adopted
            pass
    return status if status >= 0 else 128 - status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.reaper", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("record", type=Path, help="where the process group is recorded")
    parser.add_argument("--stale", type=Path, action="append", default=[],
                        help="a unix socket to remove before the program starts")
    parser.add_argument("--cwd", type=Path, help="the program's working directory")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    started = time.monotonic()
    status = run(args.record, command, args.stale, args.cwd)
    print(f"reaper: {command[0]} exited with {status} after {time.monotonic() - started:.0f}s",
          file=sys.stderr)  # fmt: skip
    return status


if __name__ == "__main__":
    sys.exit(main())
