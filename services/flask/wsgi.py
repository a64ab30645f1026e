"""The WSGI entry point gunicorn loads in each worker: `services.flask.wsgi:app`."""

from __future__ import annotations

import torch

from models import registry
from models.artifacts import ModelFiles
from models.spec import ModelSpec
from services.contract.dataplane import DataPlane
from services.contract.handler import ModelHandler
from services.flask.app import create_app
from services.flask.model import torchscript_predictor

# Workers are processes: one intra-op thread each keeps them from fighting over the cores.
torch.set_num_threads(1)


def handler(spec: ModelSpec) -> ModelHandler:
    files = ModelFiles.of(spec.name)
    return ModelHandler(spec, torchscript_predictor(files.torchscript), files.version)


app = create_app(DataPlane([handler(spec) for spec in registry.served()]))
