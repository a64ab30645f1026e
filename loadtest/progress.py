"""A progress bar over a load generator's run, so a long comparison shows where it is."""

from __future__ import annotations

import subprocess
import time

from tqdm import tqdm


def wait_with_progress(process: subprocess.Popen, seconds: int, label: str) -> int:
    """Wait for `process`, showing elapsed seconds of the planned `seconds`; its exit code."""
    with tqdm(total=seconds, desc=label, unit="s", leave=True) as progress:
        start = time.monotonic()
        while process.poll() is None:
            time.sleep(0.5)
            progress.n = min(seconds, int(time.monotonic() - start))
            progress.refresh()
    return process.returncode
