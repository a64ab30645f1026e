"""Hundreds of idle and slow connections held open while a probe asks whether anyone else is
still served.

Three kinds of connection, each re-opened whenever the server closes it:

- idle: connects and sends nothing;
- slow-header: sends a request line, then one header byte every 1-2 s, never ending the head;
- slow-body: sends a whole head with `Content-Length: 1000` for POST /predictions/fizzbuzz,
  then one body byte every 1-2 s.

Meanwhile a probe sends a correct prediction every 100 ms, each on a fresh connection with a
1 s budget for connecting, sending and reading the whole answer (from a thread with its own
event loop, so this process's bookkeeping of the load does not delay it). A backend that
gives a thread to each connection until its request is complete (slowloris' target) runs
out of threads and stops answering the probe; one that times clients out, or does not spend
a thread on waiting, keeps answering. The load is held open first (all connections opened)
and the probe window starts after, so the numbers describe a server under the whole load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.hostile.fuzz import FIZZBUZZ_ANSWER, FIZZBUZZ_BODY, address_of, padded
from tests.hostile.wire import MalformedResponse, parse_response

KINDS = ("idle", "slow-header", "slow-body")
PROBE_REQUEST = (
    b"POST /predictions/fizzbuzz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(FIZZBUZZ_BODY), FIZZBUZZ_BODY)
)
SLOW_BODY_LENGTH = 1000
CONNECT_TIMEOUT_S = 5.0
RAMP_TIMEOUT_S = 15.0
# A server that closes connections at once (to make room) would otherwise have this process
# re-open them in a busy loop, and its own event loop's lag would then be what is measured.
REOPEN_PAUSE_S = (0.1, 0.3)
SPARE_DESCRIPTORS = 200  # the probe's sockets, the event loop's own, pytest's files


@dataclass(frozen=True)
class SlowLoad:
    """How many connections of each kind, for how long, and how the probe runs."""

    idle: int = 500
    slow_header: int = 500
    slow_body: int = 500
    duration_s: float = 30.0
    byte_interval_s: tuple[float, float] = (1.0, 2.0)
    probe_interval_s: float = 0.1
    probe_timeout_s: float = 1.0
    connect_concurrency: int = 100  # connects in flight at once while opening the load
    seed: int = 20261201

    def count(self, kind: str) -> int:
        return {"idle": self.idle, "slow-header": self.slow_header, "slow-body": self.slow_body}[
            kind
        ]

    @property
    def total(self) -> int:
        return self.idle + self.slow_header + self.slow_body


@dataclass
class KindStats:
    """What happened to one kind's connections."""

    opened: int = 0  # connections opened, the first ones and the re-opened ones
    reopened: int = 0  # opened again after the server closed (or answered) one
    closed_by_server: int = 0
    answered: Counter[str] = field(default_factory=Counter)  # status lines the server sent
    connect_failures: Counter[str] = field(default_factory=Counter)
    held: int = 0  # open right now
    held_samples: list[int] = field(default_factory=list)  # `held`, once a second

    def describe(self) -> str:
        held = self.held_samples or [self.held]
        answers = ", ".join(f"{status} x{n}" for status, n in self.answered.most_common(3))
        failures = sum(self.connect_failures.values())
        return (
            f"held {min(held)}-{max(held)}, opened {self.opened}, re-opened {self.reopened}, "
            f"closed by the server {self.closed_by_server}"
            + (f" (answered first: {answers})" if answers else "")
            + (f", connect failures {failures} {dict(self.connect_failures)}" if failures else "")
        )


@dataclass
class ProbeStats:
    """Every probe's latency and result: 'ok' or why not."""

    timeout_s: float
    latencies: list[float] = field(default_factory=list)
    results: Counter[str] = field(default_factory=Counter)

    @property
    def sent(self) -> int:
        return sum(self.results.values())

    @property
    def answered_in_time(self) -> int:
        return self.results["ok"]

    @property
    def answered_share(self) -> float:
        return self.answered_in_time / self.sent if self.sent else 0.0

    def percentile(self, q: float) -> float:
        """The q-th percentile (0-100) of all probes' latencies, a probe that got no correct
        answer counting as the whole timeout: a p99 at the timeout means >= 1 % failed."""
        if not self.latencies:
            return float("nan")
        if len(self.latencies) == 1:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[round(q) - 1]

    def record(self, result: str, latency: float) -> None:
        self.results[result] += 1
        self.latencies.append(latency if result == "ok" else self.timeout_s)


