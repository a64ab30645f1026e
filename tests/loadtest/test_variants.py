"""`python -m loadtest variants`: one server in several variants, side by side."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from models.artifacts import REPO_ROOT

pytestmark = pytest.mark.load

SERVER = "python -m services.redisai.gateway --app noop --port {port}"


def variants(*arguments: str, run: Path) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "loadtest", "variants", "--server", SERVER, "--rounds", "2",
        "--duration", "1", "--connections", "2", *arguments,
    ]  # fmt: skip
    env = {"PATH": "/usr/bin:/bin", "POLYSERVE_RUN": str(run)}
    return subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_each_variant_gets_a_row_of_its_rounds_against_the_first(tmp_path: Path) -> None:
    result = variants("one:", f"two@{REPO_ROOT}:POLYSERVE_GATEWAY_WORKERS=1", run=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line.split(" | ") for line in result.stdout.splitlines() if line.startswith("| ")]
    assert [row[0] for row in rows[2:]] == ["| one", "| two"]
    assert rows[2][-1] == "1.00x |"
    for row in rows[2:]:
        assert float(row[1].replace(",", "")) > 0
        assert len(row[2].split(", ")) == 2  # both rounds
        stolen = [float(share) for share in row[3].split(", ")]  # the machine's, each round
        assert len(stolen) == 2
        assert all(0 <= share < 100 for share in stolen)
        assert float(row[4].replace(",", "")) > 0  # the server's CPU time per request
    assert (tmp_path / "variants" / "two.log").exists()


def test_a_variant_runs_with_its_environment(tmp_path: Path) -> None:
    result = variants("broken:POLYSERVE_GATEWAY_WORKERS=none", run=tmp_path)
    assert result.returncode != 0
    assert "POLYSERVE_GATEWAY_WORKERS" in (tmp_path / "variants" / "broken.log").read_text()


def test_a_warmup_loads_each_server_before_its_measured_run(tmp_path: Path) -> None:
    result = variants("one:", "--warmup", "1", run=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[round 1] one warm-up" in result.stderr
    assert "[round 2] one warm-up" in result.stderr
    assert "(after 1 s of warm-up)" in result.stdout
