"""Every long-lived process of a backend runs under supervisord, one supervisord a backend.

A backend names its programs (`Program`); `Supervisor` renders them into a supervisord
configuration in the backend's run folder and runs it: in the foreground (`serve`) or in the
background (`start`, then `stop`). supervisord restarts a program that exits (with back-off
while it keeps failing to start), keeps one log per program, and answers `status` over an
owner-only unix socket (XML-RPC, also what `supervisorctl -c <run>/supervisord.conf` uses).

Each program runs under services.reaper, which stops whatever a killed program leaves
behind (nginx's workers, MMS's Python workers) before supervisord starts the next one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import time
import xmlrpc.client
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from supervisor.xmlrpc import SupervisorTransport

from models.artifacts import REPO_ROOT
from services import reaper
from services.config import write_private
from services.process import spawn, tree_pids, wait_until

START_RETRIES = 10
"""Starts in a row that may fail before supervisord gives a program up (FATAL); it waits
1 s longer before each retry."""
RPC_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Program:
    """One long-lived process of a backend, as supervisord runs it."""

    name: str
    command: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    """Added to the environment (kept off the command line: `ps` shows that to anyone)."""
    start_s: int = 1
    """Running this long counts as started; an earlier exit is retried with back-off."""
    stop_wait_s: int = 20
    """How long a program may take to stop after SIGTERM before the whole group is killed."""
    stale: tuple[Path, ...] = ()
    """Unix sockets it binds: removed before each start (a killed server leaves them)."""
    directory: Path | None = None
    """Its working directory; default the repository's root (where its reaper runs)."""


@dataclass(frozen=True)
class ProgramState:
    name: str
    state: str
    pid: int
    uptime_s: int
    restarts: int


def _quote(argument: str) -> str:
    """One argument for a supervisord `command=` line (shell-like splitting)."""
    if argument and not any(c in argument for c in " \t\"'\\%;#"):
        return argument
    return '"' + argument.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'


def _env_line(env: Mapping[str, str]) -> str:
    return ",".join(f'{key}="{_escape_env(value)}"' for key, value in env.items())


def _escape_env(value: str) -> str:
    if any(c in value for c in "\"\n,"):
        raise ValueError(f"cannot pass {value!r} through supervisord's environment")
    return value.replace("%", "%%")


def reaper_record(folder: Path, program: str) -> Path:
    """Where the reaper of `program` in the supervisor `folder` records its process group."""
    return folder / "reaper" / f"{program}.json"


