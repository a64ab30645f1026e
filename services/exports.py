"""Bring what a backend serves up to date before it starts, through the exporters' command.

Launchers run `python -m exporters ... --if-stale` instead of importing the exporters: an
exporter packages what a backend serves (it imports from services/), so services/ never
imports exporters/ and the repository's imports point one way.
"""

from __future__ import annotations

import os
import subprocess
import sys


class ExportFailed(SystemExit):
    """The exporter refused or failed; it said why on its own output."""


def run_exporter(*arguments: str, env: dict[str, str] | None = None) -> None:
    """`python -m exporters ARGUMENTS` with `env` added to this environment, its output passed
    through; ExportFailed unless it succeeds."""
    command = [sys.executable, "-m", "exporters", *arguments]
    environment = {**os.environ, **(env or {})}
    if subprocess.run(command, env=environment, check=False).returncode != 0:
        raise ExportFailed(f"`python -m exporters {' '.join(arguments)}` failed (see above)")


def export_if_stale(format_: str, *options: str) -> None:
    """Train and export every served model's `format_` where missing or stale."""
    run_exporter(format_, *options, "--if-stale")
