"""services/metrics.py in processes of its own, as serving workers use it: label values from
fixed sets, and one scrape summing every process's files, a killed one's counts kept and its
live gauges dropped. Fast: no server, a few short Python processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from models.artifacts import REPO_ROOT
from services.metrics import MULTIPROC_VAR, OTHER_CODE, UNKNOWN_MODEL, Labels
from tests.metrics.scrape import Key, Scrape, parse

# Records a request of each kind, then stays in flight until its input ends.
RECORDER = textwrap.dedent("""
    import sys
    from services.metrics import ServerMetrics
    metrics = ServerMetrics(["fizzbuzz"])
    metrics.answered("fizzbuzz", "v1", 200, 0.003)
    metrics.answered("a-name-never-served", "v2", 404, 0.001)
    metrics.answered("fizzbuzz", "v1", 299, 0.001)
    metrics.executed("fizzbuzz", "torchscript", 3, 0.002)
    metrics.ready("fizzbuzz", True)
    with metrics.in_flight():
        print("recorded", flush=True)
        sys.stdin.read()
""")
SCRAPER = "from services.metrics import exposition; print(exposition()[0].decode())"


def python(folder: Path, code: str, **options: object) -> subprocess.Popen:
    env = {**os.environ, MULTIPROC_VAR: str(folder)}
    command = [sys.executable, "-c", code]
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env, text=True, **options)


def scrape_folder(folder: Path) -> Scrape:
    scraper = python(folder, SCRAPER, stdout=subprocess.PIPE)
    output, _ = scraper.communicate(timeout=60)
    assert scraper.returncode == 0
    return parse(output)


def test_label_values_come_from_fixed_sets() -> None:
    labels = Labels(["fizzbuzz", "digits"])
    assert [labels.model(name) for name in ("digits", "Digits", "", "../x")] == [
        "digits", UNKNOWN_MODEL, UNKNOWN_MODEL, UNKNOWN_MODEL,
    ]  # fmt: skip
    assert [labels.code(status) for status in (200, 404, 413, 299, 502, 0)] == [
        "200", "404", "413", OTHER_CODE, OTHER_CODE, OTHER_CODE,
    ]  # fmt: skip


def test_one_scrape_sums_every_process_and_forgets_the_dead_ones_gauges(tmp_path: Path) -> None:
    finished = python(tmp_path, RECORDER, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    finished.communicate(timeout=60)
    running = python(tmp_path, RECORDER, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert running.stdout is not None
        assert running.stdout.readline() == "recorded\n"
        live = scrape_folder(tmp_path)
    finally:
        running.kill()
        running.wait()
    killed = scrape_folder(tmp_path)

    for scrape in (live, killed):  # counts of every process, the killed one's too
        requests = scrape.sums("polyserve_requests_total", ("model", "protocol", "code"))
        assert requests == {
            ("fizzbuzz", "v1", "200"): 2,
            (UNKNOWN_MODEL, "v2", "404"): 2,
            ("fizzbuzz", "v1", OTHER_CODE): 2,
        }
        assert scrape.value("polyserve_batch_size_sum", model="fizzbuzz") == 6
        assert (
            scrape.value(
                "polyserve_model_execution_seconds_count", model="fizzbuzz", engine="torchscript"
            )
            == 2
        )
    # Live gauges: the running process's only, then nobody's.
    assert live.value("polyserve_requests_in_flight") == 1
    assert live.value("polyserve_model_ready", model="fizzbuzz") == 1
    assert killed.value("polyserve_requests_in_flight") == 0
    assert "polyserve_model_ready" not in {name for name, _ in killed.values}


def alive(folder: Path, code: str) -> subprocess.Popen:
    """A process that runs `code`, then stays alive until its input ends."""
    process = python(
        folder, f"{code}\nprint('done', flush=True)\nimport sys; sys.stdin.read()",
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdout.readline() == "done\n"
    return process


def test_readiness_is_every_live_process_s_last_probe_and_a_series_being_created_is_none(
    tmp_path: Path,
) -> None:
    """A process creating its readiness series (the moment before it writes its probe's
    result) does not make the model read as not ready; one process whose probe failed does."""
    imported = "from services import metrics\n"
    creating = imported + "metrics.MODEL_UNREADY.labels('fizzbuzz')"

    def probed(ready: bool) -> str:
        return imported + f"metrics.ServerMetrics(['fizzbuzz']).ready('fizzbuzz', {ready})"

    processes = [alive(tmp_path, probed(True)), alive(tmp_path, creating)]
    try:
        created = scrape_folder(tmp_path)
        processes.append(alive(tmp_path, probed(False)))
        failed = scrape_folder(tmp_path)
    finally:
        for process in processes:
            process.kill()
            process.wait()
    assert created.value("polyserve_model_ready", model="fizzbuzz") == 1
    assert failed.value("polyserve_model_ready", model="fizzbuzz") == 0
    for scrape in (created, failed):
        assert scrape.families["polyserve_model_ready"].type == "gauge"
        assert not any(name.startswith("polyserve_model_unready") for name, _ in scrape.values)


def test_a_file_its_process_has_not_sized_yet_is_skipped(tmp_path: Path) -> None:
    """A process creates its file, then sizes it; killed in between, it leaves it empty."""
    python(tmp_path, RECORDER, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE).communicate(
        timeout=60
    )
    for name in ("counter_99999.db", "histogram_99999.db", "gauge_livesum_99999.db"):
        (tmp_path / name).touch()
    scrape = scrape_folder(tmp_path)
    requests = scrape.sums("polyserve_requests_total", ("model", "protocol", "code"))
    assert requests[("fizzbuzz", "v1", "200")] == 1


# The same records through the gateway's recorder: written together, a moment later.
DEFERRED_RECORDER = textwrap.dedent("""
    import asyncio
    from services.metrics import DeferredMetrics, deferred_records_written, exposition

    async def main():
        metrics = DeferredMetrics(["fizzbuzz"])
        with metrics.in_flight(3):
            metrics.answered("fizzbuzz", "v1", 200, 0.003)
            metrics.answered("a-name-never-served", "v2", 404, 0.001)
            metrics.answered("fizzbuzz", "v1", 299, 0.001)
            metrics.executed("fizzbuzz", "torchscript", 3, 0.002)
            print("unwritten", "polyserve_requests_total" in exposition()[0].decode())
            await deferred_records_written()
            print("in flight:", [line for line in exposition()[0].decode().splitlines()
                                 if line.startswith("polyserve_requests_in_flight ")])

    asyncio.run(main())
