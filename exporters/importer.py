"""`python -m exporters import --name NAME FILE`: serve a model brought as a bare file.

FILE is a TorchScript `.pt` or an `.onnx` graph with one input and one output, the first
dimension of each the batch. An ONNX file names its tensors; a TorchScript one is described
by flags (`--input x:FP32:-1,10 --output y`) or a JSON or YAML file in the shape of the
protocol's model metadata (`--spec`). The model gets every format a backend runs (TorchScript
for Flask and RedisAI, ONNX for MMS's onnxruntime and MXNet), each checked against the file
itself on random inputs of the declared shape, and its MMS archives, checked the same way;
only then is it in the artifacts folder, served through the Open Inference Protocol by every
backend started afterwards (models/imported.py). Importing a name again replaces the model.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import shutil
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
import yaml
from onnx import helper

from exporters.mar import ArchiveError, export_mar
from exporters.mar_check import ArchiveCheckError
from exporters.onnx_file import OPSET, onnx_session
from exporters.onnx_to_torch import UnsupportedGraph, onnx_to_torchscript
from exporters.output import write_atomically
from models import imported, registry
from models.artifacts import ModelFiles, artifacts_dir
from models.spec import DATATYPES, TensorSpec
from models.weights import eager_outputs
from services.mms.engines import ENGINES

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
DEFAULT_MAX_BATCH = 64
CHECK_BATCHES = (1, 3, 8)  # random inputs of each batch size, every engine against the file
PROBE_ROWS = 8  # the readiness probe's rows, at most, and at most PROBE_VALUES values
PROBE_VALUES = 4096
DATATYPE_OF = {dtype: name for name, dtype in DATATYPES.items()}

Runner = Callable[[np.ndarray], np.ndarray]


class ImportRefused(RuntimeError):
    """The file cannot be served as declared; nothing was written."""


@dataclass(frozen=True)
class Exports:
    """What the import made from the file: the tensors and each backend's model file."""

    input: TensorSpec
    output: TensorSpec
    torchscript: bytes
    onnx: bytes
    onnx_for_mxnet: bytes
    reference: Runner
    """The file itself, run by its own runtime: what every export must agree with."""


# --- declaring tensors -----------------------------------------------------------------------


def parse_tensor(text: str) -> TensorSpec:
    """`name:DATATYPE:-1,10` -> TensorSpec."""
    try:
        name, datatype, dims = text.rsplit(":", 2)
        return TensorSpec(name, datatype, tuple(int(d) for d in dims.split(",")))
    except ValueError as error:
        raise ImportRefused(
            f"--input {text!r}: expected NAME:DATATYPE:-1,N,... ({error})"
        ) from None


def read_spec_file(path: Path) -> tuple[TensorSpec, str]:
    """The input tensor and the output's name from a file like the protocol's metadata:
    {"inputs": [{"name", "datatype", "shape"}], "outputs": [{"name"}]} (JSON or YAML)."""
    document = yaml.safe_load(path.read_text())  # YAML reads JSON too
    try:
        [entry], [output] = document["inputs"], document["outputs"]
        return imported.tensor(entry), str(output["name"])
    except (KeyError, TypeError, ValueError) as error:
        raise ImportRefused(f"{path}: not one input and one output ({error})") from None


def _onnx_tensor(value: onnx.ValueInfoProto) -> TensorSpec | None:
    """A graph input or output as a TensorSpec; None when a size past the batch is unknown."""
    elem_type = value.type.tensor_type.elem_type
    datatype = DATATYPE_OF.get(np.dtype(helper.tensor_dtype_to_np_dtype(elem_type)))
    if datatype is None:
        raise ImportRefused(f"{value.name}: ONNX element type {elem_type} is not served")
    dims = value.type.tensor_type.shape.dim
    if not dims or (dims[0].HasField("dim_value") and dims[0].dim_value > 0):
        raise ImportRefused(
            f"{value.name}'s first dimension is not a dynamic batch: export with "
            "dynamic_axes={name: {0: 'batch'}}"
        )
    sizes = [d.dim_value if d.HasField("dim_value") else 0 for d in dims[1:]]
    return None if 0 in sizes else TensorSpec(value.name, datatype, (-1, *sizes))


def random_inputs(spec: TensorSpec, batch: int, rng: np.random.Generator) -> np.ndarray:
    """Inputs of the declared shape: floats in [-1, 1), integers in [0, 8), booleans."""
    shape = (batch, *spec.shape[1:])
    if spec.dtype.kind == "f":
        return rng.uniform(-1, 1, shape).astype(spec.dtype)
    if spec.dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    return rng.integers(0, 8, shape).astype(spec.dtype)


def _output_spec(name: str, reference: Runner, input_spec: TensorSpec) -> TensorSpec:
    """The output tensor as the file answers: its datatype and its sizes past the batch."""
    outputs = reference(random_inputs(input_spec, 2, np.random.default_rng(0)))
    datatype = DATATYPE_OF.get(outputs.dtype)
    if datatype is None or outputs.ndim < 1 or len(outputs) != 2:
        raise ImportRefused(f"the model answers {outputs.dtype} {outputs.shape} for a batch of 2")
    return TensorSpec(name, datatype, (-1, *outputs.shape[1:]))


