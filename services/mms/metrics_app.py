"""MMS's /metrics: what its Python workers recorded, its processes, and its workers' states.

    python -m services.mms.metrics_app --socket PATH --record PATH --management PATH
                                       --models PATH

MMS 1.1.11 exports no Prometheus metrics. Its workers (services/mms/handler.py) record into
prometheus-client's multiprocess files; this small ASGI app, under uvicorn on a unix socket
beside MMS's own, sums them at each scrape for the nginx front's GET /metrics. The process
figures are those of MMS's program (launcher, JVM, workers), whose process group its reaper
records; polyserve_mms_workers{model,state} is what MMS's management API says of each served
model's workers.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import uvicorn
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import Receive, Scope, Send

from services.metrics import ProgramProcesses, exposition
from services.reaper import recorded_group_id

MANAGEMENT_TIMEOUT_S = 1.0  # a scrape answers without the workers' states rather than late


class MmsWorkers(Collector):
    """Each served model's workers by state, from MMS's management API (its unix socket)."""

    def __init__(self, management_socket: Path, models_file: Path) -> None:
        self.management_socket = management_socket
        self.models_file = models_file

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "polyserve_mms_workers",
            "MMS's workers of each model, by state.",
            labels=["model", "state"],
        )
        transport = httpx.HTTPTransport(uds=str(self.management_socket))
        with httpx.Client(transport=transport, timeout=MANAGEMENT_TIMEOUT_S) as client:
            for model in self.models():
                try:
                    reply = client.get(f"http://mms/models/{model}").json()
                except (httpx.HTTPError, ValueError):
                    continue  # MMS is down or the model is gone: no figure rather than a wrong one
                description = reply[0] if isinstance(reply, list) else reply
                states = Counter(w.get("status", "UNKNOWN") for w in description.get("workers", []))
                for state, count in sorted(states.items()):
                    family.add_metric([model, state], count)
        yield family

    def models(self) -> list[str]:
        """The served models, as the launcher listed them for the /models plugin."""
        try:
            lines = self.models_file.read_text().splitlines()
        except FileNotFoundError:
            return []
        return [line.split("\t", 1)[0] for line in lines if line]


class MetricsApp:
    def __init__(self, processes: ProgramProcesses, workers: MmsWorkers) -> None:
        self.processes = processes
        self.workers = workers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Only the front's GET /metrics reaches this socket: nothing else to route.
        body, content_type = await asyncio.to_thread(exposition, self.processes, [self.workers])
        headers = [(b"content-type", content_type.encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.mms.metrics_app", description=__doc__)
    parser.add_argument("--socket", type=Path, required=True, help="where to answer")
    parser.add_argument("--record", type=Path, required=True, help="MMS's reaper record")
    parser.add_argument("--management", type=Path, required=True, help="MMS's management socket")
    parser.add_argument("--models", type=Path, required=True, help="the served models' file")
    args = parser.parse_args()
    app = MetricsApp(
        ProgramProcesses(partial(recorded_group_id, args.record)),
        MmsWorkers(args.management, args.models),
    )
    uvicorn.run(app, uds=str(args.socket), lifespan="off", access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
