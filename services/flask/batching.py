"""Batching on the Flask backend: its limits from the settings, and each answer's
X-Batch-Size header (how many requests the model call that answered it served).

The batcher (services/contract/batcher.py) tells each request's own thread its count;
that goes in Flask's `g` (the request's own), and an after-request hook copies it into the
header, on v1 and v2 answers alike. Only with batching on: off, every answer is its own
model call, and the unbatched path does nothing more than before (no `g` write, no hook).
Answers no model call gave (a bad body, an unknown model, a call that failed) carry none.
"""

from __future__ import annotations

from flask import Response, g

from models.spec import Batching, ModelSpec
from services.config import Settings
from services.contract.batcher import BATCH_HEADER, BatchLimits

_COUNT = "polyserve_batch_size"  # the attribute of `g` holding the request's count


def model_batching(settings: Settings, spec: ModelSpec) -> Batching:
    """The model's own Flask batching (its spec's `serving.flask`), with what the settings
    give over it, each of size and delay on its own."""
    return spec.serving.flask.overridden(settings.flask_batch_size, settings.flask_batch_delay_ms)


def batch_limits(settings: Settings, spec: ModelSpec) -> BatchLimits | None:
    """The model's batch limits, or None when it is served unbatched (a batch size of 1).
    A call takes at most the rows of the largest request the model accepts (its codec's
    max_batch, which v2's shapes are held to as well): batching never gives the model more
    rows at once than one request may."""
    batching = model_batching(settings, spec)
    if batching.size <= 1:
        return None
    return BatchLimits(batching.size, spec.codec.max_batch, batching.delay_ms / 1000)


def note_batch_size(requests: int) -> None:
    """The batcher's report, in the request's thread: kept for its answer's header."""
    setattr(g, _COUNT, requests)


def tag_batch_size(response: Response) -> Response:
    """Flask's after-request hook: the header, when a model call answered this request."""
    requests = g.get(_COUNT)
    if requests is not None:
        response.headers[BATCH_HEADER] = str(requests)
    return response