# --- from each kind of file ------------------------------------------------------------------


def _onnxruntime(blob: bytes) -> Runner:
    session = onnx_session(blob)
    name = session.get_inputs()[0].name
    return lambda inputs: session.run(None, {name: inputs})[0]


def _load_torchscript(blob: bytes) -> torch.jit.ScriptModule:
    return torch.jit.load(io.BytesIO(blob), map_location="cpu").eval()


def _torchscript(module: torch.jit.ScriptModule) -> Runner:
    return lambda inputs: eager_outputs(module, inputs)


def file_runner(path: Path) -> Runner:
    """A model file run by its own runtime."""
    blob = path.read_bytes()
    if path.suffix == ".onnx":
        return _onnxruntime(blob)
    return _torchscript(_load_torchscript(blob))


def source_file(files: ModelFiles) -> Path:
    """The file an imported model was made from, as its import kept it."""
    return (
        files.directory
        / f"source{Path(json.loads(files.manifest.read_text())['source_file']).suffix}"
    )


def initializers_as_inputs(model: onnx.ModelProto) -> onnx.ModelProto:
    """The same graph with its weights also listed as inputs: the form MXNet's importer reads."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    listed = {value.name for value in copy.graph.input}
    for weight in copy.graph.initializer:
        if weight.name not in listed:
            copy.graph.input.append(
                helper.make_tensor_value_info(weight.name, weight.data_type, weight.dims)
            )
    return copy


def from_onnx(blob: bytes, declared: TensorSpec | None, output_name: str | None) -> Exports:
    try:
        model = onnx.load_from_string(blob)
        onnx.checker.check_model(model, full_check=True)
    except Exception as error:  # noqa: BLE001 - onnx raises many kinds; all mean "not valid"
        raise ImportRefused(f"not a valid ONNX model: {error}") from None
    weights = {weight.name for weight in model.graph.initializer}
    inputs = [value for value in model.graph.input if value.name not in weights]
    if len(inputs) != 1 or len(model.graph.output) != 1:
        raise ImportRefused(
            f"{len(inputs)} inputs and {len(model.graph.output)} outputs: one of each is served"
        )
    input_spec = _onnx_tensor(inputs[0])
    if input_spec is None:
        raise ImportRefused(f"{inputs[0].name}'s sizes past the batch must be fixed")
    for given, found, what in (
        (declared, input_spec, "input"),
        (output_name, model.graph.output[0].name, "output name"),
    ):
        if given is not None and given != found:
            raise ImportRefused(f"the declared {what} {given} is not the file's {found}")
    reference = _onnxruntime(blob)
    output_spec = _output_spec(model.graph.output[0].name, reference, input_spec)
    example = random_inputs(input_spec, 2, np.random.default_rng(1))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on constants it kept
            traced = onnx_to_torchscript(model, example)
    except UnsupportedGraph as error:
        raise ImportRefused(f"no TorchScript for Flask and RedisAI: {error}") from None
    buffer = io.BytesIO()
    torch.jit.save(traced, buffer)
    mxnet_form = initializers_as_inputs(model).SerializeToString()
    return Exports(input_spec, output_spec, buffer.getvalue(), blob, mxnet_form, reference)


def _torchscript_to_onnx(
    module: torch.jit.ScriptModule, input_spec: TensorSpec, output_name: str, as_inputs: bool
) -> bytes:
    example = torch.from_numpy(random_inputs(input_spec, 2, np.random.default_rng(1)))
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # see exporters/onnx_file.py
        torch.onnx.export(
            module,
            (example,),
            buffer,
            dynamo=False,
            opset_version=OPSET,
            input_names=[input_spec.name],
            output_names=[output_name],
            dynamic_axes={input_spec.name: {0: "batch"}, output_name: {0: "batch"}},
            keep_initializers_as_inputs=as_inputs,
        )
    return buffer.getvalue()


def from_torchscript(blob: bytes, declared: TensorSpec | None, output_name: str | None) -> Exports:
    if declared is None or output_name is None:
        raise ImportRefused(
            "a TorchScript file does not name its tensors: give --input NAME:DATATYPE:-1,... "
            "and --output NAME, or --spec FILE"
        )
    try:
        module = _load_torchscript(blob)
        reference = _torchscript(module)
        output_spec = _output_spec(output_name, reference, declared)
        onnx_files = [
            _torchscript_to_onnx(module, declared, output_name, as_inputs)
            for as_inputs in (False, True)
        ]
    except ImportRefused:
        raise
    except Exception as error:  # noqa: BLE001 - torch raises many kinds for a file it cannot run
        raise ImportRefused(f"the TorchScript file does not run as declared: {error}") from None
    return Exports(declared, output_spec, blob, *onnx_files, reference)


# --- checking and writing --------------------------------------------------------------------


def check_parity(exports: Exports) -> None:
    """TorchScript and onnxruntime against the file, on random inputs of several batch sizes
    (MXNet is checked when its archive is built, by the same readiness probe)."""
    engines = {
        "TorchScript": _torchscript(_load_torchscript(exports.torchscript)),
        "onnxruntime": _onnxruntime(exports.onnx),
    }
    rng = np.random.default_rng(2)
    for batch in CHECK_BATCHES:
        inputs = random_inputs(exports.input, batch, rng)
        expected = exports.reference(inputs)
        for engine, run in engines.items():
            actual = run(inputs)
            if not imported.close(actual, expected):
                raise ImportRefused(
                    f"{engine} disagrees with the file on a batch of {batch}: "
                    f"shape {actual.shape} vs {expected.shape}"
                )


def record(name: str, exports: Exports, max_batch: int) -> imported.Record:
    """What models/imported.py makes the model's spec from, with its readiness probe."""
    row_values = int(np.prod(exports.input.shape[1:]))
    rows = max(1, min(PROBE_ROWS, PROBE_VALUES // row_values, max_batch))
    probe_inputs = random_inputs(exports.input, rows, np.random.default_rng(3))
    return {
        "name": name,
        "input": exports.input.as_dict(),
        "output": exports.output.as_dict(),
        "max_batch": max_batch,
        "probe_inputs": probe_inputs.tolist(),
        "probe_outputs": exports.reference(probe_inputs).tolist(),
    }


def check_name(name: str) -> None:
    if not NAME.fullmatch(name):
        raise ImportRefused(f"{name!r}: a name is 1 to 64 letters, digits, '_' or '-'")
    known = registry.references()
    if name in known and not known[name].startswith(f"{imported.__name__}:"):
        raise ImportRefused(f"{name!r} is already a model of polyserve's ({known[name]})")
    directory = ModelFiles.of(name).directory
    if directory.exists() and imported.record_of(name) is None:
        raise ImportRefused(f"{directory} exists and is not an imported model")


def write(
    name: str, source: Path, source_bytes: bytes, exports: Exports, max_batch: int
) -> ModelFiles:
    """The model's folder, made beside the artifacts and moved into place whole."""
    files = ModelFiles.of(name)
    staging = ModelFiles(artifacts_dir() / f".import-{name}", name)
    shutil.rmtree(staging.directory, ignore_errors=True)
    for path, data in (
        (staging.directory / f"source{source.suffix}", source_bytes),
        (staging.torchscript, exports.torchscript),
        (staging.onnx, exports.onnx),
        (staging.onnx_for_mxnet, exports.onnx_for_mxnet),
    ):
        write_atomically(path, data)
    manifest = {
        "source_file": source.name,
        "weights_sha256": hashlib.sha256(source_bytes).hexdigest(),  # the version
        "torch_version": torch.__version__,
        imported.RECORD: record(name, exports, max_batch),
    }
    staging.manifest.write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(files.directory, ignore_errors=True)
    staging.directory.replace(files.directory)
    return files


def import_model(
    name: str,
    source: Path,
    declared: TensorSpec | None = None,
    output_name: str | None = None,
    max_batch: int = DEFAULT_MAX_BATCH,
) -> ModelFiles:
    """Check, convert and install the model; ImportRefused (nothing left behind) otherwise."""
    check_name(name)
    if not 1 <= max_batch <= 1024:
        raise ImportRefused(f"--max-batch {max_batch}: 1 to 1024")
    make = {".onnx": from_onnx, ".pt": from_torchscript}.get(source.suffix)
    if make is None:
        raise ImportRefused(f"{source.name}: expected a TorchScript .pt or an .onnx file")
    blob = source.read_bytes()
    exports = make(blob, declared, output_name)
    check_parity(exports)
    files = write(name, source, blob, exports, max_batch)
    try:
        export_mar(registry.get(name), files, ENGINES)
    except (ArchiveError, ArchiveCheckError) as error:
        shutil.rmtree(files.directory, ignore_errors=True)
        for engine in ENGINES:
            files.mar(engine).unlink(missing_ok=True)
        raise ImportRefused(f"its MMS archive failed its check: {error}") from None
    return files


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m exporters import", description=__doc__)
    parser.add_argument("file", type=Path, help="a TorchScript .pt or an .onnx file")
    parser.add_argument("--name", required=True, help="the model's name in every URL")
    parser.add_argument("--input", type=parse_tensor, help="TorchScript: NAME:DATATYPE:-1,...")
    parser.add_argument("--output", help="TorchScript: the output tensor's name")
    parser.add_argument("--spec", type=Path, help="the tensors as JSON or YAML metadata")
    parser.add_argument("--max-batch", type=int, default=DEFAULT_MAX_BATCH)
    try:
        args = parser.parse_args(argv)
        declared, output_name = args.input, args.output
        if args.spec is not None:
            declared, output_name = read_spec_file(args.spec)
        files = import_model(args.name, args.file, declared, output_name, args.max_batch)
    except ImportRefused as error:
        print(f"refusing to import: {error}", file=sys.stderr)
        return 1
    print(f"imported {args.name} (version {files.version[:12]}) into {files.directory}")
    print(f"served by every backend started now: POST /v2/models/{args.name}/infer")
    return 0