@dataclass
class SlowReport:
    """The probe's numbers and each kind's connection counts."""

    load: SlowLoad
    probes: ProbeStats
    kinds: dict[str, KindStats]
    ramp_s: float
    loop_lag_max_s: float  # how late this process's own event loop ran (its own overload)

    def summary(self) -> str:
        p = self.probes
        failures = {k: v for k, v in p.results.items() if k != "ok"}
        lines = [
            f"probes: {p.sent} sent, {p.answered_in_time} answered correctly within "
            f"{p.timeout_s:.0f} s ({p.answered_share:.1%}); p50 {p.percentile(50) * 1000:.0f} ms,"
            f" p99 {p.percentile(99) * 1000:.0f} ms"
            + (f"; failures {failures}" if failures else ""),
            f"load opened in {self.ramp_s:.1f} s; this process's event loop lag at most "
            f"{self.loop_lag_max_s * 1000:.0f} ms",
        ]
        lines += [
            f"{kind} x{self.load.count(kind)}: {s.describe()}" for kind, s in self.kinds.items()
        ]
        return "\n".join(lines)


def raise_nofile_limit(needed: int) -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit; fail clearly if even that
    is below `needed` (every held connection is a descriptor here)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    if soft != resource.RLIM_INFINITY and soft < needed:
        raise RuntimeError(f"RLIMIT_NOFILE is {soft}, below the {needed} descriptors needed")
    return soft


# ---------------------------------------------------------------------------------------
# The held connections


def opening_bytes(kind: str) -> bytes:
    """What a connection of `kind` sends as soon as it is open."""
    if kind == "slow-header":
        return b"POST /predictions/fizzbuzz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if kind == "slow-body":
        return (
            b"POST /predictions/fizzbuzz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Length: %d\r\n\r\n" % SLOW_BODY_LENGTH
        )
    return b""


def dripped_bytes(kind: str) -> Iterator[bytes]:
    """The bytes a connection of `kind` then sends one at a time: header lines that never
    end the head, or a correct body of SLOW_BODY_LENGTH bytes (never finished in time)."""
    if kind == "slow-header":
        lines = (b"X-Slow-%d: %d\r\n" % (i, i) for i in itertools.count())
        return (bytes([b]) for line in lines for b in line)
    if kind == "slow-body":
        return (bytes([b]) for b in padded(FIZZBUZZ_BODY, SLOW_BODY_LENGTH))
    return iter(())


async def drip(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    kind: str,
    interval: tuple[float, float],
    rng: random.Random,
) -> bytes:
    """Keep one connection going until the server closes or answers it (cancelled at the
    end of the load). Returns what the server sent before closing (b"" for a bare close)."""
    writer.write(opening_bytes(kind))
    stream = dripped_bytes(kind)
    while True:
        try:  # asyncio.timeout, not wait_for: 3.11's wait_for can swallow the final cancel
            async with asyncio.timeout(rng.uniform(*interval)):
                data = await reader.read(4096)
        except TimeoutError:
            piece = next(stream, b"")
            if piece:
                writer.write(piece)
                await writer.drain()
            continue
        return data


async def hold(
    kind: str,
    address: tuple[str, int],
    load: SlowLoad,
    stats: KindStats,
    connecting: asyncio.Semaphore,
    opened_once: asyncio.Event,
    rng: random.Random,
) -> None:
    """One slot of the load: a connection of `kind`, re-opened each time it ends."""
    while True:
        try:
            async with connecting, asyncio.timeout(CONNECT_TIMEOUT_S):
                reader, writer = await asyncio.open_connection(*address)
        except (OSError, TimeoutError) as error:
            stats.connect_failures[type(error).__name__] += 1
            await asyncio.sleep(rng.uniform(0.1, 0.5))
            continue
        stats.reopened += opened_once.is_set()  # this slot had a connection before
        stats.opened += 1
        opened_once.set()
        await _held(reader, writer, kind, load, stats, rng)
        await asyncio.sleep(rng.uniform(*REOPEN_PAUSE_S))


async def _held(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    kind: str,
    load: SlowLoad,
    stats: KindStats,
    rng: random.Random,
) -> None:
    """Count the connection as held while it lasts, and how the server ended it."""
    stats.held += 1
    try:
        sent_back = await drip(reader, writer, kind, load.byte_interval_s, rng)
    except OSError:  # reset, or a write after the server closed
        sent_back = b""
    finally:  # also when cancelled at the end of the load: then nothing more is counted
        stats.held -= 1
        writer.close()
    if sent_back:
        stats.answered[sent_back.split(b"\r\n", 1)[0][:40].decode("latin-1")] += 1
    stats.closed_by_server += 1


