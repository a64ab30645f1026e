"""The nginx front's configuration as rendered, without running it (but for `nginx -t`)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from services.contract.errors import MethodNotAllowed, PayloadTooLarge, error_response
from services.contract.protocol import MAX_BODY_BYTES, render
from services.mms import front
from services.mms.settings import MmsSettings


@pytest.fixture
def settings(tmp_path: Path) -> MmsSettings:
    return MmsSettings("onnxruntime", 28080, 28081, 1, tmp_path / "mms")


def answered(config: str, status: int) -> set[str]:
    """The bodies of every `return <status> '...';` in the config, unquoted."""
    quoted = re.findall(rf"return {status} '((?:[^'\\]|\\.)*)';", config)
    return {re.sub(r"\\(.)", r"\1", body) for body in quoted}


def test_the_bodies_nginx_answers_are_the_contract_s(settings: MmsSettings) -> None:
    config = settings.render_nginx_config()
    assert answered(config, 405) == {render(error_response(MethodNotAllowed())[1]).decode()}
    assert answered(config, 413) == {
        render(error_response(PayloadTooLarge(MAX_BODY_BYTES))[1]).decode()
    }
    [not_found] = answered(config, 404) - {front.error_bodies()["route_not_found"].strip("'")}
    assert not_found == (
        '{"code":404,"type":"ModelNotFoundException","message":"Model not found: ${model}"}'
    )
    assert f"client_max_body_size {MAX_BODY_BYTES};" in config


def test_nginx_strings_escape_quotes_and_refuse_variables() -> None:
    assert front.nginx_string(b"""{"a":"it's \\\\ here"}""") == """'{"a":"it\\'s \\\\\\\\ here"}'"""
    with pytest.raises(front.FrontError, match="variable"):
        front.nginx_string(b'{"message":"costs $5"}')
    assert front.nginx_string(b'{"m":"${model}"}', ("${model}",)) == """'{"m":"${model}"}'"""


def test_the_front_listens_where_asked(tmp_path: Path) -> None:
    settings = MmsSettings("onnxruntime", 28080, 28081, 1, tmp_path / "mms", host="::")
    assert "listen [::]:28080;" in settings.render_nginx_config()


def test_a_path_nginx_would_misread_is_refused(tmp_path: Path) -> None:
    settings = MmsSettings("onnxruntime", 28080, 28081, 1, tmp_path / "my run")
    with pytest.raises(front.FrontError, match="move the run folder"):
        settings.render_nginx_config()


def test_nginx_accepts_the_rendered_config(settings: MmsSettings) -> None:
    (settings.tmp_dir / "nginx").mkdir(parents=True)
    settings.log_dir.mkdir()
    settings.nginx_config.write_text(settings.render_nginx_config())
    command = [*front.command(settings.nginx_config, settings.tmp_dir / "nginx"), "-t", "-q"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr


def test_every_proxied_location_keeps_the_connection_to_mms_alive(
    settings: MmsSettings,
) -> None:
    """A location's own proxy_set_header replaces all of the server's, Connection too."""
    blocks = settings.render_nginx_config().split("location ")[1:]
    proxied = [block for block in blocks if "proxy_pass" in block.split("location ")[0]]
    assert len(proxied) == 4  # /ping, /models and the two /predictions locations
    for block in proxied:
        if "proxy_set_header" in block:
            assert 'proxy_set_header Connection "";' in block, block
