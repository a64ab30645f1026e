"""Locust users, one per scenario, for one model. Every response is checked.

The model's examples (its spec) give the items asked and the answers a correct backend gives:
FizzBuzz's come from the arithmetic rule, digits' from the data set's labels and the
in-process model. Each scenario asks in the contract (v1) or the Open Inference Protocol (v2),
held to the same answers (loadtest/protocols.py).
- single: one item per request (the default);
- batch: a list of BATCH items per request (fewer where the model takes fewer);
- mix: mostly single items, some batches, and a share of bad requests that must come back
  as a 400 (counted as correct answers, not failures);
- fixed: always the model's readiness probe, the request wrk sends: what the ceilings (no
  model, a fixed answer) are driven with.
"""

from __future__ import annotations

import random

from locust import FastHttpUser, task

from loadtest.figures import SCENARIOS as SCENARIO_NAMES
from loadtest.protocols import Ask, ask_items, ask_probe, bad_asks
from models.spec import Example, ModelSpec

BATCH = 32


class ContractUser(FastHttpUser):
    abstract = True
    # No think time: the comparison measures how much each backend can serve.
    wait_time = staticmethod(lambda: 0)
    spec: ModelSpec
    protocol: str
    examples: list[Example]

    def send(self, ask: Ask, kind: str) -> None:
        name = f"{self.spec.name} {self.protocol} {kind}"  # Locust's row for it
        with self.client.post(
            ask.path, data=ask.body, headers=dict(ask.headers), name=name, catch_response=True
        ) as response:
            if ask.check(response.status_code, response.content):
                response.success()
            elif response.status_code == 0:  # no answer at all: the connection's error
                response.failure(response.error)
            else:
                response.failure(f"status {response.status_code}: {response.text[:200]}")

    def ask(self, examples: list[Example], batch: bool, name: str) -> None:
        items, answers = [e.item for e in examples], [e.answer for e in examples]
        self.send(ask_items(self.spec, self.protocol, items, answers, batch), name)

    def ask_one(self) -> None:
        self.ask([random.choice(self.examples)], batch=False, name="single")

    def ask_many(self) -> None:
        size = min(BATCH, self.spec.codec.max_batch)
        self.ask(random.choices(self.examples, k=size), batch=True, name=f"batch of {size}")

    def ask_badly(self) -> None:
        self.send(random.choice(bad_asks(self.spec, self.protocol)), "bad input")

    def ask_probe(self) -> None:
        self.send(ask_probe(self.spec, self.protocol), "fixed")


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


def user_class(
    scenario: str, spec: ModelSpec, protocol: str = "v1", examples: list[Example] | None = None
) -> type[ContractUser]:
    """The scenario's user, asking `spec`'s model in `protocol`, from `examples` (default: the
    spec's, loaded here once)."""
    if examples is None:
        examples = spec.examples() if scenario != "fixed" else []
    attributes = {"spec": spec, "protocol": protocol, "examples": examples, "abstract": False}
    name = f"{SCENARIOS[scenario].__name__}For{spec.name}{protocol}"
    return type(name, (SCENARIOS[scenario],), attributes)
