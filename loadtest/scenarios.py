"""Locust users, one per scenario. Every response is checked against the arithmetic rule.

- single: one number per request (the default);
- batch: a list of BATCH numbers per request;
- mix: mostly single numbers, some batches, and a share of bad requests that must come
  back as the contract's 400 (counted as correct answers, not failures);
- fixed: always `{"input.1": 14}`, the request wrk sends: what the ceilings (no model, a
  fixed answer) are driven with.
"""

from __future__ import annotations

import json
import random

from locust import FastHttpUser, task

from loadtest.figures import SCENARIOS as SCENARIO_NAMES
from models.fizzbuzz import codec

PATH = "/predictions/fizzbuzz"
BATCH = 32
FIXED_NUMBER = 14  # the ceilings answer FizzBuzz whatever they are asked
BAD_BODIES = [
    b'{"input.1": 1023}',
    b'{"input.1": -5}',
    b'{"input.1": "14"}',
    b'{"input.1": [1, true]}',
    b'{"input.1": []}',
    b"not json",
    b'{"number": 14}',
]


def _number() -> int:
    return random.randint(codec.MIN_NUMBER, codec.MAX_NUMBER)


class ContractUser(FastHttpUser):
    abstract = True
    # No think time: the comparison measures how much each backend can serve.
    wait_time = staticmethod(lambda: 0)

    def ask(self, numbers: list[int] | int, name: str) -> None:
        expected = (
            [codec.answer(n) for n in numbers]
            if isinstance(numbers, list)
            else codec.answer(numbers)
        )
        body = json.dumps({"input.1": numbers})
        with self.client.post(PATH, data=body, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}: {response.text[:200]}")
            elif response.json() != {"next_number": expected}:
                response.failure(f"wrong answer: {response.text[:200]}")
            else:
                response.success()

    def ask_badly(self) -> None:
        body = random.choice(BAD_BODIES)
        with self.client.post(PATH, data=body, name="bad input", catch_response=True) as response:
            error = response.json() if response.status_code == 400 else {}
            if error.get("code") == 400 and error.get("type") == "InvalidInput":
                response.success()
            else:
                response.failure(f"expected a 400 InvalidInput, got {response.status_code}")


class SingleNumberUser(ContractUser):
    @task
    def single(self) -> None:
        self.ask(_number(), "single")


class BatchUser(ContractUser):
    @task
    def batch(self) -> None:
        self.ask([_number() for _ in range(BATCH)], f"batch of {BATCH}")


class MixUser(ContractUser):
    @task(18)
    def single(self) -> None:
        self.ask(_number(), "single")

    @task(1)
    def batch(self) -> None:
        self.ask([_number() for _ in range(BATCH)], f"batch of {BATCH}")

    @task(1)
    def bad(self) -> None:
        self.ask_badly()


class FixedRequestUser(ContractUser):
    @task
    def fixed(self) -> None:
        self.ask(FIXED_NUMBER, "fixed")


SCENARIOS: dict[str, type[ContractUser]] = {
    "single": SingleNumberUser,
    "batch": BatchUser,
    "mix": MixUser,
    "fixed": FixedRequestUser,
}
assert tuple(SCENARIOS) == SCENARIO_NAMES, "keep loadtest.figures.SCENARIOS in step"
