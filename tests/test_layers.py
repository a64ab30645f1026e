"""The repository's imports point one way: models <- services <- exporters <- loadtest.

A backend's launcher brings its artifacts up to date by running the exporters' command
(services/exports.py), never by importing them; an exporter packages what a backend serves.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from models.artifacts import REPO_ROOT

# Each layer may import only the layers listed before it.
LAYERS = ("models", "services", "exporters", "loadtest")


def imported_packages(path: Path) -> set[str]:
    """The top-level packages of the repository a module imports."""
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names & {*LAYERS, "tests", "deploy"}


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_the_layers_below_it(layer: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    upward = {
        str(path.relative_to(REPO_ROOT)): sorted(imported_packages(path) - allowed)
        for path in sorted((REPO_ROOT / layer).rglob("*.py"))
        if "build" not in path.parts
    }
    assert {module: names for module, names in upward.items() if names} == {}
