"""Whether the NetworkPolicies of a namespace let a connection in, as a CNI that enforces
them decides: a pod no policy selects for Ingress takes anything; a selected one takes only
what some selecting policy's rule allows. Only the parts of the API deploy/k8s uses are
implemented (pod selectors in the policy's namespace, numeric ports); others raise."""

from __future__ import annotations

from typing import Any

Labels = dict[str, str]
OPERATORS = {
    "In": lambda value, values: value is not None and value in values,
    "NotIn": lambda value, values: value is None or value not in values,
    "Exists": lambda value, _: value is not None,
    "DoesNotExist": lambda value, _: value is None,
}


def selects(selector: dict[str, Any], labels: Labels) -> bool:
    """A label selector (matchLabels, matchExpressions) against a pod's labels."""
    unknown = set(selector) - {"matchLabels", "matchExpressions"}
    if unknown:
        raise NotImplementedError(f"selector keys {unknown}")
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    return all(
        OPERATORS[rule["operator"]](labels.get(rule["key"]), rule.get("values", []))
        for rule in selector.get("matchExpressions", [])
    )


def peer_admits(peer: dict[str, Any], source: Labels | None) -> bool:
    """One `from` entry; `source` None: a client outside the namespace (or the cluster)."""
    if set(peer) != {"podSelector"}:
        raise NotImplementedError(f"peer {peer}")
    return source is not None and selects(peer["podSelector"], source)


def rule_admits(rule: dict[str, Any], source: Labels | None, port: int) -> bool:
    ports = rule.get("ports")
    if ports is not None:
        for entry in ports:
            if not isinstance(entry.get("port"), int) or "endPort" in entry:
                raise NotImplementedError(f"port {entry}")
        if not any(entry["port"] == port and entry.get("protocol", "TCP") == "TCP"
                   for entry in ports):  # fmt: skip
            return False
    peers = rule.get("from")
    return not peers or any(peer_admits(peer, source) for peer in peers)


def ingress_policies(policies: list[dict[str, Any]], target: Labels) -> list[dict[str, Any]]:
    return [
        policy for policy in policies
        if "Ingress" in policy["spec"].get("policyTypes", ["Ingress"])
        and selects(policy["spec"]["podSelector"], target)
    ]  # fmt: skip


def allowed(policies: list[dict[str, Any]], source: Labels | None, target: Labels,
            port: int) -> bool:  # fmt: skip
    """Whether a TCP connection from `source` reaches `target` on `port`."""
    selecting = ingress_policies(policies, target)
    if not selecting:
        return True
    return any(
        rule_admits(rule, source, port)
        for policy in selecting
        for rule in policy["spec"].get("ingress", [])
    )
