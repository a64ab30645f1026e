"""HEALTHCHECK of the polyserve images: `python healthcheck.py flask|gateway|mms`.

Standard library only, so a check costs a few milliseconds, not a torch import.
- flask, gateway: GET /ping on the service's own port answers 200; both backends answer it
  by running the model (the gateway: on Redis), so 200 means requests can be served.
- mms: /ping answers 200 (our plugin: a worker has loaded every model) and the management
  API (loopback only, inside the container, with the token) lists at least
  POLYSERVE_MMS_WORKERS READY workers for every registered model.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request

TIMEOUT_S = 4.0
PORTS = {  # service -> (port variable, default)
    "flask": ("POLYSERVE_FLASK_PORT", 5000),
    "gateway": ("POLYSERVE_GATEWAY_PORT", 8000),
    "mms": ("POLYSERVE_MMS_PORT", 8080),
}


def port(variable: str, default: int) -> int:
    return int(os.environ.get(variable) or default)


def get(url: str, headers: dict[str, str] | None = None) -> bytes:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        return response.read()


def management_token() -> str:
    """The management API's bearer token: POLYSERVE_MMS_TOKEN, else the one the server
    generated at its first start (services/config.py)."""
    given = os.environ.get("POLYSERVE_MMS_TOKEN")
    if given:
        return given
    with open(os.path.join(os.environ["POLYSERVE_RUN"], "mms", "management.token")) as file:
        return file.read().strip()


def mms_ready_workers() -> dict[str, int]:
    """READY workers of every model registered in MMS."""
    management = f"http://127.0.0.1:{port('POLYSERVE_MMS_MANAGEMENT_PORT', 8081)}/models"
    auth = {"Authorization": f"Bearer {management_token()}"}
    ready = {}
    for listed in json.loads(get(management, auth))["models"]:
        reply = json.loads(get(f"{management}/{listed['modelName']}", auth))
        model = reply[0] if isinstance(reply, list) else reply
        workers = model.get("workers", [])
        ready[listed["modelName"]] = sum(worker.get("status") == "READY" for worker in workers)
    return ready


def main(service: str) -> str:
    get(f"http://127.0.0.1:{port(*PORTS[service])}/ping")  # raises unless 2xx
    if service == "mms":
        wanted = port("POLYSERVE_MMS_WORKERS", 1)
        ready = mms_ready_workers()
        short = {model: count for model, count in ready.items() if count < wanted}
        if not ready or short:
            raise RuntimeError(f"MMS workers READY (of {wanted} each): {short or 'no models'}")
        return f"MMS workers READY: {ready}"
    return "ping 200"


if __name__ == "__main__":
    try:
        print(main(sys.argv[1]))
    except Exception as error:  # noqa: BLE001 - any failure is "unhealthy", with its reason
        print(f"unhealthy: {error}")
        sys.exit(1)
