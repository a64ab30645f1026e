"""The renderer (tests/k8s/kustomize.py) and the kustomizations it renders."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.k8s.kustomize import FILE_NAMES, KustomizeError, identity, render
from tests.k8s.manifests import K8S, OVERLAYS, rendered

KUSTOMIZATIONS = sorted(path.parent for name in FILE_NAMES for path in K8S.rglob(name))


def write(folder: Path, files: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(yaml.safe_dump_all(content if isinstance(content, list)
                                                      else [content]))  # fmt: skip
    return folder


def config_map(name: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}


def test_resources_are_files_and_folders_in_order_with_the_outer_namespace(tmp_path: Path) -> None:
    write(tmp_path / "inner", {
        "kustomization.yaml": {"namespace": "inner", "resources": ["a.yaml"]},
        "a.yaml": [config_map("a"), {"apiVersion": "v1", "kind": "Namespace",
                                     "metadata": {"name": "inner"}}],
    })  # fmt: skip
    write(tmp_path / "outer", {
        "kustomization.yaml": {"namespace": "outer", "resources": ["b.yaml", "../inner"]},
        "b.yaml": config_map("b"),
    })  # fmt: skip
    objects = render(tmp_path / "outer")
    assert [(item["kind"], item["metadata"]["name"]) for item in objects] == [
        ("ConfigMap", "b"), ("ConfigMap", "a"), ("Namespace", "outer")
    ]  # fmt: skip
    assert [item["metadata"].get("namespace") for item in objects] == ["outer", "outer", None]


@pytest.mark.parametrize(
    ("kustomization", "refused"),
    [
        ({"resources": ["a.yaml"], "patches": [{"path": "p.yaml"}]}, "patches"),
        ({"resources": ["a.yaml"], "images": [{"name": "x", "newTag": "1"}]}, "images"),
        ({"resources": ["a.yaml"], "commonLabels": {"a": "b"}}, "commonLabels"),
        ({"resources": ["missing.yaml"]}, "neither a folder nor YAML"),
        ({"resources": ["a.yaml", "a.yaml"]}, "twice"),
        ({"kind": "Component", "resources": ["a.yaml"]}, "Component"),
    ],
)
def test_what_it_does_not_implement_is_an_error(
    tmp_path: Path, kustomization: dict[str, object], refused: str
) -> None:
    write(tmp_path, {"kustomization.yaml": kustomization, "a.yaml": config_map("a")})
    with pytest.raises(KustomizeError, match=refused):
        render(tmp_path)


@pytest.mark.parametrize("folder", KUSTOMIZATIONS, ids=lambda path: str(path.relative_to(K8S)))
def test_every_kustomization_keeps_to_what_the_renderer_implements(folder: Path) -> None:
    assert render(folder)


def reached_files(folder: Path) -> set[Path]:
    """Every file a kustomization lists, through the folders it lists."""
    found = set()
    for entry in yaml.safe_load((folder / "kustomization.yaml").read_text())["resources"]:
        target = (folder / entry).resolve()
        found |= reached_files(target) if target.is_dir() else {target}
    return found


def test_every_manifest_file_is_deployed_by_an_overlay() -> None:
    """A YAML file no overlay reaches would be silently left out of the cluster."""
    reached = set().union(*(reached_files(folder.resolve()) for folder in OVERLAYS.values()))
    manifests = {path.resolve() for path in K8S.rglob("*.yaml") if path.name not in FILE_NAMES}
    assert manifests == reached


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_the_renderer_agrees_with_kubectl_kustomize(overlay: str) -> None:
    printed = subprocess.run(
        ["kubectl", "kustomize", str(OVERLAYS[overlay])],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    theirs = sorted((item for item in yaml.safe_load_all(printed) if item), key=identity)
    assert sorted(rendered(overlay), key=identity) == theirs
