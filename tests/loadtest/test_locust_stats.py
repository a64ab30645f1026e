"""Locust's final stats file read back: every entry summed, quantiles as Locust reports them;
and a run that gets no answers counts its failures and logs their cause."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtest.figures import LoadRunError, LoadSettings
from loadtest.locust_run import read_final_stats, run_locust
from services.process import free_port


def entry(name: str, times: dict[str, int], failures: int, start: float, last: float) -> dict:
    """One request name's entry, as Locust's --json-file writes it (the fields read here)."""
    return {
        "name": name, "method": "POST", "num_requests": sum(times.values()),
        "num_failures": failures, "response_times": times,
        "start_time": start, "last_request_timestamp": last,
    }  # fmt: skip


def test_every_entry_is_summed_and_the_quantiles_span_them(tmp_path: Path) -> None:
    stats = tmp_path / "run.json"
    stats.write_text(json.dumps([
        entry("fizzbuzz v1 single", {"1": 90, "2": 5}, 1, start=100.0, last=104.0),
        entry("fizzbuzz v1 batch", {"40": 4, "7": 1}, 0, start=100.5, last=105.0),
    ]))  # fmt: skip
    figures = read_final_stats(stats)
    assert (figures.requests, figures.failures) == (100, 1)
    assert figures.requests_per_s == pytest.approx(100 / 5.0)
    assert (figures.p50_ms, figures.p95_ms, figures.p99_ms) == (1.0, 2.0, 40.0)


def test_a_run_without_requests_is_an_error(tmp_path: Path) -> None:
    stats = tmp_path / "run.json"
    stats.write_text(json.dumps([entry("fizzbuzz v1 single", {}, 0, 100.0, 100.0)]))
    with pytest.raises(LoadRunError, match="no requests"):
        read_final_stats(stats)


def test_requests_nobody_answers_are_failures_and_the_log_says_why(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = LoadSettings(users=1, spawn_rate=1, duration_s=1, model="fizzbuzz")
    figures = run_locust(url, settings, tmp_path / "refused", "refused")
    assert figures.requests > 0
    assert figures.failures == figures.requests
    log = (tmp_path / "refused_locust.log").read_text()
    assert f"{figures.failures} failed: POST fizzbuzz v1 single:" in log
    assert "Connection refused" in log
