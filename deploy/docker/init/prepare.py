"""The init job: make every model file the services need, once, in the artifacts volume.

Trains FizzBuzz if the volume has no weights, exports what is missing or older than the
weights (TorchScript, ONNX, the MMS archive per engine), and compiles the MMS /ping plugin
jar. A second run with a filled volume checks and returns in seconds.
"""

from __future__ import annotations

import json

from exporters.pipeline import FORMATS, ensure_exported
from models import registry
from models.artifacts import ModelFiles
from services.mms.plugin import ensure_plugin


def main() -> None:
    files = ModelFiles.of("fizzbuzz")
    ensure_exported(registry.get("fizzbuzz"), files, list(FORMATS))
    jar = ensure_plugin()
    manifest = json.loads(files.manifest.read_text())
    sha = manifest["weights_sha256"]
    print(f"init: model files ready in {files.directory} (weights {sha[:12]}), plugin {jar}")


if __name__ == "__main__":
    main()
