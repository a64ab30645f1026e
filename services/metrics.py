"""The metrics every backend exports, by the same names and labels (Prometheus text format).

Every serving process records into prometheus-client's multiprocess files (the folder in
PROMETHEUS_MULTIPROC_DIR, which each backend's launcher sets and empties before it starts):
gunicorn's and uvicorn's workers and MMS's Python workers alike, so one scrape sums them all
and a restarted worker's counts are kept (its files stay). Label values come from fixed sets
(the served models, the contract's status codes), so no client can add a series.

Process figures are the serving program's: every process of its process group (the program
and its workers, under services.reaper), summed. prometheus-client's own process collector
sees only the process that answers the scrape, one worker of several.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import functools
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.config import Settings

MULTIPROC_VAR = "PROMETHEUS_MULTIPROC_DIR"
UNKNOWN_MODEL = "_unknown"
"""The one label value every name outside the served models is counted under."""
OTHER_CODE = "other"
CODES = frozenset((200, 400, 404, 405, 408, 413, 414, 415, 431, 500, 503))
"""The statuses the contract answers with; anything else is counted as OTHER_CODE."""
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                   5.0, 10.0)  # fmt: skip
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
WRITE_EVERY_S = 0.01
"""How long a DeferredMetrics keeps what it recorded before it writes it."""

REQUESTS = Counter(
    "polyserve_requests",
    "Requests answered, by model, protocol and status code.",
    ("model", "protocol", "code"),
)
REQUEST_DURATION = Histogram(
    "polyserve_request_duration_seconds",
    "Time from a request's arrival at the server to its answer, by model.",
    ("model", "protocol"),
    buckets=LATENCY_BUCKETS,
)
MODEL_EXECUTION = Histogram(
    "polyserve_model_execution_seconds",
    "Time of one engine call (one batch), by model and engine.",
    ("model", "engine"),
    buckets=LATENCY_BUCKETS,
)
BATCH_SIZE = Histogram(
    "polyserve_batch_size",
    "Requests answered by one engine call, by model.",
    ("model",),
    buckets=BATCH_BUCKETS,
)
IN_FLIGHT = Gauge(
    "polyserve_requests_in_flight",
    "Requests being answered now.",
    multiprocess_mode="livesum",
)
MODEL_READY = "polyserve_model_ready"
MODEL_READY_HELP = (
    "1 when every serving process has the model loaded and answering its probe, else 0."
)
# Stored the other way round, and exported as MODEL_READY by RecordedMetrics: a process's
# first write of a series makes it 0 for a moment before the value (prometheus-client creates
# the series, then sets it), and a scrape in that moment read a worker at its start as "not
# ready" (seen in CI; 1 in 6 starts of a busy 2-core machine with a scraper watching). A 0
# here is "ready", which a process's own probe result then confirms or overturns.
MODEL_UNREADY_STORED = "polyserve_model_unready"
MODEL_UNREADY = Gauge(
    MODEL_UNREADY_STORED,
    "Not exported: 1 where a process's last probe of the model failed, 0 where it passed.",
    ("model",),
    multiprocess_mode="livemax",
)


class Labels:
    """Label values from fixed sets: the served models, the contract's status codes."""

    def __init__(self, models: Iterable[str]) -> None:
        self.models = frozenset(models)

    def model(self, name: str) -> str:
        return name if name in self.models else UNKNOWN_MODEL

    @staticmethod
    def code(status: int) -> str:
        return str(status) if status in CODES else OTHER_CODE


# Each series' children, looked up once: labels() costs about as much as the update it is
# for (docs/metrics.md, the cost per request). Bounded: every label value comes from a fixed
# set.
@functools.cache
def _request_series(model: str, protocol: str, code: str) -> tuple[Counter, Histogram]:
    return REQUESTS.labels(model, protocol, code), REQUEST_DURATION.labels(model, protocol)


@functools.cache
def _execution_series(model: str, engine: str) -> tuple[Histogram, Histogram]:
    return MODEL_EXECUTION.labels(model, engine), BATCH_SIZE.labels(model)


