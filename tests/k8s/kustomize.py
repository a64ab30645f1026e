"""A renderer of the kustomizations in deploy/k8s, so the tests need no kubectl.

It understands only what those files use: `resources:` (YAML files and folders holding a
kustomization, in order) and `namespace:` (set on every namespaced object, a Namespace
object renamed to it, as kustomize does), plus the `apiVersion`/`kind` header. Any other key
is an error, not ignored: a kustomization that starts using a feature this does not know
(patches, images, generators...) fails the tests until the feature is implemented here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

FILE_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KNOWN_KEYS = frozenset({"apiVersion", "kind", "resources", "namespace"})
HEADER = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}
CLUSTER_SCOPED = frozenset({
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "PersistentVolume", "StorageClass", "PriorityClass",
})  # fmt: skip

Object = dict[str, Any]


class KustomizeError(ValueError):
    """A kustomization this renderer cannot render as kustomize would."""


def kustomization_file(folder: Path) -> Path:
    found = [folder / name for name in FILE_NAMES if (folder / name).is_file()]
    if len(found) != 1:
        raise KustomizeError(f"{folder}: expected one kustomization file, found {len(found)}")
    return found[0]


def read_kustomization(folder: Path) -> dict[str, Any]:
    path = kustomization_file(folder)
    content = yaml.safe_load(path.read_text()) or {}
    unknown = set(content) - KNOWN_KEYS
    if unknown:
        raise KustomizeError(f"{path}: keys this renderer does not implement: {sorted(unknown)}")
    for key, value in HEADER.items():
        if content.get(key, value) != value:
            raise KustomizeError(f"{path}: {key} {content[key]!r}, expected {value!r}")
    return content


def identity(item: Object) -> tuple[str, str, str, str]:
    metadata = item.get("metadata") or {}
    return (
        item.get("apiVersion", ""),
        item.get("kind", ""),
        metadata.get("namespace", ""),
        metadata.get("name", ""),
    )


def read_objects(path: Path) -> list[Object]:
    items = [item for item in yaml.safe_load_all(path.read_text()) if item is not None]
    for item in items:
        if not isinstance(item, dict) or not {"apiVersion", "kind", "metadata"} <= item.keys():
            raise KustomizeError(f"{path}: not a Kubernetes object: {str(item)[:80]}")
    return items


def set_namespace(item: Object, namespace: str) -> None:
    if item["kind"] == "Namespace":
        item["metadata"]["name"] = namespace
    elif item["kind"] not in CLUSTER_SCOPED:
        item["metadata"]["namespace"] = namespace


def render(folder: Path) -> list[Object]:
    """The objects `kubectl kustomize folder` would print (in the files' order)."""
    folder = folder.resolve()
    content = read_kustomization(folder)
    objects: list[Object] = []
    for entry in content.get("resources") or []:
        target = (folder / entry).resolve()
        if target.is_dir():
            objects += render(target)
        elif target.is_file() and target.suffix in (".yaml", ".yml"):
            objects += read_objects(target)
        else:
            raise KustomizeError(f"{folder}: resource {entry!r} is neither a folder nor YAML")
    if "namespace" in content:
        for item in objects:
            set_namespace(item, content["namespace"])
    seen: set[tuple[str, str, str, str]] = set()
    for item in objects:
        if identity(item) in seen:
            raise KustomizeError(f"{folder}: {identity(item)} twice")
        seen.add(identity(item))
    return objects
