"""The manifests against each other: what a workload names (a Service, Secret, ConfigMap,
claim, script, autoscaler target) exists and fits, as the API server would not check."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from services.mms.plugin import plugin_jar
from tests.k8s.manifests import (
    OVERLAYS,
    REPO_ROOT,
    SCRIPTS_DIR,
    containers,
    documented_secret,
    image_env,
    main_container,
    objects,
    pod_labels,
    pod_spec,
    rendered,
    script_path,
    workloads,
)
from tests.k8s.netpol import selects

OVERLAY_NAMES = sorted(OVERLAYS)
RUNTIME = (REPO_ROOT / "deploy" / "docker" / "python" / "runtime.sh").read_text()


def selected(overlay: str, selector: dict[str, Any]) -> list[Any]:
    """The workloads whose pods a selector picks."""
    return [item for _, _, item in workloads(overlay) if selects(selector, pod_labels(item))]


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_services_reach_pods_on_the_ports_they_name(overlay: str) -> None:
    for name, service in objects(overlay, "Service").items():
        [workload] = selected(overlay, {"matchLabels": service["spec"]["selector"]})
        ports = {port["name"]: port["containerPort"] for port in main_container(workload)["ports"]}
        for port in service["spec"]["ports"]:
            assert ports[port["targetPort"]] == port["port"], (name, port)


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_the_redis_url_names_a_service_with_that_port(overlay: str) -> None:
    services = objects(overlay, "Service")
    urls = [
        entry["value"]
        for _, _, item in workloads(overlay)
        for container in containers(item)
        for entry in container.get("env", [])
        if entry["name"] == "POLYSERVE_REDIS_URL"
    ]
    assert len(urls) == 2  # the init job and the gateway
    for url in urls:
        parts = urlsplit(url)
        assert parts.password == "$(REDIS_PASSWORD)"
        ports = [port["port"] for port in services[parts.hostname]["spec"]["ports"]]
        assert parts.port in ports


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_secrets_are_the_documented_one_and_none_is_committed(overlay: str) -> None:
    name, keys = documented_secret()
    used = set()
    for _, workload, item in workloads(overlay):
        for container in containers(item):
            for entry in container.get("env", []):
                reference = entry.get("valueFrom", {}).get("secretKeyRef")
                if reference:
                    assert reference["name"] == name, workload
                    assert not reference.get("optional", False)
                    used.add(reference["key"])
            assert "secretRef" not in str(container.get("envFrom", [])), workload
    assert used <= keys
    assert not any(item["kind"] == "Secret" for item in rendered(overlay))
    if overlay == "single":
        assert used == keys == {"REDIS_PASSWORD", "POLYSERVE_MMS_TOKEN"}


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_config_maps_and_claims_referenced_exist(overlay: str) -> None:
    maps, claims = objects(overlay, "ConfigMap"), objects(overlay, "PersistentVolumeClaim")
    for _, workload, item in workloads(overlay):
        spec = pod_spec(item)
        volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
        templates = {claim["metadata"]["name"] for claim in
                     item["spec"].get("volumeClaimTemplates", [])}  # fmt: skip
        for volume in volumes.values():
            if "configMap" in volume:
                assert volume["configMap"]["name"] in maps, workload
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, workload
        for container in containers(item):
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in maps, workload
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in volumes.keys() | templates, (workload, mount)


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_scripts_a_container_runs_are_mounted_into_it(overlay: str) -> None:
    maps, ran = objects(overlay, "ConfigMap"), 0
    for _, workload, item in workloads(overlay):
        volumes = {volume["name"]: volume for volume in pod_spec(item).get("volumes", [])}
        for container in containers(item):
            script = script_path(container)
            if script is None:
                continue
            [mount] = [mount for mount in container["volumeMounts"]
                       if mount["mountPath"] == SCRIPTS_DIR]  # fmt: skip
            source = maps[volumes[mount["name"]]["configMap"]["name"]]
            assert script.name in source["data"], (workload, script)
            assert container["command"][0] == "sh"
            ran += 1
    assert ran == 3  # the init job's wait, flask's and mms's (the create job's is the image's)


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_flask_and_mms_wait_for_the_last_file_the_init_job_makes(
    overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYSERVE_ARTIFACTS", image_env("python")["POLYSERVE_ARTIFACTS"])
    for name in ("flask", "mms"):
        [wait] = pod_spec(objects(overlay, "Deployment")[name])["initContainers"]
        assert script_path(wait) == Path(SCRIPTS_DIR, "wait-for-artifacts.sh")
        assert wait["command"][-1] == str(plugin_jar())
    # The jar is the last thing the job's prepare.py makes: every model is exported by then.
    prepare = ast.parse((REPO_ROOT / "deploy" / "docker" / "init" / "prepare.py").read_text())
    [main] = [node for node in prepare.body
              if isinstance(node, ast.FunctionDef) and node.name == "main"]  # fmt: skip
    *before, last = main.body
    assert "ensure_plugin()" in ast.unparse(last)
    assert "ensure_plugin()" not in ast.unparse(ast.Module(body=before, type_ignores=[]))


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_the_init_job_waits_for_redis_and_knows_its_kind(overlay: str) -> None:
    job = objects(overlay, "Job")["init"]
    [wait] = pod_spec(job)["initContainers"]
    assert script_path(wait) == Path(SCRIPTS_DIR, "wait-for-redis.sh")
    assert wait["command"][-1] == "redis"
    mode = objects(overlay, "ConfigMap")["redis-mode"]["data"]["POLYSERVE_REDIS_CLUSTER"]
    assert mode == ("true" if overlay == "cluster" else "false")
    for container in (wait, main_container(job), main_container(objects(overlay, "Deployment")
                                                                 ["gateway"])):  # fmt: skip
        assert {"configMapRef": {"name": "redis-mode"}} in container["envFrom"]


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_every_deployment_scales_on_cpu_and_keeps_one_pod_through_disruptions(
    overlay: str,
) -> None:
    autoscalers = {item["spec"]["scaleTargetRef"]["name"]: item
                   for item in objects(overlay, "HorizontalPodAutoscaler").values()}  # fmt: skip
    budgets = list(objects(overlay, "PodDisruptionBudget").values())
    deployments = objects(overlay, "Deployment")
    assert set(autoscalers) == set(deployments) == {"flask", "mms", "gateway"}
    for name, deployment in deployments.items():
        autoscaler = autoscalers[name]
        assert autoscaler["apiVersion"] == "autoscaling/v2"
        assert autoscaler["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        [metric] = autoscaler["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        assert metric["resource"]["target"]["type"] == "Utilization"
        assert "cpu" in main_container(deployment)["resources"]["requests"]  # what % is of
        assert "replicas" not in deployment["spec"]  # an apply would undo the autoscaler's
        [budget] = [b for b in budgets if selected(overlay, b["spec"]["selector"]) == [deployment]]
        assert budget["spec"]["minAvailable"] < autoscaler["spec"]["minReplicas"]  # drainable


@pytest.mark.parametrize("overlay", OVERLAY_NAMES)
def test_every_pod_meets_the_restricted_pod_security_standard(overlay: str) -> None:
    [namespace] = objects(overlay, "Namespace").values()
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    [uid] = re.findall(r"useradd --uid (\d+)", RUNTIME)
    for _, workload, item in workloads(overlay):
        context = pod_spec(item)["securityContext"]
        assert context["runAsNonRoot"] is True, workload
        assert context["runAsUser"] == int(uid), workload  # the images' user polyserve
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, workload
        for container in containers(item):
            own = container["securityContext"]
            assert own["allowPrivilegeEscalation"] is False, workload
            assert own["capabilities"]["drop"] == ["ALL"], workload
            assert "runAsUser" not in own, workload  # the pod's
            assert "privileged" not in own, workload


def test_the_cluster_nodes_announce_names_the_headless_service_resolves() -> None:
    [statefulset] = objects("cluster", "StatefulSet").values()
    service = objects("cluster", "Service")[statefulset["spec"]["serviceName"]]
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["publishNotReadyAddresses"] is True  # found before they are ready
    given = {entry["name"]: entry for entry in main_container(statefulset)["env"]}
    assert given["REDIS_CLUSTER"]["value"] == "yes"
    assert given["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    hostname = f"$(POD_NAME).{service['metadata']['name']}"
    assert given["REDIS_ANNOUNCE_HOSTNAME"]["value"] == hostname


def test_the_create_job_forms_the_cluster_of_the_statefulsets_pods() -> None:
    [statefulset] = objects("cluster", "StatefulSet").values()
    job = objects("cluster", "Job")["redis-cluster-create"]
    arguments = main_container(job)["command"][2:]
    spec = statefulset["spec"]
    name, service = statefulset["metadata"]["name"], spec["serviceName"]
    pods = [f"{name}-{index}.{service}:6379" for index in range(spec["replicas"])]
    assert arguments == pods  # every pod, each once, by the name it announces
    assert spec["replicas"] == 6  # 3 masters, a replica each (--cluster-replicas 1)


def test_the_cluster_container_is_the_single_redis_plus_its_cluster_settings() -> None:
    """The two variants' redis containers are written twice (no patches): kept in step."""
    single = main_container(objects("single", "StatefulSet")["redis"])
    cluster = dict(main_container(objects("cluster", "StatefulSet")["redis-cluster"]))
    extra_env = {"REDIS_CLUSTER", "POD_NAME", "REDIS_ANNOUNCE_HOSTNAME"}
    assert [e for e in cluster.pop("env") if e["name"] not in extra_env] == single["env"]
    assert [p for p in cluster.pop("ports") if p["name"] != "cluster-bus"] == single["ports"]
    assert cluster == {key: value for key, value in single.items() if key not in ("env", "ports")}
    single_pod = pod_spec(objects("single", "StatefulSet")["redis"])
    cluster_pod = pod_spec(objects("cluster", "StatefulSet")["redis-cluster"])
    assert cluster_pod["securityContext"] == single_pod["securityContext"]