""")


def histograms_and_counters(scrape: Scrape) -> dict[Key, float]:
    """Every request, duration, execution and batch series: what the two recorders share."""
    return {
        (name, labels): value
        for (name, labels), value in scrape.values.items()
        if name.startswith(("polyserve_requests_total", "polyserve_request_duration",
                            "polyserve_model_execution", "polyserve_batch_size"))
    }  # fmt: skip


def test_the_deferred_recorder_writes_what_the_direct_one_does_a_moment_later(
    tmp_path: Path,
) -> None:
    direct, deferred = tmp_path / "direct", tmp_path / "deferred"
    direct.mkdir(), deferred.mkdir()
    python(direct, RECORDER, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE).communicate(
        timeout=60
    )
    recorder = python(deferred, DEFERRED_RECORDER, stdout=subprocess.PIPE)
    output, _ = recorder.communicate(timeout=60)
    assert recorder.returncode == 0
    assert output.splitlines() == [
        "unwritten False",  # nothing written at once
        "in flight: ['polyserve_requests_in_flight 3.0']",
    ]
    expected = histograms_and_counters(scrape_folder(direct))
    assert len(expected) > 30  # every bucket of the four histograms
    assert histograms_and_counters(scrape_folder(deferred)) == expected


def test_with_metrics_off_nothing_is_recorded(tmp_path: Path) -> None:
    env_off = {**os.environ, MULTIPROC_VAR: str(tmp_path), "POLYSERVE_METRICS": "false"}
    code = RECORDER.replace("ServerMetrics([", "recorder([").replace(
        "import ServerMetrics", "import recorder"
    )
    off = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env_off, input="", text=True,
        capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    assert off.stdout == "recorded\n"
    scrape = scrape_folder(tmp_path)
    names = {name for name, _ in scrape.values if name.startswith("polyserve_")}
    # The in-flight gauge exists from the import on (the scraper's own, at 0).
    assert names == {"polyserve_processes", "polyserve_requests_in_flight"}
    assert scrape.value("polyserve_requests_in_flight") == 0
    assert scrape.value("process_resident_memory_bytes") > 0
