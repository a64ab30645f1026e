"""polyserve's decoder of MMS worker replies (services/mms/plugin/overrides) against MMS
1.1.11's own, which it replaces: one reply to a batch, cut in two at every byte as a socket
may hand it over in two reads (tests/mms/java/SplitReplies.java, on Netty's EmbeddedChannel,
whichever decoder comes first on its class path)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from services.mms.plugin import MMS_JAR, ensure_plugin, override_dir

HARNESS = Path(__file__).with_name("java") / "SplitReplies.java"


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The harness compiled, and the plugin and overrides built."""
    ensure_plugin()
    classes = tmp_path_factory.mktemp("split-replies")
    compiled = subprocess.run(
        ["javac", "-proc:none", "-cp", str(MMS_JAR), "-d", str(classes), str(HARNESS)],
        capture_output=True,
        text=True,
    )
    assert compiled.returncode == 0, compiled.stderr
    return classes


def failed_cuts(harness: Path, *class_path: Path) -> tuple[int, int]:
    """(cuts that did not decode to the whole reply, cuts) with this class path after it."""
    ran = subprocess.run(
        ["java", "-cp", ":".join(map(str, (harness, *class_path))), "SplitReplies"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    counted = re.search(r"^(\d+) of (\d+) cuts failed$", ran.stdout, re.M)
    assert counted is not None, ran.stdout
    return int(counted[1]), int(counted[2])


def test_ours_decodes_the_reply_wherever_it_is_cut(harness: Path) -> None:
    failed, cuts = failed_cuts(harness, override_dir(), MMS_JAR)
    assert cuts > 200
    assert failed == 0


def test_mms_own_decoder_fails_where_the_cut_falls_in_a_status_or_a_header(
    harness: Path,
) -> None:
    """Why ours replaces it: MMS 1.1.11's decoder drops such replies (and the worker)."""
    failed, cuts = failed_cuts(harness, MMS_JAR)
    assert 0 < failed < cuts
