"""The models polyserve knows: the shipped ones, listed here, and plugins named at run time.

    POLYSERVE_PLUGINS=package.module:SPEC,...   more models, each a ModelSpec (models/spec.py)
    POLYSERVE_MODELS=fizzbuzz,digits            the ones to serve (default: every known one)

Models imported from a bare file (`python -m exporters import`) are known too, from their
records in the artifacts folder (models/imported.py).

Adding a model to polyserve is one line in SHIPPED; a model kept outside the repository is
a plugin. Every process of the stack reads the same two variables, so a backend's workers,
its launcher and the exporters agree on what is served.
"""

from __future__ import annotations

import os

from models import imported
from models.spec import ModelSpec, load_spec

SHIPPED = {
    "fizzbuzz": "models.fizzbuzz.spec:SPEC",
    "digits": "models.digits.spec:SPEC",
}
PLUGINS_VAR = "POLYSERVE_PLUGINS"
MODELS_VAR = "POLYSERVE_MODELS"


class UnknownModel(SystemExit):
    """A model was asked for by a name no spec has."""


def _names(variable: str) -> list[str]:
    return [part.strip() for part in os.environ.get(variable, "").split(",") if part.strip()]


def references() -> dict[str, str]:
    """Every known model's name -> where its spec is (`module:attribute`): shipped, plugins,
    then the models imported into the artifacts folder."""
    known = dict(SHIPPED)
    for reference in _names(PLUGINS_VAR):
        spec = load_spec(reference)
        if spec.name in known and known[spec.name] != reference:
            raise UnknownModel(f"{PLUGINS_VAR}: {reference} names {spec.name!r}, already known")
        known[spec.name] = reference
    for name in imported.imported_names():
        known.setdefault(name, f"{imported.__name__}:{name}")  # a spec in code comes first
    return known


def get(name: str) -> ModelSpec:
    known = references()
    if name not in known:
        raise UnknownModel(f"unknown model {name!r}; known: {', '.join(known)}")
    return load_spec(known[name])


def served_names() -> list[str]:
    """The models to serve: POLYSERVE_MODELS in registry order, or every known one."""
    known = list(references())
    chosen = _names(MODELS_VAR)
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise UnknownModel(f"{MODELS_VAR}: unknown models {unknown}; known: {', '.join(known)}")
    return [name for name in known if not chosen or name in chosen]


def served() -> list[ModelSpec]:
    return [get(name) for name in served_names()]
