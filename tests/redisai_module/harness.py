"""Test harness for the RedisAI-protocol module: servers, a raw RESP client, TorchScript models.

The module under test is services/redisai/module/build/redisai.so (built on demand), or the
file named by REDISAI_MODULE_PATH (the sanitizer run points it at build/asan/redisai.so and sets
REDISAI_LD_PRELOAD to the sanitizer runtime). Every server runs in a pytest tmp dir on a free
port and is shut down by its fixture; its log is checked for sanitizer reports.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import time
from pathlib import Path

import redis
import torch

from services.process import free_port

REPO = Path(__file__).resolve().parents[2]
MODULE_DIR = REPO / "services" / "redisai" / "module"
DEFAULT_MODULE = MODULE_DIR / "build" / "redisai.so"
SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "runtime error:",
    "ERROR: LeakSanitizer",
    "crashed by signal",
)


def module_path() -> Path:
    env = os.environ.get("REDISAI_MODULE_PATH")
    if env:
        return Path(env)
    if not DEFAULT_MODULE.exists():
        subprocess.run(["make", "-C", str(MODULE_DIR), "-j2"], check=True)
    return DEFAULT_MODULE


class Server:
    """One redis-server with the module loaded."""

    def __init__(self, workdir: Path, module_args=(), extra=(), port: int | None = None):
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.module_args = list(module_args)
        self.extra = list(extra)
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None
        self.log = self.dir / "redis.log"

    def start(self, expect_fail: bool = False) -> Server:
        cmd = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.dir),
            "--logfile",
            str(self.log),
            "--save",
            "",
            "--enable-debug-command",
            "yes",
            "--loadmodule",
            str(module_path()),
            *map(str, self.module_args),
            *self.extra,
        ]
        env = dict(os.environ)
        preload = os.environ.get("REDISAI_LD_PRELOAD")
        if preload:
            env["LD_PRELOAD"] = preload
            env.setdefault(
                "ASAN_OPTIONS",
                "detect_leaks=0:detect_container_overflow=0:abort_on_error=0",
            )
            env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        with open(self.dir / "stderr.log", "ab") as out:  # the child keeps its own copy
            self.proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                if expect_fail:
                    return self
                raise RuntimeError(f"redis-server exited early:\n{self.log_text()}")
            if self._pong():
                if expect_fail:
                    raise RuntimeError("redis-server started but was expected to fail")
                return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not become ready")

    def _pong(self) -> bool:
        try:
            raw = Raw(self.port, timeout=2)
        except OSError:
            return False
        try:
            return raw.call("PING") == "PONG"
        except (OSError, ConnectionError, ValueError):
            return False
        finally:
            raw.close()

    def client(self, **kw) -> redis.Redis:
        kw.setdefault("protocol", 2)
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=60, **kw)

    def log_text(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        err = self.dir / "stderr.log"
        return text + (err.read_text(errors="replace") if err.exists() else "")

    def stop(self, save: bool = False) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                raw = Raw(self.port, timeout=30)
                raw.send("SHUTDOWN", "SAVE" if save else "NOSAVE")
                with contextlib.suppress(OSError, ConnectionError):
                    raw.read()  # the server closes the connection once it exits
                raw.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.returncode = self.proc.returncode
        self.proc = None
        text = self.log_text()
        for marker in SANITIZER_MARKERS:
            assert marker not in text, f"sanitizer report in server log:\n{text[-4000:]}"


class RespError(Exception):
    """An error reply, with its exact text (redis-py would drop an "ERR " prefix)."""


class Raw:
    """Minimal RESP2 client so tests can compare error texts byte for byte."""

    def __init__(self, port: int, timeout: float = 60):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self) -> None:
        self.sock.close()

    def send(self, *args) -> None:
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, (int, float)):
                a = str(a).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(parts))

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2 :]
        return data

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode(errors="backslashreplace")
        if kind == b"-":
            return RespError(rest.decode(errors="backslashreplace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ValueError(f"bad reply line {line!r}")

    def call(self, *args):
        self.send(*args)
        return self.read()

    def error(self, *args) -> str:
        reply = self.call(*args)
        assert isinstance(reply, RespError), f"expected an error, got {reply!r}"
        return str(reply)


def script_blob(module: torch.nn.Module) -> bytes:
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(module), buf)
    return buf.getvalue()


class TwoInTwoOut(torch.nn.Module):
    def forward(self, a, b):
        return a + b, a * b


class ListOut(torch.nn.Module):
    def forward(self, a):
        return [a, a * 2, a * 3]


class BatchReveal(torch.nn.Module):
    """Each output element is the batch size the model actually saw."""

    def forward(self, x):
        return x * 0 + x.size(0)


class DropsBatch(torch.nn.Module):
    def forward(self, x):
        return x.sum(0)


class Slow(torch.nn.Module):
    """Runs n matrix products: lets a test keep a worker busy for a while."""

    def forward(self, x, n):
        y = x
        for _ in range(int(n.item())):
            y = torch.mm(y, x) / 300.0
        return y


class HalfOut(torch.nn.Module):
    def forward(self, x):
        return x.half()


class NoTensorOut(torch.nn.Module):
    def forward(self, x):
        return 3
