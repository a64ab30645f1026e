"""Locust users, one per scenario, for one model. Every response is checked.

The model's examples (its spec) give the items asked and the answers a correct backend gives:
FizzBuzz's come from the arithmetic rule, digits' from the data set's labels and the
in-process model.
- single: one item per request (the default);
- batch: a list of BATCH items per request (fewer where the model takes fewer);
- mix: mostly single items, some batches, and a share of bad requests that must come back
  as the contract's 400 (counted as correct answers, not failures);
- fixed: always the model's readiness probe, the request wrk sends: what the ceilings (no
  model, a fixed answer) are driven with.
"""

from __future__ import annotations

import json
import random

from locust import FastHttpUser, task

from loadtest.figures import SCENARIOS as SCENARIO_NAMES
from models.spec import Example, ModelSpec

BATCH = 32


def bad_bodies(spec: ModelSpec) -> list[bytes]:
    """Requests every model refuses with a 400: not JSON, no field, values of the wrong kind."""
    field = spec.codec.field
    bodies = [json.dumps({field: value}).encode() for value in ("14", None, True, {"a": 1}, [])]
    return [*bodies, b"not json", json.dumps({"no-such-field": 1}).encode()]


class ContractUser(FastHttpUser):
    abstract = True
    # No think time: the comparison measures how much each backend can serve.
    wait_time = staticmethod(lambda: 0)
    spec: ModelSpec
    examples: list[Example]

    @property
    def path(self) -> str:
        return f"/predictions/{self.spec.name}"

    def ask(self, examples: list[Example], batch: bool, name: str) -> None:
        codec = self.spec.codec
        body = json.dumps(codec.document([e.item for e in examples], batch))
        expected = codec.reply([e.answer for e in examples], batch)
        with self.client.post(self.path, data=body, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}: {response.text[:200]}")
            elif not codec.agrees(response.json(), expected):
                response.failure(f"wrong answer: {response.text[:200]}")
            else:
                response.success()

    def ask_one(self) -> None:
        self.ask([random.choice(self.examples)], batch=False, name="single")

    def ask_many(self) -> None:
        size = min(BATCH, self.spec.codec.max_batch)
        self.ask(random.choices(self.examples, k=size), batch=True, name=f"batch of {size}")

    def ask_badly(self) -> None:
        body = random.choice(bad_bodies(self.spec))
        with self.client.post(
            self.path, data=body, name="bad input", catch_response=True
        ) as response:
            error = response.json() if response.status_code == 400 else {}
            if error.get("code") == 400 and error.get("type") == "InvalidInput":
                response.success()
            else:
                response.failure(f"expected a 400 InvalidInput, got {response.status_code}")

    def ask_probe(self) -> None:
        probe = self.spec.probe
        body = json.dumps(probe.document)
        with self.client.post(self.path, data=body, name="fixed", catch_response=True) as response:
            if response.status_code == 200 and probe.answered_by(response.json()):
                response.success()
            else:
                response.failure(f"status {response.status_code}: {response.text[:200]}")


class SingleUser(ContractUser):
    abstract = True

    @task
    def single(self) -> None:
        self.ask_one()


class BatchUser(ContractUser):
    abstract = True

    @task
    def batch(self) -> None:
        self.ask_many()


class MixUser(ContractUser):
    abstract = True

    @task(18)
    def single(self) -> None:
        self.ask_one()

    @task(1)
    def batch(self) -> None:
        self.ask_many()

    @task(1)
    def bad(self) -> None:
        self.ask_badly()


class FixedRequestUser(ContractUser):
    abstract = True

    @task
    def fixed(self) -> None:
        self.ask_probe()


SCENARIOS: dict[str, type[ContractUser]] = {
    "single": SingleUser,
    "batch": BatchUser,
    "mix": MixUser,
    "fixed": FixedRequestUser,
}
assert tuple(SCENARIOS) == SCENARIO_NAMES, "keep loadtest.figures.SCENARIOS in step"


def user_class(scenario: str, spec: ModelSpec) -> type[ContractUser]:
    """The scenario's user, asking `spec`'s model (its examples are loaded once, here)."""
    examples = spec.examples() if scenario != "fixed" else []
    attributes = {"spec": spec, "examples": examples, "abstract": False}
    return type(f"{SCENARIOS[scenario].__name__}For{spec.name}", (SCENARIOS[scenario],), attributes)
