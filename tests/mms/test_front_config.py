"""The nginx front's configuration as rendered, without running it (but for `nginx -t`); and
what it shares with the Flask backend's front."""

from __future__ import annotations

import dataclasses
import re
import runpy
import stat
import subprocess
from pathlib import Path

import pytest

from models.artifacts import REPO_ROOT
from models.spec import InvalidInput
from services import nginx
from services.config import Settings
from services.contract import v2
from services.contract.errors import (
    MethodNotAllowed,
    PayloadTooLarge,
    RouteNotFound,
    error_body,
    error_response,
)
from services.contract.protocol import MAX_BODY_BYTES, render
from services.flask import front as flask_front
from services.mms import front
from services.mms.handler import AGAIN_HEADER, V2_CALL_HEADER, V2_VERSION_HEADER
from services.mms.settings import MmsSettings, read_properties

TOKEN = "0123456789abcdef" * 2


@pytest.fixture
def settings(tmp_path: Path) -> MmsSettings:
    return MmsSettings("onnxruntime", 28080, 28081, 1, tmp_path / "mms")


def answered(config: str, status: int) -> set[str]:
    """The bodies of every `return <status> '...';` in the config, unquoted."""
    quoted = re.findall(rf"return {status} '((?:[^'\\]|\\.)*)';", config)
    return {re.sub(r"\\(.)", r"\1", body) for body in quoted}


def test_the_bodies_nginx_answers_are_each_protocol_s(settings: MmsSettings) -> None:
    config = settings.render_nginx_config(TOKEN)
    method, too_large = MethodNotAllowed(), PayloadTooLarge(MAX_BODY_BYTES)
    v2_too_large = PayloadTooLarge(v2.MAX_BODY_BYTES)
    management_too_large = PayloadTooLarge(front.MANAGEMENT_MAX_BODY)
    assert answered(config, 405) == {v1_body(method), v2_body(method)}  # nginx's, and MMS's
    assert answered(config, 413) == {
        v1_body(too_large),
        v2_body(v2_too_large),
        v1_body(management_too_large),
    }
    assert answered(config, 401) == {
        render(error_body(401, "Unauthorized", front.UNAUTHORIZED)).decode()
    }
    assert answered(config, 400) == {
        v1_body(InvalidInput(message))
        for message in (front.BAD_NAME, front.BAD_QUERY, front.UNNAMED)
    } | {
        render(error_body(400, "BadRequest", message)).decode()
        for message in (nginx.MALFORMED, nginx.BAD_TRANSFER_ENCODING, nginx.BAD_VERSION)
    }
    assert answered(config, 414) == {
        render(error_body(414, "URITooLong", nginx.URI_TOO_LONG)).decode()
    }
    assert answered(config, 431) == {
        render(error_body(431, "RequestHeaderFieldsTooLarge", nginx.HEADERS_TOO_LARGE)).decode()
    }
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
    assert nginx.nginx_string(b"""{"a":"it's \\\\ here"}""") == """'{"a":"it\\'s \\\\\\\\ here"}'"""
    with pytest.raises(nginx.FrontError, match="variable"):
        nginx.nginx_string(b'{"message":"costs $5"}')
    assert nginx.nginx_string(b'{"m":"${model}"}', ("${model}",)) == """'{"m":"${model}"}'"""


def test_the_front_listens_where_asked_and_management_on_loopback(tmp_path: Path) -> None:
    settings = MmsSettings("onnxruntime", 28080, 28081, 1, tmp_path / "mms", host="::")
    listens = re.findall(r"^\s*listen (\S+);", settings.render_nginx_config(TOKEN), re.M)
    assert listens == ["[::]:28080", "127.0.0.1:28081"]


def test_a_path_nginx_would_misread_is_refused(tmp_path: Path) -> None:
    settings = MmsSettings("onnxruntime", 28080, 28081, 1, tmp_path / "my run")
    with pytest.raises(nginx.FrontError, match="move the run folder"):
        settings.render_nginx_config(TOKEN)


