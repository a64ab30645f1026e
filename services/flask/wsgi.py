"""The WSGI entry point gunicorn loads in each worker: `services.flask.wsgi:app`."""

from __future__ import annotations

import gc

from models import registry
from models.artifacts import ModelFiles
from models.spec import ModelSpec
from services.config import Settings
from services.contract.batcher import Callers
from services.contract.dataplane import DataPlane
from services.flask.app import create_app
from services.flask.batching import batch_limits
from services.flask.measured import MeasuredHandler
from services.flask.model import configure_torch, torchscript_predictor


def handler(
    spec: ModelSpec, settings: Settings | None = None, callers: Callers | None = None
) -> MeasuredHandler:
    """The model's handler; with `settings` whose flask_batch_size is over 1, its requests
    are batched among `callers`."""
    files = ModelFiles.of(spec.name)
    batching = batch_limits(settings, spec) if settings is not None else None
    engine = torchscript_predictor(files.torchscript)
    return MeasuredHandler(spec, engine, files.version, batching, callers)


settings = Settings.load()
configure_torch(settings.torch_onednn)
# Every model's batcher knows the worker's threads (gthread runs requests on that many): a
# batch gathering stops waiting once all of them are inside, since nobody else can join it.
callers = Callers(settings.flask_threads)
plane = DataPlane([handler(spec, settings, callers) for spec in registry.served()])
plane.ping()  # the probes, so each model's ready gauge says so from the worker's start
app = create_app(plane)
# Loaded for the process's life: kept out of full collections, as the gateway's (asgi.py).
gc.freeze()
