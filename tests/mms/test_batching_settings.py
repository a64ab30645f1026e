"""Which models MMS batches, and how: each model's own default, the settings over it, and
what that makes of MMS's config (load_models) and its programs (the registrar).

The registration itself, against a real MMS, is in test_batching.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from models import registry
from models.spec import Batching
from services.config import Settings
from services.mms import server
from services.mms.registrar import parse_model, registration
from services.mms.settings import MmsSettings, read_properties
from tests.backends import mms_settings


def settings_with(tmp_path: Path, batching: dict[str, Batching]) -> MmsSettings:
    return MmsSettings(**{**vars(mms_settings(tmp_path, "onnxruntime")), "batching": batching})


def test_batched_models_are_left_to_the_registrar(tmp_path: Path) -> None:
    first, *others = registry.served_names()
    settings = settings_with(tmp_path, {first: Batching(8, 2), **{m: Batching() for m in others}})
    loaded = read_properties(settings.render_config())["load_models"]
    assert loaded == ",".join(f"{model}={model}.mar" for model in others)
    [registrar] = [p for p in server.supervisor(settings).programs if p.name == "registrar"]
    assert registrar.command[-1] == f"{first}=8/2"
    assert str(settings.management_socket) in registrar.command


def test_without_batching_there_is_no_registrar(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, {})
    names = [program.name for program in server.supervisor(settings).programs]
    assert "registrar" not in names
    loaded = read_properties(settings.render_config())["load_models"]
    assert loaded.count(".mar") == len(registry.served_names())


def test_each_model_has_its_own_default_and_the_settings_go_over_it(tmp_path: Path) -> None:
    own = MmsSettings.from_settings(Settings.load(run=tmp_path))
    assert own.batching == {name: registry.get(name).serving.mms for name in own.models}
    given = MmsSettings.from_settings(Settings.load(run=tmp_path, mms_batch_size=4))
    for name in given.models:
        assert given.batching[name] == Batching(4, registry.get(name).serving.mms.delay_ms)


def test_the_registrar_asks_for_the_model_in_the_store_with_its_batching() -> None:
    query = registration("digits", Batching(8, 3), workers=2)
    assert query["url"] == "digits.mar"
    assert (query["batch_size"], query["max_batch_delay"], query["initial_workers"]) == (8, 3, 2)


@pytest.mark.parametrize("text", ["digits", "digits=8", "digits=x/2", "digits=0/2", "digits=8/-1"])
def test_the_registrar_refuses_a_malformed_model(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_model(text)
