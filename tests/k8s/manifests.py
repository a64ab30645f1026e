"""The rendered manifests of deploy/k8s and what they are checked against: docker-compose.yml,
the Dockerfile, the documented Secret."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from models.artifacts import REPO_ROOT
from tests.k8s.kustomize import Object, render

K8S = REPO_ROOT / "deploy" / "k8s"
OVERLAYS = {name: K8S / "overlays" / name for name in ("single", "cluster")}
DOCS = REPO_ROOT / "docs" / "kubernetes.md"
DOCKERFILE = REPO_ROOT / "deploy" / "docker" / "Dockerfile"
COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())["services"]
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")
# Each workload that runs a compose service, by (kind, name): the compose service.
SERVICES_OF = {
    ("Job", "init"): "init",
    ("Deployment", "flask"): "flask",
    ("Deployment", "mms"): "mms",
    ("Deployment", "gateway"): "gateway",
    ("StatefulSet", "redis"): "redis",
    ("StatefulSet", "redis-cluster"): "redis",
}
HELPER_WORKLOADS = {("Job", "redis-cluster-create")}  # no compose counterpart
SCRIPTS_DIR = "/usr/local/lib/polyserve/k8s"  # where the script ConfigMaps are mounted


@cache
def rendered(overlay: str) -> tuple[Object, ...]:
    return tuple(render(OVERLAYS[overlay]))


def objects(overlay: str, kind: str) -> dict[str, Object]:
    return {item["metadata"]["name"]: item for item in rendered(overlay) if item["kind"] == kind}


def workloads(overlay: str) -> Iterator[tuple[str, str, Object]]:
    """(kind, name, object) of every Deployment, StatefulSet and Job."""
    for item in rendered(overlay):
        if item["kind"] in WORKLOAD_KINDS:
            yield item["kind"], item["metadata"]["name"], item


def pod_spec(workload: Object) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def pod_labels(workload: Object) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"]["labels"]


def containers(workload: Object, init: bool = True) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return (spec.get("initContainers", []) if init else []) + spec["containers"]


def main_container(workload: Object) -> dict[str, Any]:
    [container] = pod_spec(workload)["containers"]
    return container


def compose_image(service: str) -> str:
    """compose's image of a service, with its default tag (`local`)."""
    return re.sub(r"\$\{POLYSERVE_TAG:-([^}]+)\}", r"\1", COMPOSE[service]["image"])


def compose_value(value: object) -> str:
    """A compose value with each variable's default filled in, and each required variable
    (`${X:?...}`: a secret) written as Kubernetes writes a reference to it, `$(X)`."""
    text = str(value)
    text = re.sub(r"\$\{(\w+):\?[^}]*\}", r"$(\1)", text)
    return re.sub(r"\$\{\w+:?-([^}]*)\}", r"\1", text)


def env_names(container: dict[str, Any], overlay: str) -> list[str]:
    """Every variable a container gets: its env, then its ConfigMaps' keys."""
    names = [variable["name"] for variable in container.get("env", [])]
    maps = objects(overlay, "ConfigMap")
    for source in container.get("envFrom", []):
        names += list(maps[source["configMapRef"]["name"]]["data"])
    return names


def dockerfile_stages() -> dict[str, str]:
    text = DOCKERFILE.read_text()
    return dict(re.findall(r"(?ms)^FROM \S+ AS ([\w-]+)\n(.*?)(?=^FROM |\Z)", text))


def exposed_ports(stage: str) -> set[int]:
    return {int(port) for port in re.findall(r"(?m)^EXPOSE\s+(\d+)", dockerfile_stages()[stage])}


def image_env(stage: str) -> dict[str, str]:
    """The ENV of a stage (the `python` stage's for the Python images)."""
    found = re.findall(r"(?m)^ENV ((?:.*\\\n)*.*)$", dockerfile_stages()[stage])
    pairs = re.findall(r"(\w+)=(\S+)", " ".join(found).replace("\\\n", " "))
    return dict(pairs)


def copied_paths(stage: str) -> set[str]:
    """Where a stage's COPY instructions put files."""
    lines = re.findall(r"(?m)^COPY\s+(.*)$", dockerfile_stages()[stage])
    return {line.split()[-1] for line in lines}


def size(value: str, units: dict[str, int]) -> int:
    """A number with one of `units`' suffixes (or none), in bytes."""
    match = re.fullmatch(r"(\d+)(\D*)", value)
    if match is None or match[2] not in units:
        raise ValueError(f"not a size in {sorted(units)}: {value!r}")
    return int(match[1]) * units[match[2]]


def k8s_bytes(value: str) -> int:
    """A Kubernetes memory quantity (512Mi, 1Gi) in bytes."""
    return size(value, {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30})


def compose_bytes(value: str) -> int:
    """A compose mem_limit (512m, 1g) in bytes: Docker's units are powers of 1024."""
    return size(value.lower(), {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30})


def cores(value: str | int | float) -> float:
    """A CPU quantity (500m, "1", compose's cpus) in cores."""
    text = str(value)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def documented_secret() -> tuple[str, set[str]]:
    """The Secret docs/kubernetes.md tells the user to create (one `kubectl create secret
    generic NAME --from-literal=KEY=...` command, continued over lines): name and keys."""
    commands = re.findall(r"(?m)^.*create secret generic (?:.*\\\n)*.*$", DOCS.read_text())
    if len(commands) != 1:
        raise ValueError(f"{DOCS}: expected one `create secret generic` command: {commands}")
    [name] = re.findall(r"create secret generic (\S+)", commands[0])
    return name, set(re.findall(r"--from-literal=(\w+)=", commands[0]))


def script_path(container: dict[str, Any]) -> Path | None:
    """The mounted script a container runs (`sh <SCRIPTS_DIR>/x.sh ...`), if it runs one."""
    command = container.get("command", [])
    scripts = [arg for arg in command if arg.startswith(SCRIPTS_DIR + "/")]
    return Path(scripts[0]) if scripts else None
