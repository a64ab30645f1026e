"""The nginx front's configuration as rendered, without running it (but for `nginx -t`)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from services.contract import v2
from services.contract.errors import (
    MethodNotAllowed,
    PayloadTooLarge,
    RouteNotFound,
    error_response,
)
from services.contract.protocol import MAX_BODY_BYTES, render
from services.mms import front
from services.mms.handler import V2_CALL_HEADER, V2_VERSION_HEADER
from services.mms.settings import MmsSettings


@pytest.fixture
def settings(tmp_path: Path) -> MmsSettings:
    return MmsSettings("onnxruntime", 28080, 28081, 1, tmp_path / "mms")


def answered(config: str, status: int) -> set[str]:
    """The bodies of every `return <status> '...';` in the config, unquoted."""
    quoted = re.findall(rf"return {status} '((?:[^'\\]|\\.)*)';", config)
    return {re.sub(r"\\(.)", r"\1", body) for body in quoted}


def test_the_bodies_nginx_answers_are_each_protocol_s(settings: MmsSettings) -> None:
    config = settings.render_nginx_config()
    method, too_large = MethodNotAllowed(), PayloadTooLarge(MAX_BODY_BYTES)
    v2_too_large = PayloadTooLarge(v2.MAX_BODY_BYTES)
    assert answered(config, 405) == {v1_body(method), v2_body(method)}
    assert answered(config, 413) == {v1_body(too_large), v2_body(v2_too_large)}
    assert answered(config, 404) == {
        v1_body(RouteNotFound()),
        v2_body(RouteNotFound()),
        '{"code":404,"type":"ModelNotFoundException","message":"Model not found: ${model}"}',
        '{"error":"Model not found: ${model}"}',
        '{"error":"Model not found: ${model} version ${version}"}',
    }
    assert answered(config, 200) == {render(v2.SERVER_METADATA[1]).decode()}
    assert f"client_max_body_size {MAX_BODY_BYTES};" in config
    assert f"client_max_body_size {v2.MAX_BODY_BYTES};" in config


def v1_body(error: Exception) -> str:
    return render(error_response(error)[1]).decode()


def v2_body(error: Exception) -> str:
    return render(v2.error_reply(error)[1]).decode()


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


def proxied_locations(settings: MmsSettings) -> list[str]:
    blocks = settings.render_nginx_config().split("location ")[1:]
    return [block for block in blocks if "proxy_pass" in block]


def test_every_proxied_location_keeps_the_connection_to_mms_alive(
    settings: MmsSettings,
) -> None:
    """A location's own proxy_set_header replaces all of the server's, Connection too."""
    proxied = proxied_locations(settings)
    # /ping, /models, two /predictions; v2 live, ready, infer, metadata and model readiness
    assert len(proxied) == 8
    for block in proxied:
        if "proxy_set_header" in block:
            assert 'proxy_set_header Connection "";' in block, block


def test_only_the_front_says_which_v2_call_reaches_the_handler(settings: MmsSettings) -> None:
    """Every location that reaches the handler sets the call and version headers itself (an
    empty value drops a client's), so a client cannot make a v1 call look like v2's."""
    to_handler = [block for block in proxied_locations(settings) if "/predictions/" in block]
    assert len(to_handler) == 4
    for block in to_handler:
        assert f"proxy_set_header {V2_CALL_HEADER} " in block, block
    v2_calls = [block for block in to_handler if block.startswith('~ "^/v2/')]
    assert len(v2_calls) == 2
    for block in v2_calls:
        assert f"proxy_set_header {V2_VERSION_HEADER} $version;" in block, block
