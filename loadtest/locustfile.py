"""Locust entry point: `locust -f loadtest/locustfile.py --host http://127.0.0.1:5000`.

Runs one scenario from loadtest/scenarios.py, chosen by POLYSERVE_SCENARIO (single, batch
or mix; default single). Works with Locust's web UI as well as headless.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Locust imports this file by path; make the repo's packages importable from it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.scenarios import SCENARIOS

_scenario = os.environ.get("POLYSERVE_SCENARIO", "single")
if _scenario not in SCENARIOS:
    raise SystemExit(f"POLYSERVE_SCENARIO={_scenario!r}; choose one of {', '.join(SCENARIOS)}")

ScenarioUser = SCENARIOS[_scenario]