def test_nginx_accepts_the_rendered_config(settings: MmsSettings) -> None:
    (settings.front_temp_dir).mkdir(parents=True)
    settings.log_dir.mkdir()
    settings.write_nginx_config()
    command = [*nginx.command(settings.nginx_config, settings.front_temp_dir), "-t", "-q"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr


def render_flask_config(tmp_path: Path) -> str:
    return flask_front.render_config(
        host="127.0.0.1",
        port=28082,
        socket=tmp_path / "gunicorn.sock",
        temp_dir=tmp_path / "nginx",
        pid_file=tmp_path / "nginx.pid",
    )


def test_nginx_accepts_the_flask_front_s_rendered_config(tmp_path: Path) -> None:
    config = tmp_path / "nginx.conf"
    config.write_text(render_flask_config(tmp_path))
    (tmp_path / "nginx").mkdir()
    command = [*nginx.command(config, tmp_path / "nginx"), "-t", "-q"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr


def test_nginx_closes_its_idle_connections_to_gunicorn_before_gunicorn_does(
    tmp_path: Path,
) -> None:
    """Else a request nginx sends on a connection gunicorn is closing that moment is lost."""
    upstream = re.search(r"upstream gunicorn \{(.*?)\}", render_flask_config(tmp_path), re.S)
    assert upstream is not None
    nginx_idle = re.search(r"keepalive_timeout (\d+)s;", upstream.group(1))
    assert nginx_idle is not None
    gunicorn = runpy.run_path(str(REPO_ROOT / "services" / "flask" / "gunicorn.conf.py"))
    assert int(nginx_idle.group(1)) < gunicorn["keepalive"]


def test_both_fronts_render_the_shared_part_around_their_own(tmp_path: Path) -> None:
    """services/nginx-front.conf, rendered once, holds each front's own http-block part."""
    mms = MmsSettings("onnxruntime", 28080, 28081, 1, tmp_path / "mms")
    mms_config = front.render_config(
        host="127.0.0.1",
        port=28080,
        socket=mms.socket,
        management_port=28081,
        management_socket=mms.management_socket,
        metrics_socket=mms.metrics_socket,
        token=TOKEN,
        temp_dir=tmp_path / "nginx",
        pid_file=tmp_path / "nginx.pid",
        access_log=tmp_path / "access.log",
    )
    values = nginx.front_values(temp_dir=tmp_path / "nginx", pid_file=tmp_path / "nginx.pid")
    before, after = nginx.render_template(nginx.FRONT, {**values, "http": "\0"}).split("\0")
    for config in (render_flask_config(tmp_path), mms_config):
        assert config.startswith(before)
        assert config.endswith(after)
        assert config.count("client_body_temp_path") == config.count("\nevents {") == 1
    assert "http {" in before
    assert f"client_max_body_size {MAX_BODY_BYTES};" in before


def test_a_value_of_several_lines_keeps_its_placeholder_s_indentation(tmp_path: Path) -> None:
    template = tmp_path / "template.conf"
    template.write_text("a {\n    {{lines}}\n    b {{word}};\n}\n")
    rendered = nginx.render_template(template, {"lines": "x;\n\ny;", "word": "w"})
    assert rendered == "a {\n    x;\n\n    y;\n    b w;\n}\n"
    with pytest.raises(nginx.FrontError, match=r"unknown placeholder \{\{word\}\}"):
        nginx.render_template(template, {"lines": ""})


def test_the_token_is_made_once_owner_only_and_only_in_the_config(settings: MmsSettings) -> None:
    settings.folder.mkdir(parents=True)
    settings.nginx_config.write_text("an earlier, world-readable config")
    settings.nginx_config.chmod(0o644)
    assert settings.management_token is None  # none before the first start
    settings.write_nginx_config()
    token = settings.management_token
    assert token is not None
    assert re.fullmatch("[0-9a-f]{32}", token)  # secrets.token_hex(16): 128 random bits
    settings.write_nginx_config()
    assert settings.management_token == token  # kept across starts
    for private in (settings.folder / "management.token", settings.nginx_config):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600, private
    assert f'"{token}"' in settings.nginx_config.read_text()
    assert token not in settings.render_config()


def test_the_environment_gives_the_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    given = "given-token-of-enough-characters.~+/_"
    monkeypatch.setenv("POLYSERVE_MMS_TOKEN", given)
    settings = MmsSettings.from_settings(Settings.load(run=tmp_path))
    settings.write_nginx_config()
    assert settings.management_token == given
    assert not (settings.folder / "management.token").exists()
    assert f'"{given}"' in settings.nginx_config.read_text()


@pytest.mark.parametrize(
    "token", ["short", "a" * 31, "a" * 32 + "$x", "a" * 32 + '"', "a" * 32 + " b", "a" * 32 + "\n"]
)
def test_a_token_nginx_cannot_compare_as_is_is_refused(token: str) -> None:
    with pytest.raises(nginx.FrontError, match="management token"):
        front.bearer_token(token)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("fizzbuzz", True),
        ("fizzbuzz_batched", True),
        ("Model-2.v1", True),
        ("0", True),
        ("a..b", True),  # a name, not a dot segment
        ("b" * 64, True),
        ("a" * 65, False),
        ("", False),
        (".hidden", False),
        ("..", False),
        ("../../x", False),
        ("a/b", False),
        ("a%2fb", False),
        ("a\r\nb", False),
        ("a b", False),
        ("a+b", False),
        ("naïve", False),
    ],
)
def test_the_model_name_pattern(name: str, valid: bool) -> None:
    assert bool(re.fullmatch(front.MODEL_NAME, name)) is valid


