"""The peers' configurations as rendered for them (TorchServe's config.properties and command
line, LitServe's server arguments), their venvs' install marker, and `compare --peers`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtest.compare import parse_args
from loadtest.peers import litserve, torchserve
from loadtest.peers.registry import PEERS
from loadtest.peers.venv import MARKER, ensure_venv, installed, requirements_hash

URLS = {"flask": "http://127.0.0.1:5000", "redisai": "http://127.0.0.1:8000"}


def properties(text: str) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in text.splitlines() if line and line[0] != "#"]
    return {key: value for key, value in pairs}


def test_torchserve_listens_on_loopback_without_token_or_model_api(tmp_path: Path) -> None:
    ports = torchserve.Ports(18080, 18081, 18082)
    config = torchserve.TorchServeConfig(workers=2, batch_size=8, max_batch_delay_ms=3)
    rendered = properties(
        torchserve.config_properties(config, ["fizzbuzz", "digits"], ports, tmp_path)
    )
    assert rendered["inference_address"] == "http://127.0.0.1:18080"
    assert rendered["management_address"] == "http://127.0.0.1:18081"
    assert rendered["metrics_address"] == "http://127.0.0.1:18082"
    assert rendered["model_store"] == str(tmp_path)
    assert rendered["load_models"] == "fizzbuzz,digits"
    assert rendered["disable_token_authorization"] == "true"
    assert rendered["enable_model_api"] == "false"
    assert rendered["disable_system_metrics"] == "true"
    assert rendered["enable_metrics_api"] == "false"
    assert rendered["decode_input_request"] == "false"  # the codec parses the raw JSON
    assert "-XX:+UseSerialGC" in rendered["vmargs"].split()  # as polyserve's MMS


def test_torchserve_sets_each_models_workers_and_batching(tmp_path: Path) -> None:
    config = torchserve.TorchServeConfig(workers=2, batch_size=8, max_batch_delay_ms=3)
    ports = torchserve.Ports(1, 2, 3)
    models = json.loads(
        properties(torchserve.config_properties(config, ["fizzbuzz", "digits"], ports, tmp_path))[
            "models"
        ]
    )
    assert set(models) == {"fizzbuzz", "digits"}
    for name, versions in models.items():
        [entry] = versions.values()
        assert entry["marName"] == name
        assert (entry["minWorkers"], entry["maxWorkers"]) == (2, 2)
        assert (entry["batchSize"], entry["maxBatchDelay"]) == (8, 3)


def test_torchserve_runs_in_the_foreground_with_no_snapshots_or_token(tmp_path: Path) -> None:
    command = torchserve.command(
        tmp_path / "venv", tmp_path / "c.properties", tmp_path / "store", tmp_path / "log.xml"
    )
    assert command[0] == str(tmp_path / "venv" / "bin" / "torchserve")
    for flag in ("--start", "--foreground", "--ncs", "--disable-token-auth"):
        assert flag in command
    assert command[command.index("--ts-config") + 1] == str(tmp_path / "c.properties")
    assert command[command.index("--log-config") + 1] == str(tmp_path / "log.xml")


def test_litserve_is_told_its_workers_batching_and_api_servers() -> None:
    config = litserve.LitServeConfig(workers=2, batch_size=8, batch_timeout_ms=1.5, api_servers=3)
    arguments = litserve.arguments(config, ["fizzbuzz", "digits"], 9000)

    def value(flag: str) -> str:
        return arguments[arguments.index(flag) + 1]

    assert arguments[:2] == ["-m", "loadtest.peers.litserve_server"]
    assert (value("--host"), value("--port"), value("--models")) == (
        "127.0.0.1",
        "9000",
        "fizzbuzz,digits",
    )
    assert (value("--workers"), value("--api-servers")) == ("2", "3")
    assert (value("--batch"), value("--batch-timeout-ms")) == ("8", "1.5")
    assert "--fast-queue" not in arguments
    zmq = litserve.LitServeConfig(workers=1, fast_queue=True)
    unbatched = litserve.arguments(zmq, ["digits"], 9000)
    assert "--batch-timeout-ms" not in unbatched
    assert unbatched[unbatched.index("--batch") + 1] == "1"
    assert "--fast-queue" in unbatched


def test_labels_say_the_configuration() -> None:
    assert torchserve.TorchServeConfig(workers=2).label == "torchserve 2w"
    batched = torchserve.TorchServeConfig(workers=2, batch_size=8, max_batch_delay_ms=1)
    assert batched.label == "torchserve 2w batch 8/1ms"
    assert litserve.LitServeConfig(workers=1).label == "litserve 1w 1api"
    assert (
        litserve.LitServeConfig(workers=1, batch_size=4, batch_timeout_ms=2, fast_queue=True).label
        == "litserve 1w 1api zmq batch 4/2ms"
    )


def test_each_peer_is_measured_batched_and_unbatched_under_its_own_labels() -> None:
    labels = [setup.label for peer in PEERS.values() for setup in peer.setups]
    assert len(labels) == len(set(labels))
    for name, peer in PEERS.items():
        own = [setup.label for setup in peer.setups]
        assert all(label.startswith(f"{name} ") for label in own)
        assert any("batch" in label for label in own)
        assert any("batch" not in label for label in own)


def test_a_venv_is_installed_again_only_when_its_requirements_change(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("nothing==1.0\n")
    folder = tmp_path / "venv"
    assert not installed(folder, requirements)
    folder.mkdir()
    (folder / MARKER).write_text(requirements_hash(requirements) + "\n")
    assert installed(folder, requirements)
    # Installed already: no venv is made and no pip runs (it would fail on this pin).
    assert ensure_venv(folder, requirements) == folder
    assert not (folder / "bin").exists()
    requirements.write_text("nothing==2.0\n")
    assert not installed(folder, requirements)


def test_compare_takes_peers_comma_separated() -> None:
    args = parse_args(["--peers", "litserve, torchserve", "--load", "wrk"], URLS)
    assert args.peers == ["litserve", "torchserve"]
    assert parse_args([], URLS).peers == []


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--peers", "torchserve,triton"], "--peers: choose from torchserve, litserve"),
        (["--peers", "litserve", "--protocols", "v2"], "(v1) only"),
    ],
)
def test_compare_refuses_unknown_peers_and_peers_without_v1(
    arguments: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(arguments, URLS)
    assert exited.value.code == 2
    assert complaint in capsys.readouterr().err
