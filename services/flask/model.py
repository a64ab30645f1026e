"""The Flask backend's engine: the TorchScript artifact, run in-process."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from services.contract.handler import Predictor

ONEDNN_VARIABLE = "POLYSERVE_TORCH_ONEDNN"
"""Settings.torch_onednn's variable, for processes that read no Settings (the peers' handlers:
no pydantic in their venvs)."""


def configure_torch(onednn: bool) -> None:
    """Torch in a serving process: one intra-op thread (workers are processes, and one
    thread each keeps them from fighting over the cores), oneDNN on or off
    (Settings.torch_onednn). Both are process-wide in torch."""
    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = onednn


def onednn_from_environment() -> bool:
    """ONEDNN_VARIABLE as a launcher sets it from the settings ("True"/"False") or a user
    ("1"/"0"); off when unset, as Settings' default."""
    return os.environ.get(ONEDNN_VARIABLE, "").lower() in ("1", "true")


def torchscript_predictor(path: Path) -> Predictor:
    module = torch.jit.load(str(path), map_location="cpu").eval()

    def predict(bits: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return module(torch.from_numpy(bits)).numpy()

    return predict
