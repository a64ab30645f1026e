"""The scripts the pods run, with sh and a stand-in redis-cli that records what it is asked
(the real one answers likewise: PONG, CLUSTER INFO's lines ending in \\r\\n)."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from models.artifacts import REPO_ROOT
from tests.k8s.manifests import SCRIPTS_DIR, main_container, objects, pod_spec

PASSWORD = "s3cret.pass_word-1"
IMAGE_SCRIPTS = {  # path in the redis image (deploy/docker/Dockerfile) -> its source
    "/usr/local/lib/polyserve/redis-create-cluster.sh":
        REPO_ROOT / "deploy" / "docker" / "redis" / "create-cluster.sh",
}  # fmt: skip
FRESH = "cluster_state:fail\r\ncluster_slots_assigned:0\r\ncluster_known_nodes:1\r\n"
FORMED = "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_known_nodes:6\r\n"
JOINING = "cluster_state:fail\r\ncluster_slots_assigned:16384\r\ncluster_known_nodes:6\r\n"
FAKE_CLI = """#!/bin/sh
echo "auth=$REDISCLI_AUTH $*" >> "$CALLS"
case "$*" in
  *PING*) echo PONG ;;
  *"CLUSTER INFO"*) printf '%s' "$CLUSTER_INFO" ;;
esac
"""


def script(overlay: str, config_map: str, name: str, tmp_path: Path) -> Path:
    path = tmp_path / name
    path.write_text(objects(overlay, "ConfigMap")[config_map]["data"][name])
    return path


def image_script(command: list[str], tmp_path: Path) -> list[str]:
    """The command with the redis image's script (IMAGE_SCRIPTS) taken from the repository."""
    local = []
    for argument in command:
        source = IMAGE_SCRIPTS.get(argument)
        if source is not None:
            argument = str(tmp_path / source.name)
            (tmp_path / source.name).write_text(source.read_text())
        local.append(argument)
    return local


def run(command: list[str], tmp_path: Path, **env: str) -> tuple[str, list[str]]:
    """Runs a container's command with its script from tmp_path; returns the output and
    the redis-cli calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "redis-cli").write_text(FAKE_CLI)
    (bin_dir / "redis-cli").chmod(0o755)
    calls = tmp_path / "calls"
    local = [str(tmp_path / Path(arg).name) if arg.startswith(SCRIPTS_DIR) else arg
             for arg in command]  # fmt: skip
    result = subprocess.run(
        local, capture_output=True, text=True, timeout=30, check=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "CALLS": str(calls), **env},
    )  # fmt: skip
    return result.stdout, calls.read_text().splitlines() if calls.exists() else []


def create_job_command(tmp_path: Path) -> list[str]:
    command = main_container(objects("cluster", "Job")["redis-cluster-create"])["command"]
    return image_script(command, tmp_path)


def test_the_create_job_forms_a_fresh_cluster_of_six_nodes(tmp_path: Path) -> None:
    command = create_job_command(tmp_path)
    _, calls = run(command, tmp_path, REDIS_PASSWORD=PASSWORD, CLUSTER_INFO=FRESH)
    hosts = [f"redis-cluster-{i}.redis-cluster" for i in range(6)]
    pings = [call for call in calls if call.endswith(" PING")]
    assert [shlex.split(call)[-4] for call in pings] == hosts  # -h HOST -p 6379 PING
    [create] = [shlex.split(call) for call in calls if "--cluster" in call]
    assert create == [f"auth={PASSWORD}", "--no-auth-warning", "--cluster", "create",
                      *[f"{host}:6379" for host in hosts],
                      "--cluster-replicas", "1", "--cluster-yes"]  # fmt: skip
    assert all(call.startswith(f"auth={PASSWORD} ") for call in calls)


@pytest.mark.parametrize("info", [FORMED, JOINING], ids=["formed", "nodes-known"])
def test_the_create_job_leaves_an_existing_cluster_alone(info: str, tmp_path: Path) -> None:
    output, calls = run(create_job_command(tmp_path), tmp_path, REDIS_PASSWORD=PASSWORD,
                        CLUSTER_INFO=info)  # fmt: skip
    assert not [call for call in calls if "--cluster" in call]
    assert "nothing to do" in output
    assert [call for call in calls if "CLUSTER INFO" in call] == [
        f"auth={PASSWORD} --no-auth-warning -h redis-cluster-0.redis-cluster -p 6379 CLUSTER INFO"
    ]


@pytest.mark.parametrize(("overlay", "asks_cluster"), [("single", False), ("cluster", True)])
def test_the_init_job_waits_for_redis_and_on_a_cluster_for_its_slots(
    overlay: str, asks_cluster: bool, tmp_path: Path
) -> None:
    script(overlay, "polyserve-scripts", "wait-for-redis.sh", tmp_path)
    [wait] = pod_spec(objects(overlay, "Job")["init"])["initContainers"]
    mode = objects(overlay, "ConfigMap")["redis-mode"]["data"]
    output, calls = run(wait["command"], tmp_path, REDIS_PASSWORD=PASSWORD,
                        CLUSTER_INFO=FORMED, **mode)  # fmt: skip
    assert calls[0] == f"auth={PASSWORD} --no-auth-warning -h redis -p 6379 PING"
    assert any("CLUSTER INFO" in call for call in calls) is asks_cluster
    assert "redis ready" in output


def test_the_backends_wait_for_the_artifacts(tmp_path: Path) -> None:
    script("single", "polyserve-scripts", "wait-for-artifacts.sh", tmp_path)
    [wait] = pod_spec(objects("single", "Deployment")["flask"])["initContainers"]
    jar = tmp_path / "polyserve-mms-plugin.jar"
    jar.touch()
    output, _ = run([*wait["command"][:-1], str(jar)], tmp_path)
    assert "artifacts ready" in output
    jar.unlink()
    with pytest.raises(subprocess.TimeoutExpired):  # still waiting, not failing
        subprocess.run(["sh", str(tmp_path / "wait-for-artifacts.sh"), str(jar)],
                       capture_output=True, timeout=1, check=False)  # fmt: skip
