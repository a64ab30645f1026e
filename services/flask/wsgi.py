"""The WSGI entry point gunicorn loads in each worker: `services.flask.wsgi:app`."""

from __future__ import annotations

import torch

from models import registry
from models.artifacts import ModelFiles
from models.spec import ModelSpec
from services.contract.dataplane import DataPlane
from services.flask.app import create_app
from services.flask.measured import MeasuredHandler
from services.flask.model import torchscript_predictor

# Workers are processes: one intra-op thread each keeps them from fighting over the cores.
torch.set_num_threads(1)


def handler(spec: ModelSpec) -> MeasuredHandler:
    files = ModelFiles.of(spec.name)
    return MeasuredHandler(spec, torchscript_predictor(files.torchscript), files.version)


plane = DataPlane([handler(spec) for spec in registry.served()])
plane.ping()  # the probes, so each model's ready gauge says so from the worker's start
app = create_app(plane)
