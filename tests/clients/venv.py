"""kserve's client in a venv of its own: kserve 0.21 needs numpy >= 1.26, protobuf < 7 and
psutil < 6, which polyserve's pins (mxnet's numpy 1.23.5 above all) rule out in every kserve
release. Made once under run/clients/kserve from the pinned requirements beside this file
(about 80 s and 500 MB, wheels only), and made again when they change."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from services.config import Settings

REQUIREMENTS = Path(__file__).with_name("kserve-requirements.txt")


def kserve_python() -> Path:
    """The interpreter of the kserve venv, made or remade first when needed."""
    venv = Settings.load().folder("clients") / "kserve"
    stamp = venv / ".requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if not stamp.is_file() or stamp.read_text() != wanted:
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--only-binary=:all:"]
        subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
        stamp.write_text(wanted)
    return venv / "bin" / "python"