@pytest.mark.parametrize(
    ("query", "valid"),
    [
        ("", True),
        ("url=fizzbuzz.mar&model_name=fizzbuzz_again&initial_workers=1&synchronous=true", True),
        ("url=f.mar&model_name=f&batch_size=8&max_batch_delay=20&response_timeout=60", True),
        ("min_worker=3&max_worker=3&synchronous=false", True),
        ("limit=10&next_page_token=2", True),
        ("url=http://127.0.0.1/x.mar&model_name=x", False),
        ("url=https%3A%2F%2Fexample.com%2Fx.mar&model_name=x", False),
        ("url=../x.mar&model_name=x", False),
        ("url=a..b.mar&model_name=x", False),
        ("url=..mar&model_name=x", False),
        ("url=x&model_name=x", False),
        ("url=.x.mar&model_name=x", False),
        ("url=x.mar&model_name=.x", False),
        ("url=x.mar&model_name=a%0d%0ab", False),
        ("url=x.mar&model_name=" + "a" * 65, False),
        ("url=x.mar&url=http://x/y.mar", False),
        ("URL=http://x/y.mar", False),
        ("url=x.mar;url=http://x/y.mar", False),
        ("url=x.mar&handler=os:system", False),
        ("url=x.mar&runtime=python2", False),
        ("min_worker=-1", False),
        ("min_worker=1&", False),
        ("&min_worker=1", False),
        ("min_worker", False),
        ("synchronous=yes", False),
    ],
)
def test_the_management_query_pattern(query: str, valid: bool) -> None:
    assert bool(re.fullmatch(front.management_query(), query)) is valid


def locations(settings: MmsSettings) -> list[str]:
    """Each location's text, from its name to the next location (comments included)."""
    return re.split(r"^\s*location ", settings.render_nginx_config(TOKEN), flags=re.M)[1:]


def proxied_locations(settings: MmsSettings) -> list[str]:
    return [block for block in locations(settings) if "proxy_pass http" in block]


