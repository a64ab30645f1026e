"""services.config: one typed settings object, read once, checked, handed to children."""

from __future__ import annotations

import ast
import stat
from pathlib import Path

import pytest

from models.artifacts import REPO_ROOT
from services.config import ConfigError, Settings, ensure_secret, read_secret, variable
from services.redisai.server import RedisSettings

# Modules that read a variable themselves, and why it is not a polyserve setting.
OWN_VARIABLES = {
    "services/mms/handler.py": "MMS_DECODE_INPUT_REQUEST, set by MMS for its workers",
    "loadtest/locustfile.py": "what loadtest.locust_run tells the Locust processes it starts",
    "loadtest/peers/answering.py": "what loadtest.peers.launch tells the peer servers it starts",
    "services/metrics.py": "PROMETHEUS_MULTIPROC_DIR, prometheus-client's own",
}


def test_the_defaults_and_the_environment_s_values(
    clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings.load().flask_port == 5000
    monkeypatch.setenv("POLYSERVE_FLASK_PORT", "5123")
    monkeypatch.setenv("POLYSERVE_GATEWAY_WORKERS", "")  # compose's `${X:-}`: the default
    settings = Settings.load()
    assert (settings.flask_port, settings.gateway_workers, settings.run) == (5123, 1, clean)


def test_a_command_line_value_goes_over_the_environment_s(
    clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYSERVE_FLASK_PORT", "5123")
    assert Settings.load(flask_port=6000).flask_port == 6000
    assert Settings.load(flask_port=None).flask_port == 5123  # an option not given


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("POLYSERVE_FLASK_PORT", "abc", "valid integer"),
        ("POLYSERVE_GATEWAY_PORT", "70000", "less than or equal to 65535"),
        ("POLYSERVE_MMS_WORKERS", "17", "less than or equal to 16"),
        ("POLYSERVE_FLASK_WORKERS", "0", "greater than or equal to 1"),
        ("POLYSERVE_GATEWAY_COALESCE_ROWS", "-1", "greater than or equal to 0"),
        ("POLYSERVE_MMS_ENGINE", "tensorflow", "'onnxruntime' or 'mxnet'"),
        ("POLYSERVE_FLASK_BATCH_SIZE", "0", "greater than or equal to 1"),
        ("POLYSERVE_FLASK_BATCH_SIZE", "65", "less than or equal to 64"),
        ("POLYSERVE_FLASK_BATCH_SIZE", "four", "valid integer"),
        ("POLYSERVE_FLASK_BATCH_DELAY_MS", "-1", "greater than or equal to 0"),
        ("POLYSERVE_FLASK_BATCH_DELAY_MS", "1001", "less than or equal to 1000"),
        ("POLYSERVE_MMS_BATCH_SIZE", "0", "greater than or equal to 1"),
        ("POLYSERVE_MMS_BATCH_SIZE", "65", "less than or equal to 64"),
        ("POLYSERVE_MMS_BATCH_DELAY_MS", "-1", "greater than or equal to 0"),
        ("POLYSERVE_MMS_BATCH_DELAY_MS", "1001", "less than or equal to 1000"),
    ],
)
def test_a_bad_value_stops_the_process_naming_its_variable(
    clean: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        Settings.load()
    assert f"{variable}={value!r}" in str(refused.value)
    assert says in str(refused.value)


def test_a_relative_run_folder_is_taken_from_where_the_process_starts(
    clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(clean)
    monkeypatch.setenv("POLYSERVE_RUN", "here/run")
    assert Settings.load().run == clean / "here" / "run"


def test_a_replacement_is_checked_like_the_environment(clean: Path) -> None:
    settings = Settings.load()
    assert settings.replace(flask_workers=3).flask_workers == 3
    assert settings.flask_workers == 2  # frozen: the original is unchanged
    with pytest.raises(ConfigError, match="POLYSERVE_FLASK_WORKERS=65"):
        settings.replace(flask_workers=65)


def test_a_child_given_the_environment_reads_the_same_settings(
    clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings.load(gateway_port=8123, mms_token="t" * 32, mms_engine="mxnet")
    variables = settings.environment()
    assert "POLYSERVE_REDIS_URL" not in variables  # unset settings are not passed on as "None"
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert Settings.load() == settings
    assert settings.environment("gateway_port") == {"POLYSERVE_GATEWAY_PORT": "8123"}


def test_the_local_redis_password_is_made_at_the_first_start_not_before(clean: Path) -> None:
    settings = Settings.load()
    assert RedisSettings.from_settings(settings).password is None  # what `status` builds
    assert not settings.redis_password_file.exists()
    assert settings.gateway_redis_url() == "redis://127.0.0.1:6379/0"
    made = settings.ensure_redis_password()
    assert read_secret(settings.redis_password_file) == made
    assert settings.ensure_redis_password() == made
    assert RedisSettings.from_settings(settings).password == made
    assert settings.gateway_redis_url() == f"redis://:{made}@127.0.0.1:6379/0"


def test_a_given_redis_password_is_used_and_none_is_made(
    clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYSERVE_REDIS_PASSWORD", "given")
    settings = Settings.load()
    assert settings.ensure_redis_password() == "given"
    redis = RedisSettings.from_settings(settings)
    assert redis.password == "given"
    assert not settings.redis_password_file.exists()
    assert '"requirepass" "given"' in redis.config()


def test_every_setting_is_documented() -> None:
    documented = (REPO_ROOT / "docs" / "configuration.md").read_text()
    missing = [name for name in Settings.model_fields if f"`{variable(name)}`" not in documented]
    assert missing == []


def test_a_secret_is_made_once_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "test.secret"
    assert read_secret(path) is None
    made = ensure_secret(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_secret(path) == made == read_secret(path)


def environment_reads(path: Path) -> list[int]:
    """Lines where a module reads the environment itself (os.environ.get/[...], os.getenv)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if (
            isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.environ.get", "os.getenv")
        )
        or (isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ")
    ]


def test_no_module_reads_a_setting_from_the_environment_itself() -> None:
    """Settings come from services.config's object, never from a module's own lookup."""
    reads = {
        relative: lines
        for layer in ("services", "exporters", "loadtest")
        for path in sorted((REPO_ROOT / layer).rglob("*.py"))
        if "build" not in path.parts
        and (relative := str(path.relative_to(REPO_ROOT))) not in OWN_VARIABLES
        and (lines := environment_reads(path))
    }
    assert reads == {}
