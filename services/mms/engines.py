"""The two engines an archive can hold, each turned into the shared Predictor shape.

Travels inside the archive. Engine libraries are imported only when their engine is loaded,
so an onnxruntime archive never imports MXNet (and the other way round).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from services.contract.handler import Predictor

ONNXRUNTIME = "onnxruntime"
MXNET = "mxnet"
ENGINES = (ONNXRUNTIME, MXNET)


def load_predictor(engine: str, model_file: Path, input_name: str) -> Predictor:
    """A Predictor for `model_file` (whose input is `input_name`) run by `engine`; raises if
    either is unusable."""
    if engine == ONNXRUNTIME:
        return _onnxruntime_predictor(model_file, input_name)
    if engine == MXNET:
        return _mxnet_predictor(model_file, input_name)
    raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")


def _onnxruntime_predictor(model_file: Path, input_name: str) -> Predictor:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # MMS scales with worker processes: one thread each keeps them off each other's cores.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(model_file), options, providers=["CPUExecutionProvider"]
    )

    def predict(inputs: np.ndarray) -> np.ndarray:
        return session.run(None, {input_name: inputs})[0]

    return predict


def _mxnet_predictor(model_file: Path, input_name: str) -> Predictor:
    import mxnet
    from mxnet.contrib import onnx as onnx_mxnet

    symbol, arg_params, aux_params = onnx_mxnet.import_model(str(model_file))
    with warnings.catch_warnings():
        # The input's dtype is only known at the first call; MXNet warns about it here.
        warnings.simplefilter("ignore", UserWarning)
        block = mxnet.gluon.nn.SymbolBlock(outputs=symbol, inputs=mxnet.sym.var(input_name))
    params = block.collect_params()
    params.initialize(ctx=mxnet.cpu())  # deferred until set_data hands over the real weights
    for name, value in {**arg_params, **aux_params}.items():
        params[name].set_data(value)

    def predict(inputs: np.ndarray) -> np.ndarray:
        return block(mxnet.nd.array(inputs, dtype=inputs.dtype)).asnumpy()

    return predict
