"""`python -m loadtest.front_cost`: the MMS backend with and without its nginx front, for
`loadtest variants` to measure what the front costs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests

from loadtest.front_cost import main
from services.config import LOCALHOST
from services.mms.settings import TCP_PORT_LIMIT
from services.process import free_port, serving

STARTUP_S = 300  # the archives are built first where missing


def test_direct_is_mms_itself_on_the_port(tmp_path: Path) -> None:
    port = free_port(below=TCP_PORT_LIMIT)
    url = f"http://{LOCALHOST}:{port}"
    command = [sys.executable, "-m", "loadtest.front_cost", "--port", str(port), "--serve",
               "direct"]  # fmt: skip
    env = {"POLYSERVE_RUN": str(tmp_path)}
    with serving(command, tmp_path / "direct.log", f"{url}/ping", env, STARTUP_S):
        predict = f"{url}/predictions/fizzbuzz"
        json_body = {"Content-Type": "application/json"}
        answer = requests.post(predict, data=b'{"input.1": 14}', headers=json_body, timeout=10)
        assert answer.json() == {"next_number": "FizzBuzz"}
        # A form-encoded body is MMS's to decode: behind the front nginx would have marked it
        # JSON, so this answer can only come from MMS reached on the port itself.
        form = requests.post(predict, data={"input.1": 14}, timeout=10)
        assert form.status_code == 400
        assert "without its nginx front" in form.json()["message"]
    assert (tmp_path / "front-cost" / "direct" / "mms").is_dir()


def test_a_port_mms_would_refuse_is_refused_first(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--port", str(TCP_PORT_LIMIT), "--serve", "direct"])
    assert exit_.value.code == 2
    assert f"--port must be below {TCP_PORT_LIMIT}" in capsys.readouterr().err
