"""LitServe serving the contract's v1 route, run in LitServe's venv with the repository on
PYTHONPATH (loadtest/peers/litserve.py starts it):

    python -m loadtest.peers.litserve_server --port PORT --models fizzbuzz,digits
        [--workers N] [--batch N] [--batch-timeout-ms MS] [--api-servers N]

One LitAPI per model at /predictions/<model>, all in one LitServer; every worker's work is
loadtest/peers/answering.py's. LitServe parses each body as JSON before a worker sees it, so
the codec decodes the parsed document (a body that is not JSON gets LitServe's own 500).
"""

# No `from __future__ import annotations`: LitServe reads decode_request's and
# encode_response's annotations as objects to build its route (an unannotated request: the
# JSON body; a Response: sent as it is).
import argparse
import warnings
from typing import Any

import litserve
from starlette.responses import Response

from loadtest.peers.answering import Answer, BatchAnswerer, Decoded
from models.artifacts import ModelFiles


class ContractAPI(litserve.LitAPI):
    """One model at the contract's path, batching `max_batch_size` requests per model call."""

    def __init__(self, model: str, max_batch_size: int, batch_timeout_s: float) -> None:
        super().__init__(
            max_batch_size=max_batch_size,
            batch_timeout=batch_timeout_s,
            api_path=f"/predictions/{model}",
        )
        self.model = model
        self.answerer: BatchAnswerer | None = None

    def setup(self, device: Any) -> None:
        self.answerer = BatchAnswerer.load(self.model, ModelFiles.of(self.model).torchscript)

    def loaded(self) -> BatchAnswerer:
        if self.answerer is None:
            raise RuntimeError(f"{self.model}: a request before setup()")
        return self.answerer

    def decode_request(self, request) -> Decoded:  # unannotated on purpose: see the top
        return self.loaded().decode_document(request)

    def batch(self, inputs: list[Decoded]) -> list[Decoded]:
        return inputs

    def predict(self, x: Any) -> Any:
        """A list of decoded bodies when batching (their answers), else one (its answer)."""
        if self.max_batch_size > 1:
            return self.loaded().answer_decoded(x)
        return self.loaded().answer_decoded([x])[0]

    def unbatch(self, output: list[Answer]) -> list[Answer]:
        return output

    def encode_response(self, output: Answer) -> Response:
        return Response(output.body, output.status, media_type=output.content_type)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtest.peers.litserve_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--models", required=True, help="comma-separated")
    parser.add_argument("--workers", type=int, default=1, help="inference workers per model")
    parser.add_argument("--batch", type=int, default=1, help="max_batch_size (1: none)")
    parser.add_argument("--batch-timeout-ms", type=float, default=0.0)
    parser.add_argument("--api-servers", type=int, default=1, help="uvicorn processes")
    parser.add_argument("--fast-queue", action="store_true", help="ZeroMQ, not Manager queues")
    args = parser.parse_args(argv)
    models = [name for name in args.models.split(",") if name]
    # batch() and unbatch() pass lists through, batched or not: nothing to warn about.
    warnings.filterwarnings("ignore", "The LitServer has both batch and unbatch", UserWarning)
    apis = [ContractAPI(model, args.batch, args.batch_timeout_ms / 1000) for model in models]
    server = litserve.LitServer(
        apis, accelerator="cpu", workers_per_device=args.workers, fast_queue=args.fast_queue
    )
    server.run(
        host=args.host,
        port=args.port,
        num_api_servers=args.api_servers,
        log_level="warning",
        generate_client_file=False,
    )


if __name__ == "__main__":
    main()
