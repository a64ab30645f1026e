"""Static checks of the Dockerfiles and docker-compose.yml: no Docker engine needed."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from models.artifacts import REPO_ROOT

DOCKERFILE = REPO_ROOT / "deploy" / "docker" / "Dockerfile"
STAGES = dict(re.findall(r"(?ms)^FROM \S+ AS ([\w-]+)\n(.*?)(?=^FROM |\Z)", DOCKERFILE.read_text()))
COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
BUILT = {name: service for name, service in SERVICES.items() if "build" in service}
"""Each image's own service; the profile `cluster` runs the same images again."""
CLUSTER = {name: service for name, service in SERVICES.items() if name not in BUILT}
SERVING = ("flask", "mms", "gateway", "redis")


def test_every_service_is_a_target_of_the_one_dockerfile() -> None:
    for name, service in BUILT.items():
        assert service["build"]["dockerfile"] == "deploy/docker/Dockerfile", name
        assert service["build"]["target"] == name, name
        assert name in STAGES, name


@pytest.mark.parametrize("service", sorted(BUILT))
def test_images_run_as_a_user_other_than_root(service: str) -> None:
    users = re.findall(r"(?m)^USER\s+(\S+)", STAGES[service])
    assert users, service
    assert users[-1] not in ("root", "0")


@pytest.mark.parametrize("service", SERVING)
def test_serving_images_have_a_healthcheck(service: str) -> None:
    assert "HEALTHCHECK" in STAGES[service]


def test_the_file_keeps_to_what_compose_1_29_reads() -> None:
    assert "version" not in COMPOSE
    assert "name" not in COMPOSE
    assert not any("deploy" in service for service in SERVICES.values())


def test_every_service_has_an_image_build_and_restart_policy() -> None:
    for name, service in BUILT.items():
        assert service["image"].startswith(f"polyserve/{name}:"), name
    for name, service in SERVICES.items():
        assert "restart" in service, name
        assert "mem_limit" in service, name


def test_the_cluster_profile_runs_the_images_the_file_builds() -> None:
    images = {service["image"] for service in BUILT.values()}
    assert {name for name in CLUSTER} == {
        *(f"redis-node-{index}" for index in range(6)),
        "redis-cluster-create", "init-cluster", "gateway-cluster",
    }  # fmt: skip
    for name, service in CLUSTER.items():
        assert service["image"] in images, name
        assert service["profiles"] == ["cluster"], name
    for index in range(6):  # each node announced by the name the others resolve
        node = SERVICES[f"redis-node-{index}"]
        assert node["hostname"] == f"redis-node-{index}"
        assert node["environment"]["REDIS_CLUSTER"] == "yes"
    nodes = SERVICES["redis-cluster-create"]["command"][2:]
    assert nodes == [f"redis-node-{index}:6379" for index in range(6)]


def test_only_inference_ports_and_prometheus_on_loopback_are_published() -> None:
    published = {name: service.get("ports", []) for name, service in SERVICES.items()}
    assert {name for name, ports in published.items() if ports} == {
        "flask", "mms", "gateway", "gateway-cluster", "prometheus"
    }  # fmt: skip
    assert [port.rsplit(":", 1)[1] for port in published["mms"]] == ["8080"]  # not 8081
    assert [port.split(":")[0] for port in published["prometheus"]] == ["127.0.0.1"]


def test_start_order_waits_for_health_and_the_init_job() -> None:
    for name in ("flask", "mms", "gateway"):
        assert SERVICES[name]["depends_on"]["init"] == {
            "condition": "service_completed_successfully"
        }
    assert SERVICES["gateway"]["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert SERVICES["init"]["depends_on"]["redis"] == {"condition": "service_healthy"}
    completed = {"condition": "service_completed_successfully"}
    assert SERVICES["init-cluster"]["depends_on"] == {
        "init": completed,
        "redis-cluster-create": completed,
    }
    assert SERVICES["gateway-cluster"]["depends_on"] == {"init-cluster": completed}
    assert all(
        dependency == {"condition": "service_healthy"}
        for dependency in SERVICES["locust"]["depends_on"].values()
    )


def test_locust_is_only_in_the_loadtest_profile() -> None:
    assert SERVICES["locust"]["profiles"] == ["loadtest"]
    default = [service for name, service in BUILT.items() if name != "locust"]
    assert all("profiles" not in service for service in default)


def test_the_redis_password_is_required_and_not_committed() -> None:
    text = (REPO_ROOT / "docker-compose.yml").read_text()
    assert "${REDIS_PASSWORD:?" in text
    example = (REPO_ROOT / ".env.example").read_text()
    assert re.search(r"(?m)^REDIS_PASSWORD=$", example)


@pytest.mark.parametrize(
    ("password", "refused"),
    [("", "not set"), ("change-me", "placeholder"), ("a b", "only")],
)
def test_redis_refuses_to_start_without_a_real_password(password: str, refused: str) -> None:
    """The container's entrypoint checks before it starts anything (run here with sh)."""
    result = subprocess.run(
        ["sh", str(REPO_ROOT / "deploy" / "docker" / "redis" / "entrypoint.sh")],
        env={"REDIS_PASSWORD": password, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert result.returncode == 1
    assert refused in result.stderr


def test_ports_are_published_on_this_machine_only_by_default() -> None:
    for name in ("flask", "mms", "gateway", "gateway-cluster"):
        [port] = SERVICES[name]["ports"]
        assert port.startswith("${POLYSERVE_PUBLISH_ADDRESS:-127.0.0.1}:"), port
    example = (REPO_ROOT / ".env.example").read_text()
    assert re.search(r"(?m)^POLYSERVE_PUBLISH_ADDRESS=127\.0\.0\.1$", example)