@dataclass(frozen=True)
class Supervisor:
    folder: Path
    """The backend's run folder: configuration, socket, logs, the reapers' records."""
    programs: tuple[Program, ...]
    logs_to_stdout: bool = False
    """Every program's output on supervisord's own (`serve`: a terminal, a container's log),
    instead of a file per program."""

    @property
    def config_file(self) -> Path:
        return self.folder / "supervisord.conf"

    @property
    def socket(self) -> Path:
        return self.folder / "supervisor.sock"

    @property
    def log_dir(self) -> Path:
        return self.folder / "logs"

    @property
    def log(self) -> Path:
        """supervisord's own log: which program started, exited, was restarted, and when."""
        return self.log_dir / "supervisord.log"

    @property
    def pid_file(self) -> Path:
        return self.folder / "supervisord.pid"

    def program_log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def record(self, name: str) -> Path:
        return reaper_record(self.folder, name)

    def render(self) -> str:
        lines = [
            "; written by services/supervision.py at each start: edits are lost",
            "[unix_http_server]",
            f"file={self.socket}",
            "chmod=0700",
            "[supervisord]",
            f"logfile={self.log}",
            "logfile_maxbytes=10MB",
            f"pidfile={self.pid_file}",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface",
            "[supervisorctl]",
            f"serverurl=unix://{self.socket}",
        ]
        for program in self.programs:
            options = [f"--stale={path}" for path in program.stale]
            if program.directory is not None:
                options.append(f"--cwd={program.directory}")
            command = (sys.executable, "-m", "services.reaper", *options,
                       str(self.record(program.name)), "--", *program.command)  # fmt: skip
            lines += [
                f"[program:{program.name}]",
                f"command={' '.join(map(_quote, command))}",
                f"directory={REPO_ROOT}",
                "autorestart=true",
                f"startsecs={program.start_s}",
                f"startretries={START_RETRIES}",
                f"stopwaitsecs={program.stop_wait_s}",
                "killasgroup=true",  # the SIGKILL after stopwaitsecs takes the whole group
                "redirect_stderr=true",
                *self._output(program.name),
            ]
            if program.env:
                lines.append(f"environment={_env_line(program.env)}")
        return "\n".join(lines) + "\n"

    def _output(self, name: str) -> list[str]:
        if self.logs_to_stdout:
            return ["stdout_logfile=/dev/stdout", "stdout_logfile_maxbytes=0"]
        return [f"stdout_logfile={self.program_log(name)}", "stdout_logfile_maxbytes=10MB",
                "stdout_logfile_backups=3"]  # fmt: skip

    def _prepare(self) -> list[str]:
        self.stop_leftovers()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for program in self.programs:
            self.record(program.name).unlink(missing_ok=True)  # restarts count from here
        write_private(self.config_file, self.render())  # it may carry secrets (environment=)
        return [sys.executable, "-m", "supervisor.supervisord", "--nodaemon",
                "--configuration", str(self.config_file)]  # fmt: skip

    def serve(self) -> None:
        """supervisord in the foreground, in place of this process, the programs' output on
        its own."""
        command = dataclasses.replace(self, logs_to_stdout=True)._prepare()
        os.execv(command[0], command)

    def start(self, timeout_s: float = 30) -> None:
        """supervisord in the background, answering on its socket; does not wait for the
        programs (the backend knows what ready means)."""
        process = spawn(self._prepare(), self.log_dir / "supervisord.out")
        wait_until(self.answers, timeout_s, "supervisord", self.log, process)

    def rpc(self) -> xmlrpc.client.ServerProxy:
        transport = SupervisorTransport(serverurl=f"unix://{self.socket}")
        transport.timeout = RPC_TIMEOUT_S
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def answers(self) -> bool:
        try:
            return self.rpc().supervisor.getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Error):
            return False

    def states(self) -> list[ProgramState]:
        """What supervisord knows of each program; empty when it does not answer."""
        try:
            infos = self.rpc().supervisor.getAllProcessInfo()
        except (OSError, xmlrpc.client.Error):
            return []
        return [
            ProgramState(
                name=info["name"],
                state=info["statename"],
                pid=info["pid"],
                uptime_s=info["now"] - info["start"] if info["pid"] else 0,
                restarts=max(0, reaper.start_count(self.record(info["name"])) - 1),
            )
            for info in infos
        ]

    def pid(self, name: str) -> int | None:
        """The pid of a program's reaper (the program is its child), while it runs."""
        return next((s.pid for s in self.states() if s.name == name and s.pid), None)

    def pids(self) -> list[int]:
        """Every process the programs are now: each one's reaper and all it leads."""
        leaders = []
        for pid in (state.pid for state in self.states() if state.pid):
            with contextlib.suppress(psutil.Error):  # exited meanwhile
                leaders.append(psutil.Process(pid))
        return tree_pids(leaders)

    def running(self) -> bool:
        return any(state.pid for state in self.states())

    def stop(self) -> bool:
        """Stop every program and supervisord; also after supervisord itself was killed.
        False when nothing was running."""
        was_running = self.answers()
        if was_running:
            with contextlib.suppress(OSError, xmlrpc.client.Error):
                self.rpc().supervisor.shutdown()
            self._wait_gone(self._supervisord_pid(), max(p.stop_wait_s for p in self.programs))
        left = self.stop_leftovers()
        self.socket.unlink(missing_ok=True)
        return was_running or left > 0

    def stop_leftovers(self) -> int:
        """Stop every process group a program's reaper recorded: what a killed supervisord
        (or a killed reaper) left running."""
        return sum(reaper.stop_recorded(self.record(p.name), with_leader=True)
                   for p in self.programs)  # fmt: skip

    def _supervisord_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None

    @staticmethod
    def _wait_gone(pid: int | None, timeout_s: float) -> None:
        if pid is None:
            return
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(pid)
            deadline = time.monotonic() + timeout_s + 10
            while process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                if time.monotonic() > deadline:
                    process.kill()
                    break
                time.sleep(0.1)
