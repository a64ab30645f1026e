"""The contract suite, unchanged, against every backend serving the plugin beside the
shipped models; and what the plugin's registration changes and leaves alone."""

from __future__ import annotations

import json

import requests

from models import registry
from models.spec import ModelSpec
from tests.contract import test_contract

# The contract suite, unchanged: its tests run here with this folder's `model` and
# `backend_url` fixtures (conftest.py).
globals().update(
    {name: test for name, test in vars(test_contract).items() if name.startswith("test_")}
)


def test_the_plugin_is_served_beside_the_shipped_models(backend_url: str, model: ModelSpec) -> None:
    assert registry.served_names() == [*registry.SHIPPED, model.name]
    listed = requests.get(f"{backend_url}/models", timeout=30).json()
    assert [entry["name"] for entry in listed] == registry.served_names()
    fizzbuzz = requests.post(f"{backend_url}/predictions/fizzbuzz", data=b'{"input.1": 14}')
    assert fizzbuzz.json() == {"next_number": "FizzBuzz"}
    answer = requests.post(f"{backend_url}/predictions/{model.name}", data=b'{"pair": [5, 2]}')
    assert answer.json() == {"larger": "first"}


def test_a_bad_pair_is_refused_with_the_plugin_s_own_words(backend_url: str) -> None:
    answer = requests.post(f"{backend_url}/predictions/larger", data=json.dumps({"pair": [4, 4]}))
    assert answer.status_code == 400
    assert "equal" in answer.json()["message"]
