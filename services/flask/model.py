"""The Flask backend's engine: the TorchScript artifact, run in-process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from services.contract.handler import Predictor


def torchscript_predictor(path: Path) -> Predictor:
    module = torch.jit.load(str(path), map_location="cpu").eval()

    def predict(bits: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return module(torch.from_numpy(bits)).numpy()

    return predict
