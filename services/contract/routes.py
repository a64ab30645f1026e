"""The contract's inference routes, told by a request's path alone.

`/predictions/{model}` (v1) and `/v2/models/{model}[/versions/{version}]/infer` (v2): the
gateway's fast path takes a POST to them, and the metrics count every request to them,
whatever its method, by model and protocol (services/metrics.py).
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "/predictions/"


@dataclass(frozen=True)
class Route:
    """An inference request: which protocol, model and (v2) version."""

    protocol: str
    model: str
    version: str | None = None


def inference_route(path: str) -> Route | None:
    """The inference route `path` (percent-decoded, as WSGI and ASGI give it) is, else None."""
    if path.startswith(PREFIX):
        model = path[len(PREFIX) :]
        return Route("v1", model) if model and "/" not in model else None
    parts = path.split("/")  # "", "v2", "models", model, [versions, version,] infer
    if parts[1:3] != ["v2", "models"] or parts[-1] != "infer" or not all(parts[3:]):
        return None
    if len(parts) == 5:
        return Route("v2", parts[3])
    if len(parts) == 7 and parts[4] == "versions":
        return Route("v2", parts[3], parts[5])
    return None
