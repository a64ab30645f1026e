"""Locust entry point: `locust -f loadtest/locustfile.py --host http://127.0.0.1:5000`.

Runs one scenario from loadtest/scenarios.py against one model: POLYSERVE_SCENARIO (single,
batch or mix; default single) against one model, POLYSERVE_MODEL (default: the first served
model), in POLYSERVE_PROTOCOL (v1, the contract, by default; or v2). Works with Locust's web
UI as well as headless.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from locust import events
from locust.env import Environment

# Locust imports this file by path; make the repo's packages importable from it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.examples_file import load_examples
from loadtest.figures import first_served
from loadtest.protocols import PROTOCOLS
from loadtest.scenarios import SCENARIOS, user_class
from models import registry

_scenario = os.environ.get("POLYSERVE_SCENARIO", "single")
if _scenario not in SCENARIOS:
    raise SystemExit(f"POLYSERVE_SCENARIO={_scenario!r}; choose one of {', '.join(SCENARIOS)}")

_model = os.environ.get("POLYSERVE_MODEL") or first_served()
_protocol = os.environ.get("POLYSERVE_PROTOCOL", "v1")
if _protocol not in PROTOCOLS:
    raise SystemExit(f"POLYSERVE_PROTOCOL={_protocol!r}; choose one of {', '.join(PROTOCOLS)}")
_examples = os.environ.get("POLYSERVE_EXAMPLES")  # a file of them (loadtest compare's)
ScenarioUser = user_class(
    _scenario,
    registry.get(_model),
    _protocol,
    load_examples(Path(_examples)) if _examples else None,
)


@events.quitting.add_listener
def log_errors(environment: Environment, **_: object) -> None:
    """What failed and how often, into the run's log: with --json-file Locust prints no error
    report of its own, and a failure's cause is all the stats don't keep."""
    for error in environment.stats.errors.values():
        logging.warning(
            "%d failed: %s %s: %s", error.occurrences, error.method, error.name, error.error
        )
