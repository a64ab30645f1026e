"""The manifests against docker-compose.yml, the Dockerfile and the code: the same images,
ports, commands, variables and limits, and probes on routes the backends really serve."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from services.config import Settings, variable
from tests.k8s.manifests import (
    COMPOSE,
    HELPER_WORKLOADS,
    OVERLAYS,
    REPO_ROOT,
    SERVICES_OF,
    compose_bytes,
    compose_image,
    compose_value,
    containers,
    copied_paths,
    cores,
    dockerfile_stages,
    env_names,
    exposed_ports,
    image_env,
    k8s_bytes,
    main_container,
    objects,
    workloads,
)
from tests.k8s.routes import PATHS

REDIS_SCRIPTS = [REPO_ROOT / "deploy" / "docker" / "redis" / name
                 for name in ("entrypoint.sh", "healthcheck.sh")]  # fmt: skip
CLUSTER_BUS_OFFSET = 10000  # Redis Cluster's bus: the client port + 10000
OVERLAY_NAMES = sorted(OVERLAYS)


def serving(overlay: str) -> list[tuple[str, dict[str, Any]]]:
    """(compose service, main container) of every workload that runs a compose service."""
    return [(SERVICES_OF[kind, name], main_container(item))
            for kind, name, item in workloads(overlay) if (kind, name) in SERVICES_OF]  # fmt: skip


def env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container.get("env", [])}


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_each_overlay_runs_every_compose_service_of_the_stack(overlay: str) -> None:
    found = {(kind, name) for kind, name, _ in workloads(overlay)}
    assert found <= SERVICES_OF.keys() | HELPER_WORKLOADS  # none left unchecked below
    assert {SERVICES_OF[key] for key in found & SERVICES_OF.keys()} == {
        "init", "redis", "flask", "mms", "gateway"
    }  # fmt: skip


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_images_are_composes_with_its_default_tag(overlay: str) -> None:
    images = {compose_image(service) for service in COMPOSE}
    for _, name, item in workloads(overlay):
        for container in containers(item):
            assert container["image"] in images, (name, container["image"])
            assert container.get("imagePullPolicy") != "Always"  # kind-loaded images
    for service, container in serving(overlay):
        assert container["image"] == compose_image(service) == f"polyserve/{service}:local"


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_container_ports_are_the_dockerfiles_and_composes(overlay: str) -> None:
    for service, container in serving(overlay):
        ports = {port["containerPort"] for port in container.get("ports", [])}
        expected = exposed_ports(service) if service != "init" else set()
        if env(container).get("REDIS_CLUSTER", {}).get("value") == "yes":
            expected |= {port + CLUSTER_BUS_OFFSET for port in exposed_ports(service)}
        assert ports == expected, service
        published = {int(str(port).rsplit(":", 1)[1]) for port in COMPOSE[service].get("ports", [])}
        assert published <= ports, service


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_http_probes_ask_routes_the_backend_serves(overlay: str) -> None:
    for service, container in serving(overlay):
        if service not in PATHS:
            continue
        served = PATHS[service]()
        port_names = {port.get("name") for port in container["ports"]}
        probes = {kind: container[kind]["httpGet"]
                  for kind in ("startupProbe", "readinessProbe", "livenessProbe")}  # fmt: skip
        for kind, probe in probes.items():
            assert probe["path"] in served, (service, kind, probe["path"])
            assert probe["port"] in port_names, (service, kind)
        # Ready: the contract's /ping (every model answers its probe); live: answering at all.
        assert probes["readinessProbe"]["path"] == "/ping"
        assert probes["livenessProbe"]["path"] == "/v2/health/live"
        assert {"/ping", "/v2/health/live", "/v2/health/ready"} <= served


def healthcheck_command(stage: str) -> list[str]:
    match = re.search(r"(?ms)^HEALTHCHECK .*?CMD (\[.*?\])$", dockerfile_stages()[stage])
    assert match, stage
    return json.loads(match[1])


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_redis_probes_run_the_images_own_healthcheck(overlay: str) -> None:
    [container] = [container for service, container in serving(overlay) if service == "redis"]
    command = healthcheck_command("redis")
    assert command[-1] in copied_paths("redis")
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[kind]["exec"]["command"] == command, kind


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_variables_and_values_are_composes(overlay: str) -> None:
    """Every variable compose gives a service, with compose's default; a required one
    (${X:?...}) comes from the Secret's key X or is built from it."""
    for service, container in serving(overlay):
        given = env(container)
        for name, value in COMPOSE[service].get("environment", {}).items():
            assert name in given, (service, name)
            expected = compose_value(value)
            if re.fullmatch(r"\$\((\w+)\)", expected):
                assert given[name]["valueFrom"]["secretKeyRef"]["key"] == expected[2:-1]
            else:
                assert given[name].get("value") == expected, (service, name)


