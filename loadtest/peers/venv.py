"""Each peer server in a venv of its own, installed once from its pinned requirements file.

A peer cannot share .venv: TorchServe's torch-model-archiver and MMS's model-archiver both
install a `model_archiver` package. The venv lives in run/peers/<peer>/venv; a marker file in
it holds the sha256 of the requirements it was installed from, so a later comparison skips
pip unless the pins changed (pip finds torch's CPU wheel as it does for .venv: PIP_FIND_LINKS
or its configuration).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import venv
from pathlib import Path

MARKER = "polyserve-requirements.sha256"


def requirements_hash(requirements: Path) -> str:
    return hashlib.sha256(requirements.read_bytes()).hexdigest()


def installed(folder: Path, requirements: Path) -> bool:
    """Whether the venv in `folder` was installed from these very requirements."""
    marker = folder / MARKER
    return marker.exists() and marker.read_text().strip() == requirements_hash(requirements)


def python_of(folder: Path) -> Path:
    return folder / "bin" / "python"


def ensure_venv(folder: Path, requirements: Path) -> Path:
    """The venv `folder`, after making it and installing `requirements` into it unless that
    was done already; raises CalledProcessError when pip fails (the marker then stays
    unwritten, so the next call tries again)."""
    if installed(folder, requirements):
        return folder
    print(f"installing {requirements.name} into {folder} (once) ...", file=sys.stderr)
    if not python_of(folder).exists():
        venv.EnvBuilder(with_pip=True).create(folder)
    pip = [str(python_of(folder)), "-m", "pip", "install", "--quiet", "-r", str(requirements)]
    subprocess.run(pip, check=True)
    (folder / MARKER).write_text(requirements_hash(requirements) + "\n")
    return folder
