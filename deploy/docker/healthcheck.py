"""HEALTHCHECK of the polyserve images: `python healthcheck.py flask|gateway|mms`.

Standard library only, so a check costs a few milliseconds, not a torch import.
- flask, gateway: GET /ping on the service's own port answers 200; both backends answer it
  by running the model (the gateway: on Redis), so 200 means requests can be served.
- mms: /ping answers 200 (our plugin: a worker has loaded every model) and the management
  API (loopback only, inside the container) lists at least POLYSERVE_MMS_WORKERS READY
  workers for every registered model.
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


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        return response.read()


def mms_ready_workers() -> dict[str, int]:
    """READY workers of every model registered in MMS."""
    management = f"http://127.0.0.1:{port('POLYSERVE_MMS_MANAGEMENT_PORT', 8081)}/models"
    ready = {}
    for listed in json.loads(get(management))["models"]:
        reply = json.loads(get(f"{management}/{listed['modelName']}"))
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
