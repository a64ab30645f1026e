"""The Flask backend's engine: the TorchScript artifact, run in-process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from services.contract.handler import Predictor


def configure_torch(onednn: bool) -> None:
    """Torch in a serving process: one intra-op thread (workers are processes, and one
    thread each keeps them from fighting over the cores), oneDNN on or off
    (Settings.torch_onednn). Both are process-wide in torch."""
    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = onednn


def torchscript_predictor(path: Path) -> Predictor:
    module = torch.jit.load(str(path), map_location="cpu").eval()

    def predict(bits: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return module(torch.from_numpy(bits)).numpy()

    return predict