# ---------------------------------------------------------------------------------------
# The probe


async def probe_once(address: tuple[str, int], timeout: float) -> tuple[str, float]:
    """One correct prediction on a fresh connection: ('ok' or why not, seconds taken)."""
    start = time.monotonic()
    try:
        async with asyncio.timeout(timeout):
            result = await _ask(address)
    except TimeoutError:
        result = "timeout"
    except OSError as error:
        result = type(error).__name__
    return result, time.monotonic() - start


async def _ask(address: tuple[str, int]) -> str:
    reader, writer = await asyncio.open_connection(*address)
    try:
        writer.write(PROBE_REQUEST)
        received = b""
        while True:
            chunk = await reader.read(65536)
            received += chunk
            response = parse_response(received, eof=not chunk)
            if response is not None:
                ok = response.status == 200 and response.body == FIZZBUZZ_ANSWER
                return "ok" if ok else f"status {response.status}"
            if not chunk:
                return "closed without an answer"
    except MalformedResponse:
        return "not HTTP"
    finally:
        writer.close()


async def probe_for(address: tuple[str, int], load: SlowLoad, stats: ProbeStats) -> None:
    """Start a probe every `probe_interval_s` for `duration_s`, whatever the last one did,
    then wait for the stragglers (each is bounded by its own timeout)."""
    tasks = []
    start = time.monotonic()
    for n in itertools.count():
        due = start + n * load.probe_interval_s
        if due >= start + load.duration_s:
            break
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        tasks.append(asyncio.create_task(probe_once(address, load.probe_timeout_s)))
    for result, latency in await asyncio.gather(*tasks):
        stats.record(result, latency)


# ---------------------------------------------------------------------------------------
# The whole run


async def sample(kinds: dict[str, KindStats], lag: list[float]) -> None:
    """Once a second: each kind's held count; and how late this loop woke (its own lag)."""
    while True:
        before = time.monotonic()
        await asyncio.sleep(1.0)
        lag.append(time.monotonic() - before - 1.0)
        for stats in kinds.values():
            stats.held_samples.append(stats.held)


async def run_load(base_url: str, load: SlowLoad) -> SlowReport:
    """Open the whole load, probe for `duration_s` while holding it, then drop it all."""
    address = address_of(base_url)
    rng = random.Random(load.seed)
    kinds = {kind: KindStats() for kind in KINDS}
    connecting = asyncio.Semaphore(load.connect_concurrency)
    holders, firsts = [], []
    for kind in KINDS:
        for _ in range(load.count(kind)):
            opened = asyncio.Event()
            firsts.append(opened)
            slot_rng = random.Random(rng.random())
            holders.append(
                asyncio.create_task(
                    hold(kind, address, load, kinds[kind], connecting, opened, slot_rng)
                )
            )
    ramp_start = time.monotonic()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(RAMP_TIMEOUT_S):
            await asyncio.gather(*(e.wait() for e in firsts))
    ramp = time.monotonic() - ramp_start
    probes = ProbeStats(load.probe_timeout_s)
    lag: list[float] = []
    sampler = asyncio.create_task(sample(kinds, lag))
    try:  # in a thread with its own event loop: the load's loop lag does not delay it
        await asyncio.to_thread(asyncio.run, probe_for(address, load, probes))
    finally:
        for task in [sampler, *holders]:
            task.cancel()
        await asyncio.gather(sampler, *holders, return_exceptions=True)
    return SlowReport(load, probes, kinds, ramp, max(lag, default=0.0))


def hold_slow_clients(base_url: str, load: SlowLoad) -> SlowReport:
    """Run the load against a backend (raising the descriptor limit first)."""
    raise_nofile_limit(load.total + SPARE_DESCRIPTORS)
    return asyncio.run(run_load(base_url, load))


def main(argv: list[str] | None = None) -> int:
    """Hold slow clients against a running backend and print the report."""
    parser = argparse.ArgumentParser(prog="python -m tests.hostile.slow_clients")
    parser.add_argument("url")
    parser.add_argument("--each", type=int, default=500, help="connections of each kind")
    parser.add_argument("--duration", type=float, default=30.0)
    args = parser.parse_args(argv)
    load = SlowLoad(args.each, args.each, args.each, args.duration)
    report = hold_slow_clients(args.url, load)
    print(report.summary())
    return 0 if report.probes.answered_share >= 0.99 else 1


if __name__ == "__main__":
    sys.exit(main())
