"""Where generated model files live: one git-ignored folder, overridable for tests and images."""

from __future__ import annotations

import json
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
    def version(self) -> str:
        """The model's version: the sha256 of its weights, as its manifest records it."""
        return str(json.loads(self.manifest.read_text())["weights_sha256"])

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

    def mar(self, engine: str) -> Path:
        """The MMS archive holding this model on `engine`, in that engine's model store."""
        return engine_store(engine) / f"{self.name}.mar"


def engine_store(engine: str) -> Path:
    """One engine's MMS model store, every model's archive side by side: MMS serving that
    engine loads archives from here only."""
    return artifacts_dir() / "model-store" / engine
