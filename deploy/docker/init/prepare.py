"""The init job: make every model file the services need, once, in the artifacts volume.

Trains each served model whose weights the volume lacks, exports what is missing or older
than the weights (TorchScript, ONNX, the MMS archive per engine), and compiles the MMS plugin
jar (/ping, /models). A second run with a filled volume checks and returns in seconds.
"""

from __future__ import annotations

from exporters.pipeline import FORMATS, ensure_exported
from models import registry
from models.artifacts import ModelFiles
from services.mms.plugin import ensure_plugin


def main() -> None:
    for spec in registry.served():
        files = ModelFiles.of(spec.name)
        ensure_exported(spec, files, list(FORMATS))
        print(f"init: {spec.name} ready in {files.directory} (weights {files.version[:12]})")
    print(f"init: MMS plugin {ensure_plugin()}")


if __name__ == "__main__":
    main()
