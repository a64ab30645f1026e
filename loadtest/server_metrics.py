"""What a backend says it served during a run: its own request counter and latency histogram.

Read from the backend's GET /metrics (docs/metrics.md) before and after each run. Its request
count must agree with the load generator's: they may differ only by the requests in flight
when the run stopped (at most one per user or connection), else the run is refused. The
latency quantiles come from the histogram's buckets, interpolated within a bucket as
Prometheus's histogram_quantile does.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import requests
from prometheus_client.parser import text_string_to_metric_families

from loadtest.figures import RunFigures

REQUESTS = "polyserve_requests"
DURATION = "polyserve_request_duration_seconds"
Series = tuple[str, str]
"""(model, protocol)"""


class CountMismatch(RuntimeError):
    """The backend counted other requests than the load generator sent."""


@dataclass(frozen=True)
class Reading:
    answered: dict[Series, float]
    """Requests answered so far, every status code together."""
    buckets: dict[Series, dict[float, float]]
    """The latency histogram: upper bound (s) -> requests at most that long, cumulative."""


def read(url: str) -> Reading:
    answer = requests.get(f"{url}/metrics", timeout=10)
    answer.raise_for_status()
    counts: dict[Series, float] = defaultdict(float)
    buckets: dict[Series, dict[float, float]] = defaultdict(dict)
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            series = (sample.labels.get("model", ""), sample.labels.get("protocol", ""))
            if sample.name == f"{REQUESTS}_total":
                counts[series] += sample.value
            elif sample.name == f"{DURATION}_bucket":
                buckets[series][float(sample.labels["le"])] = sample.value
    return Reading(dict(counts), dict(buckets))


def quantile(cumulative: dict[float, float], q: float) -> float | None:
    """The q-quantile of a cumulative histogram, linear within its bucket (None if empty);
    in the +Inf bucket, the highest finite bound."""
    bounds = sorted(cumulative)
    total = cumulative[bounds[-1]] if bounds else 0
    if not total:
        return None
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound in bounds:
        count = cumulative[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            share = (rank - lower_count) / (count - lower_count) if count > lower_count else 1
            return lower_bound + (bound - lower_bound) * share
        lower_bound, lower_count = bound, count
    return lower_bound


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def with_server_figures(
    url: str, series: Series, in_flight: int, run: Callable[[], RunFigures]
) -> RunFigures:
    """`run`'s figures with the backend's own count and latency quantiles for `series`;
    CountMismatch when the two counts differ by more than `in_flight` (and the one probe a
    run may ask first, which the server counts and the load generator does not)."""
    before = read(url)
    figures = run()
    after = read(url)
    served = round(after.answered.get(series, 0) - before.answered.get(series, 0))
    if abs(served - figures.requests) > in_flight + 1:
        raise CountMismatch(
            f"{url} counted {served} requests of {series[0]} ({series[1]}), the load "
            f"generator {figures.requests}: more apart than the {in_flight} in flight"
        )
    earlier = before.buckets.get(series, {})
    spread = {le: n - earlier.get(le, 0) for le, n in after.buckets.get(series, {}).items()}
    return dataclasses.replace(
        figures,
        server_requests=served,
        server_p50_ms=_ms(quantile(spread, 0.5)),
        server_p99_ms=_ms(quantile(spread, 0.99)),
    )