class ServerMetrics:
    """What one serving process records: its requests, its engine calls, its readiness."""

    def __init__(self, models: Iterable[str]) -> None:
        self.labels = Labels(models)

    def answered(self, model: str, protocol: str, status: int, seconds: float) -> None:
        name, code = self.labels.model(model), self.labels.code(status)
        count, duration = _request_series(name, protocol, code)
        count.inc()
        duration.observe(seconds)

    def executed(self, model: str, engine: str, requests: int, seconds: float) -> None:
        execution, batch_size = _execution_series(self.labels.model(model), engine)
        execution.observe(seconds)
        batch_size.observe(requests)

    def ready(self, model: str, ready: bool) -> None:
        MODEL_UNREADY.labels(self.labels.model(model)).set(0 if ready else 1)

    def flush(self) -> None:
        """Write what was recorded but not yet written (nothing here: it is written at once)."""

    @contextmanager
    def in_flight(self, requests: int = 1) -> Iterator[None]:
        IN_FLIGHT.inc(requests)
        try:
            yield
        finally:
            IN_FLIGHT.dec(requests)


class NoMetrics(ServerMetrics):
    """Records nothing: metrics switched off (POLYSERVE_METRICS=false)."""

    def answered(self, model: str, protocol: str, status: int, seconds: float) -> None:
        pass

    def executed(self, model: str, engine: str, requests: int, seconds: float) -> None:
        pass

    def ready(self, model: str, ready: bool) -> None:
        pass

    @contextmanager
    def in_flight(self, requests: int = 1) -> Iterator[None]:
        yield


def _observe_all(histogram: Histogram, amounts: list[float]) -> None:
    """`histogram.observe` of each amount, in one write to each bucket touched and one to the
    sum. prometheus-client has no public call for several observations; its (pinned)
    children keep the sum and a count per bucket (not cumulative)."""
    if len(amounts) == 1:
        histogram.observe(amounts[0])
        return
    histogram._sum.inc(sum(amounts))
    touched = collections.Counter(
        bisect.bisect_left(histogram._upper_bounds, amount) for amount in amounts
    )
    for bucket, observations in touched.items():
        histogram._buckets[bucket].inc(observations)


class DeferredMetrics(ServerMetrics):
    """An asyncio worker's recorder: what its requests record is kept in memory and written
    to the shared files at most WRITE_EVERY_S later, together. Written at once, the seven
    to nine writes a gateway request made cost a sixth of its CPU time; written every
    millisecond, a sixteenth; every 10 ms, nothing measurable (docs/metrics.md).

    So a scrape waits WRITE_EVERY_S (twice, for a busy loop's timer) before it reads: every
    request answered before it came is then counted. A worker stopping writes what it kept;
    one killed by SIGKILL loses at most its last WRITE_EVERY_S of records."""

    def __init__(self, models: Iterable[str]) -> None:
        super().__init__(models)
        # Unwritten: each request's seconds by its labels; each call's (requests, seconds).
        self.answers: dict[tuple[str, str, str], list[float]] = {}
        self.calls: dict[tuple[str, str], list[tuple[int, float]]] = {}
        self.in_flight_now = 0
        self.in_flight_written = 0
        self.flush_scheduled = False

    def answered(self, model: str, protocol: str, status: int, seconds: float) -> None:
        labels = (self.labels.model(model), protocol, self.labels.code(status))
        self.answers.setdefault(labels, []).append(seconds)
        self._flush_soon()

    def executed(self, model: str, engine: str, requests: int, seconds: float) -> None:
        self.calls.setdefault((self.labels.model(model), engine), []).append((requests, seconds))
        self._flush_soon()

    @contextmanager
    def in_flight(self, requests: int = 1) -> Iterator[None]:
        self.in_flight_now += requests
        self._flush_soon()
        try:
            yield
        finally:
            self.in_flight_now -= requests
            self._flush_soon()

    def _flush_soon(self) -> None:
        if not self.flush_scheduled:
            self.flush_scheduled = True
            asyncio.get_running_loop().call_later(WRITE_EVERY_S, self.flush)

    def flush(self) -> None:
        """Everything recorded since the last flush, into the shared files."""
        self.flush_scheduled = False
        answers, self.answers = self.answers, {}
        calls, self.calls = self.calls, {}
        for labels, seconds_each in answers.items():
            count, duration = _request_series(*labels)
            count.inc(len(seconds_each))
            _observe_all(duration, seconds_each)
        for labels, calls_each in calls.items():
            execution, batch_size = _execution_series(*labels)
            _observe_all(execution, [seconds for _, seconds in calls_each])
            _observe_all(batch_size, [requests for requests, _ in calls_each])
        if self.in_flight_now != self.in_flight_written:
            IN_FLIGHT.set(self.in_flight_now)
            self.in_flight_written = self.in_flight_now


