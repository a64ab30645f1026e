"""Keeps MMS's batched models registered: supervised beside MMS, for the models it batches.

MMS 1.1 registers the models of `load_models` at start with a batch size of one; batch_size
and max_batch_delay can only be given when a model is registered through the management API.
So the batched models are left out of `load_models`, and this program registers each one
whenever MMS does not list it: at the first start, and again after a killed JVM came back
without it. It talks to MMS's management socket directly (the nginx front and its token are
for callers from outside the run folder).

    python -m services.mms.registrar --management SOCKET --workers N MODEL=SIZE/DELAY_MS ...
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import time

import httpx

from models.spec import Batching

POLL_S = 1.0
log = logging.getLogger("polyserve.mms.registrar")


def registration(model: str, batching: Batching, workers: int) -> dict[str, str | int]:
    """The management API's query registering `model` from its archive in the model store."""
    return {
        "url": f"{model}.mar",
        "model_name": model,
        "batch_size": batching.size,
        "max_batch_delay": batching.delay_ms,
        "initial_workers": workers,
        "synchronous": "false",  # readiness is the launcher's to wait for, not ours
    }


def register_missing(client: httpx.Client, models: dict[str, Batching], workers: int) -> None:
    """Registers each model MMS does not list now; raises httpx.TransportError while MMS is
    not answering."""
    for model, batching in models.items():
        if client.get(f"/models/{model}").status_code != 404:
            continue
        answer = client.post("/models", params=registration(model, batching, workers))
        log.info("registered %s (%s): %s %s", model, batching, answer.status_code, answer.text)


def parse_model(text: str) -> tuple[str, Batching]:
    """`MODEL=SIZE/DELAY_MS` -> (model, its batching)."""
    model, _, batching = text.partition("=")
    size, _, delay_ms = batching.partition("/")
    try:
        return model, Batching(int(size), int(delay_ms))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text}: {error}") from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.mms.registrar", description=__doc__)
    parser.add_argument("--management", required=True, help="MMS's management unix socket")
    parser.add_argument("--workers", type=int, required=True, help="workers per model")
    parser.add_argument("models", nargs="+", type=parse_model, metavar="MODEL=SIZE/DELAY_MS")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    transport = httpx.HTTPTransport(uds=args.management)
    with httpx.Client(transport=transport, base_url="http://mms", timeout=30) as client:
        while True:
            # While MMS is starting or restarting: again at the next poll.
            with contextlib.suppress(httpx.TransportError):
                register_missing(client, dict(args.models), args.workers)
            time.sleep(POLL_S)


if __name__ == "__main__":
    main()