def test_every_proxied_location_keeps_the_connection_to_mms_alive(
    settings: MmsSettings,
) -> None:
    """A location's own proxy_set_header replaces all of the server's, Connection too."""
    proxied = proxied_locations(settings)
    # /ping, /metrics, /models, two /predictions; v2 live, ready, infer, metadata and model
    # readiness; the handler asked again for its 400, v1 and v2; management's /models and
    # /models/{name} (their proxy_set_header is the server's)
    assert len(proxied) == 13
    for block in proxied:
        if "proxy_set_header" in block:
            assert 'proxy_set_header Connection "";' in block, block


def test_only_the_front_says_which_v2_call_reaches_the_handler(settings: MmsSettings) -> None:
    """Every location that reaches the handler sets the call and version headers itself (an
    empty value drops a client's), so a client cannot make a v1 call look like v2's."""
    to_handler = [block for block in proxied_locations(settings) if "/predictions/" in block]
    assert len(to_handler) == 6
    for block in to_handler:
        assert f"proxy_set_header {V2_CALL_HEADER} " in block, block
        assert f"proxy_set_header {V2_VERSION_HEADER} $version;" in block, block
    v2_calls = [block for block in to_handler if block.startswith(('~ "^/v2/', "@v2_"))]
    assert len(v2_calls) == 3
    for block in v2_calls:
        assert f'proxy_set_header {V2_CALL_HEADER} "";' not in block, block


PASSING_ON = {"proxy_set_header", "proxy_method", "proxy_pass", "rewrite"}  # and their order


def passing_on(block: str) -> list[str]:
    """How a location passes a request on: its proxy and rewrite lines, in order."""
    lines = [line.split("#")[0].strip() for line in block.splitlines()]
    return [line for line in lines if line.split(" ")[0] in PASSING_ON]


@pytest.mark.parametrize("call", ["v1", "v2"])
def test_nginx_s_own_400_is_the_contract_s_and_the_handler_s_is_asked_again(
    settings: MmsSettings, call: str
) -> None:
    """A route that intercepts MMS's errors sends its 400s to a named location: nginx's own
    (no upstream status yet) become the contract's BadRequest; for the handler's, the request
    is passed on again exactly as the route passed it, and that 400 is not intercepted."""
    blocks = locations(settings)
    route = next(b for b in blocks if f"error_page 400 = @{call}_bad_request;" in b)
    again = next(b for b in blocks if b.startswith(f"@{call}_bad_request "))
    assert "proxy_intercept_errors on;" in route
    assert "recursive_error_pages on;" in route
    malformed = re.escape(nginx.bad_request(nginx.MALFORMED))
    assert re.search(rf'if \(\$upstream_status = ""\) {{\s+return 400 {malformed};', again)
    first, second = passing_on(route), passing_on(again)
    asked_again = f"proxy_set_header {AGAIN_HEADER}"
    assert [line for line in second if not line.startswith(asked_again)] == [
        line for line in first if not line.startswith(asked_again)
    ] != []
    assert f'{asked_again} "";' in first  # a client cannot say it was asked again
    assert f"{asked_again} 1;" in second  # the handler counts the request once
    assert not re.search(r"error_page [^;]*\b400\b", again)


def test_every_location_that_intercepts_mms_s_errors_takes_its_400s(
    settings: MmsSettings,
) -> None:
    """Else nginx's own 400 there (a chunked body it cannot decode) is its HTML page."""
    intercepting = [
        block
        for block in locations(settings)
        if "proxy_intercept_errors on;" in block and not block.startswith("@")
    ]
    assert len(intercepting) == 3  # v1 and v2 infer, v2 metadata and readiness
    for block in intercepting:
        assert re.search(r"error_page 400 ", block), block


def test_direct_port_puts_mms_own_inference_api_on_tcp(settings: MmsSettings) -> None:
    """Only for loadtest/front_cost.py: MMS itself on a port, no front between."""
    assert read_properties(settings.render_config())["inference_address"] == (
        f"unix:{settings.socket}"
    )
    direct = dataclasses.replace(settings, direct_port=21234)
    assert read_properties(direct.render_config())["inference_address"] == (
        "http://127.0.0.1:21234"
    )