def recorder(models: Iterable[str], deferred: bool = False) -> ServerMetrics:
    """A serving process's recorder for `models`, as the settings say: none when metrics are
    off; else every record written at once, or (`deferred`, an asyncio worker's) together
    with those of the next WRITE_EVERY_S."""
    if not Settings.load().metrics:
        return NoMetrics(models)
    return DeferredMetrics(models) if deferred else ServerMetrics(models)


async def deferred_records_written() -> None:
    """Until every DeferredMetrics of every process has written what it had recorded."""
    await asyncio.sleep(2 * WRITE_EVERY_S)


class ProgramProcesses(Collector):
    """Resident memory and CPU time of every process of one process group: the serving
    program and its workers (each supervised program is a group of its own). By default the
    group of the process answering the scrape."""

    def __init__(self, group: Callable[[], int | None] = lambda: os.getpgid(0)) -> None:
        self.group = group

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        group = self.group()
        if group is None:
            return  # the program is not running
        rss, cpu, count = 0, 0.0, 0
        for process in psutil.process_iter():
            try:
                if os.getpgid(process.pid) != group:
                    continue
                with process.oneshot():
                    rss += process.memory_info().rss
                    times = process.cpu_times()
                    cpu += times.user + times.system
                count += 1
            except (psutil.Error, ProcessLookupError):
                continue  # gone meanwhile
        yield GaugeMetricFamily(
            "process_resident_memory_bytes", "Resident memory of the program's processes.", rss
        )
        yield CounterMetricFamily(
            "process_cpu_seconds", "CPU time of the program's live processes.", cpu
        )
        yield GaugeMetricFamily("polyserve_processes", "The program's processes now.", count)


def reset(folder: Path) -> None:
    """An empty multiprocess folder, before a backend's programs start (never on a single
    program's restart: a restarted worker's counts must stay)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)


def forget_dead_processes(folder: Path) -> None:
    """Drop the live gauges of processes gone (in-flight, readiness): no hook tells us when
    an MMS worker dies, so the scrape checks each file's pid."""
    for path in folder.glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        if not psutil.pid_exists(pid):
            multiprocess.mark_process_dead(pid, str(folder))


def _sized(path: Path) -> bool:
    """Whether a process has sized its metrics file yet: it creates the file, then sizes it,
    and prometheus-client's reader raises on the empty file in between, failing the whole
    scrape (client_python issue 1199, open in the pinned 0.26). A process killed in between
    leaves it empty for good."""
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


class RecordedMetrics(Collector):
    """What every serving process recorded in the multiprocess folder, merged by
    prometheus-client (MultiProcessCollector.merge), the readiness turned the right way up
    (MODEL_UNREADY) and files not sized yet skipped (_sized)."""

    ATTEMPTS = 3

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def collect(self) -> Iterator[Metric]:
        for attempt in range(self.ATTEMPTS):
            files = [str(path) for path in self.folder.glob("*.db") if _sized(path)]
            try:
                merged = multiprocess.MultiProcessCollector.merge(files, accumulate=True)
                break
            except FileNotFoundError:  # a dead process's, removed by a scrape meanwhile
                if attempt == self.ATTEMPTS - 1:
                    raise
        for metric in merged:
            yield _ready(metric) if metric.name == MODEL_UNREADY_STORED else metric


def _ready(unready: Metric) -> GaugeMetricFamily:
    ready = GaugeMetricFamily(MODEL_READY, MODEL_READY_HELP, labels=("model",))
    for sample in unready.samples:
        ready.add_metric((sample.labels["model"],), 1 - sample.value)
    return ready


def exposition(
    processes: ProgramProcesses | None = None, extras: Iterable[Collector] = ()
) -> tuple[bytes, str]:
    """Every serving process's metrics, summed, the program's processes and a backend's
    own `extras`: (body, content type)."""
    registry = CollectorRegistry()
    folder = os.environ.get(MULTIPROC_VAR)
    if folder:
        forget_dead_processes(Path(folder))
        registry.register(RecordedMetrics(Path(folder)))
    registry.register(processes or ProgramProcesses())
    for collector in extras:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST
