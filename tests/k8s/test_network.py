"""Who reaches whom, by the rendered NetworkPolicies (tests/k8s/netpol.py evaluates them as
an enforcing CNI does): Redis only from the gateway and the jobs, each backend on its
contract port only, nothing else in."""

from __future__ import annotations

import pytest

from tests.k8s.manifests import OVERLAYS, objects, pod_labels, workloads
from tests.k8s.netpol import Labels, allowed, selects

OUTSIDE = None  # a client that is no pod of the namespace


def pods(overlay: str) -> dict[str, Labels]:
    return {name: pod_labels(item) for _, name, item in workloads(overlay)}


def reaches(overlay: str, source: str | None, target: str, port: int) -> bool:
    labels = pods(overlay)
    policies = list(objects(overlay, "NetworkPolicy").values())
    return allowed(policies, labels[source] if source else OUTSIDE, labels[target], port)


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_ingress_is_denied_by_default_to_every_pod(overlay: str) -> None:
    deny = objects(overlay, "NetworkPolicy")["default-deny-ingress"]["spec"]
    assert deny["policyTypes"] == ["Ingress"]
    assert "ingress" not in deny
    assert all(selects(deny["podSelector"], labels) for labels in pods(overlay).values())


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
@pytest.mark.parametrize(("backend", "port"), [("flask", 5000), ("mms", 8080), ("gateway", 8000)])
def test_each_backend_takes_its_contract_port_only(overlay: str, backend: str, port: int) -> None:
    assert reaches(overlay, OUTSIDE, backend, port)
    assert reaches(overlay, "gateway", backend, port)
    for other in (8081, 6379, 5000, 8080, 8000):  # MMS's management API among them
        if other != port:
            assert not reaches(overlay, OUTSIDE, backend, other), other
            assert not reaches(overlay, "flask", backend, other), other


@pytest.mark.parametrize(
    ("source", "admitted"),
    [("gateway", True), ("init", True), ("flask", False), ("mms", False), (None, False)],
)
def test_redis_takes_the_gateway_and_the_init_job_only(source: str | None, admitted: bool) -> None:
    assert reaches("single", source, "redis", 6379) is admitted
    assert reaches("cluster", source, "redis-cluster", 6379) is admitted


@pytest.mark.parametrize(
    ("source", "client", "bus"),
    [
        ("redis-cluster", True, True),  # replication, redirects; gossip on the bus
        ("redis-cluster-create", True, False),
        ("gateway", True, False),
        ("init", True, False),
        ("flask", False, False),
        (None, False, False),
    ],
)
def test_only_the_cluster_nodes_talk_on_the_cluster_bus(
    source: str | None, client: bool, bus: bool
) -> None:
    assert reaches("cluster", source, "redis-cluster", 6379) is client
    assert reaches("cluster", source, "redis-cluster", 16379) is bus


def test_the_evaluator_lets_in_what_no_policy_isolates() -> None:
    """Without the default deny, a pod no policy selects takes anything: the deny matters."""
    policies = [policy for name, policy in objects("single", "NetworkPolicy").items()
                if name != "default-deny-ingress"]  # fmt: skip
    init = pods("single")["init"]
    assert allowed(policies, OUTSIDE, init, 1234)
    assert not allowed(list(objects("single", "NetworkPolicy").values()), OUTSIDE, init, 1234)