def read_by_redis_image(name: str) -> bool:
    return any(re.search(rf"\b{name}\b", path.read_text()) for path in REDIS_SCRIPTS)


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_every_variable_is_one_something_reads(overlay: str) -> None:
    """POLYSERVE_* are settings (services/config.py); REDIS* are read by the redis image's
    scripts (or redis-cli); any other only feeds a $(NAME) reference in the same container."""
    settings = {variable(name) for name in Settings.model_fields}
    for _, workload, item in workloads(overlay):
        for container in containers(item):
            names = env_names(container, overlay)
            values = " ".join(str(entry.get("value", "")) for entry in container.get("env", []))
            for name in names:
                if name.startswith("POLYSERVE_"):
                    assert name in settings, (workload, name)
                elif name.startswith("REDIS"):
                    assert read_by_redis_image(name), (workload, name)
                else:
                    assert f"$({name})" in values, (workload, name)


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_references_name_a_variable_defined_before_them(overlay: str) -> None:
    """Kubernetes leaves `$(NAME)` as it is when NAME is not defined earlier in `env`."""
    for _, workload, item in workloads(overlay):
        for container in containers(item):
            defined: list[str] = []
            for entry in container.get("env", []):
                for name in re.findall(r"\$\((\w+)\)", str(entry.get("value", ""))):
                    assert name in defined, (workload, entry["name"], name)
                defined.append(entry["name"])
            for arg in container.get("command", []) + container.get("args", []):
                assert not re.findall(r"\$\((\w+)\)", arg), (workload, arg)


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_limits_are_composes_mem_limit_and_cpus(overlay: str) -> None:
    for service, container in serving(overlay):
        limits = container["resources"]["limits"]
        assert k8s_bytes(limits["memory"]) == compose_bytes(COMPOSE[service]["mem_limit"])
        if "cpus" in COMPOSE[service]:
            assert cores(limits["cpu"]) == float(compose_value(COMPOSE[service]["cpus"]))
        else:
            assert "cpu" not in limits, service
    for _, workload, item in workloads(overlay):
        for container in containers(item):
            resources = container["resources"]
            assert k8s_bytes(resources["requests"]["memory"]) <= k8s_bytes(
                resources["limits"]["memory"]), workload  # fmt: skip
            if "cpu" in resources["limits"]:
                assert cores(resources["requests"]["cpu"]) <= cores(resources["limits"]["cpu"])


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_volumes_are_mounted_where_compose_mounts_them(overlay: str) -> None:
    for service, container in serving(overlay):
        mounts = {mount["mountPath"]: mount for mount in container.get("volumeMounts", [])}
        for volume in COMPOSE[service].get("volumes", []):
            path, *mode = volume.split(":")[1:]
            assert path in mounts, (service, volume)
            assert mounts[path].get("readOnly", False) == (mode == ["ro"]), (service, volume)


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_the_artifacts_volume_is_where_the_images_look_for_it(overlay: str) -> None:
    """POLYSERVE_ARTIFACTS of the Python images, in every container that mounts the claim."""
    wanted = image_env("python")["POLYSERVE_ARTIFACTS"]
    mounted = 0
    for _, workload, item in workloads(overlay):
        claims = {
            volume["name"]
            for volume in item["spec"]["template"]["spec"].get("volumes", [])
            if volume.get("persistentVolumeClaim", {}).get("claimName") == "artifacts"
        }
        for container in containers(item):
            for mount in container.get("volumeMounts", []):
                if mount["name"] in claims:
                    assert mount["mountPath"] == wanted, workload
                    mounted += 1
    assert mounted == 5  # the init job; flask and mms, and their waiting init containers


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_the_init_job_runs_composes_command(overlay: str) -> None:
    job = objects(overlay, "Job")["init"]
    assert main_container(job)["command"] == COMPOSE["init"]["command"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
