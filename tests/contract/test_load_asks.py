"""What the load tools send (loadtest/protocols.py), in each protocol, against each backend:
every backend answers it, the answer passes the ask's check, and a wrong answer does not."""

from __future__ import annotations

import pytest
import requests

from loadtest.protocols import PROTOCOLS, Ask, ask_items, ask_probe
from models.spec import ModelSpec

TIMEOUT = 30
ROWS = 64  # the batch the binary data extension is measured on


def answer(backend_url: str, ask: Ask) -> tuple[int, bytes]:
    response = requests.post(
        f"{backend_url}{ask.path}", data=ask.body, headers=dict(ask.headers), timeout=TIMEOUT
    )
    return response.status_code, response.content


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_probe_ask_is_answered_and_checked(
    backend_url: str, model: ModelSpec, protocol: str
) -> None:
    ask = ask_probe(model, protocol)
    status, body = answer(backend_url, ask)
    assert ask.check(status, body), body[:300]
    assert not ask.check(400, body)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_batch_ask_is_answered_item_by_item(
    backend_url: str, model: ModelSpec, protocol: str
) -> None:
    examples = (model.examples() * ROWS)[:ROWS]
    items, answers = [e.item for e in examples], [e.answer for e in examples]
    ask = ask_items(model, protocol, items, answers, batch=True)
    status, body = answer(backend_url, ask)
    assert ask.check(status, body), body[:300]
    shifted = [*answers[1:], answers[0]]
    assert shifted != answers  # the examples differ, so a check can tell them apart
    assert not ask_items(model, protocol, items, shifted, batch=True).check(status, body)
