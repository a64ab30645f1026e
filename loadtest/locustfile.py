"""Locust entry point: `locust -f loadtest/locustfile.py --host http://127.0.0.1:5000`.

Runs one scenario from loadtest/scenarios.py against one model: POLYSERVE_SCENARIO (single,
batch or mix; default single) and POLYSERVE_MODEL (default: the first served model). Works
with Locust's web UI as well as headless.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Locust imports this file by path; make the repo's packages importable from it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.figures import first_served
from loadtest.scenarios import SCENARIOS, user_class
from models import registry

_scenario = os.environ.get("POLYSERVE_SCENARIO", "single")
if _scenario not in SCENARIOS:
    raise SystemExit(f"POLYSERVE_SCENARIO={_scenario!r}; choose one of {', '.join(SCENARIOS)}")

_model = os.environ.get("POLYSERVE_MODEL") or first_served()
ScenarioUser = user_class(_scenario, registry.get(_model))
