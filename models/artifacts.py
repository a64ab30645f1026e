"""Where generated model files live: one git-ignored folder, overridable for tests and images."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def artifacts_dir() -> Path:
    """The root of all generated models (POLYSERVE_ARTIFACTS, default <repo>/artifacts)."""
    return Path(os.environ.get("POLYSERVE_ARTIFACTS", REPO_ROOT / "artifacts"))


def model_dir(model: str) -> Path:
    """The folder holding one model's weights, manifest and exported formats."""
    return artifacts_dir() / model


@dataclass(frozen=True)
class ModelFiles:
    """The name of every file generated for one model, in one place."""

    directory: Path
    name: str

    @classmethod
    def of(cls, model: str) -> ModelFiles:
        return cls(model_dir(model), model)

    @property
    def weights(self) -> Path:
        return self.directory / "weights.pt"

    @property
    def manifest(self) -> Path:
        return self.directory / "manifest.json"

    @property
    def torchscript(self) -> Path:
        return self.directory / f"{self.name}.torchscript.pt"

    @property
    def onnx(self) -> Path:
        return self.directory / f"{self.name}.onnx"

    @property
    def onnx_for_mxnet(self) -> Path:
        """ONNX with the weights kept as graph inputs, as MXNet's importer requires."""
        return self.directory / f"{self.name}.mxnet.onnx"

    @property
    def mar_store(self) -> Path:
        """The MMS model store: the only folder MMS may load archives from."""
        return self.directory / "model-store"

    def engine_store(self, engine: str) -> Path:
        """One engine's model store: MMS serving that engine loads archives from here only."""
        return self.mar_store / engine

    def mar(self, engine: str) -> Path:
        """The MMS archive holding this model on `engine` (onnxruntime or mxnet)."""
        return self.engine_store(engine) / f"{self.name}.mar"
