"""Small helpers over MMS's management API (through the front, with its token) and its
processes, for the tests."""

from __future__ import annotations

import shutil
import time
import zipfile
from collections.abc import Callable
from typing import Any

import psutil
import requests

from services.mms import server
from services.mms.settings import MmsSettings

MODEL = "fizzbuzz"

TIMEOUT = 60
WORKER_SCRIPT = "model_service_worker.py"


def call(
    settings: MmsSettings, method: str, path: str, headers: dict[str, str] | None = None
) -> requests.Response:
    """One management call, with the bearer token unless `headers` replaces it."""
    headers = server.management_headers(settings) if headers is None else headers
    return requests.request(
        method, f"{settings.management_url}{path}", headers=headers, timeout=TIMEOUT
    )


def describe(settings: MmsSettings, model: str) -> dict[str, Any]:
    response = call(settings, "GET", f"/models/{model}")
    assert response.status_code == 200, response.text
    body = response.json()
    return body[0] if isinstance(body, list) else body


def ready(settings: MmsSettings, model: str) -> int:
    return sum(w["status"] == "READY" for w in describe(settings, model)["workers"])


def worker_processes(settings: MmsSettings) -> list[psutil.Process]:
    """The Python processes serving as MMS workers, one per worker.

    MMS 1.1 starts one Python process per model (model_service_worker.py, a child of the
    JVM) that listens on a socket; each worker thread of the front end connects to it and
    the process forks a child for that connection, which loads the model and serves it.
    The forked children are the workers.
    """
    reaper = server.supervisor(settings).pid("mms")
    assert reaper is not None, "MMS is not running"
    return workers_under(psutil.Process(reaper))


def workers_under(root: psutil.Process) -> list[psutil.Process]:
    """The MMS workers among `root`'s descendants."""
    workers = []
    for process in root.children(recursive=True):
        try:
            parent = process.parent()
            if parent is not None and all(
                any(WORKER_SCRIPT in part for part in p.cmdline()) for p in (process, parent)
            ):
                workers.append(process)
        except psutil.NoSuchProcess:
            continue
    return workers


def eventually(check: Callable[[], bool], timeout: float = 30) -> bool:
    """Whether `check` holds within `timeout` seconds (processes exit asynchronously)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def archive_copy(settings: MmsSettings, name: str) -> str:
    """A copy of the model's archive in the store, for registering it under another name.

    MMS 1.1.11 unpacks an archive into a folder named after the SHA-1 of its bytes and
    deletes that folder when a model is unregistered: two registrations of the same bytes
    share one folder, and deleting one leaves the other's new workers without their files.
    The copy holds one more small file, so it gets a folder of its own (the digest covers
    the entries MMS reads, not the zip's trailing comment).
    """
    source = settings.model_store / f"{MODEL}.mar"
    target = settings.model_store / f"{name}.mar"
    shutil.copy2(source, target)
    with zipfile.ZipFile(target, "a") as archive:
        archive.writestr("polyserve-copy.txt", f"registered as {name}\n")
    return target.name
