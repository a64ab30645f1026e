#!/usr/bin/env bash
# The main job: set up, train and export, bring the three backends up side by side, compare
# them under the same Locust load, in the contract and the Open Inference Protocol (about two
# minutes), print the tables, and stop everything.
# Extra arguments go to `python -m loadtest compare` (e.g. --users 16 --scenario mix).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup.sh
trap '.venv/bin/python -m services down' EXIT
.venv/bin/python -m services up
.venv/bin/python -m loadtest compare --duration 6 --protocols v1,v2 "$@"
