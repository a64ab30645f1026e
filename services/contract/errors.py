"""The contract's domain errors and the one table that turns any of them into HTTP.

Model and route code raise these (or the codec's InvalidInput); only `error_response`
knows about status codes and the error body `{"code", "type", "message"}`. The 404 and 405
wording is MMS's own, so a backend whose front end we do not control answers the same.
"""

from __future__ import annotations

import logging

from models.spec import InvalidInput

log = logging.getLogger(__name__)


class ModelNotFound(LookupError):
    def __init__(self, model: str, version: str | None = None) -> None:
        named = model if version is None else f"{model} version {version}"
        super().__init__(f"Model not found: {named}")


class RouteNotFound(LookupError):
    def __init__(self) -> None:
        super().__init__("Requested resource is not found, please refer to API document.")


class MethodNotAllowed(ValueError):
    def __init__(self) -> None:
        super().__init__("Requested method is not allowed, please refer to API document.")


class PayloadTooLarge(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than the limit of {limit} bytes")


class UnsupportedEncoding(ValueError):
    def __init__(self, encoding: str, supported: tuple[str, ...]) -> None:
        accepted = ", ".join(supported)
        super().__init__(f"Content-Encoding {encoding!r} is not supported; send {accepted} or none")


class ModelNotReady(RuntimeError):
    """The model cannot answer now (not loaded, its store unreachable)."""


ERROR_TABLE: dict[type[Exception], tuple[int, str]] = {
    InvalidInput: (400, "InvalidInput"),
    ModelNotFound: (404, "ModelNotFoundException"),
    RouteNotFound: (404, "ResourceNotFoundException"),
    MethodNotAllowed: (405, "MethodNotAllowedException"),
    PayloadTooLarge: (413, "PayloadTooLarge"),
    UnsupportedEncoding: (415, "UnsupportedMediaType"),
    ModelNotReady: (503, "ServiceUnavailable"),
}
INTERNAL_ERROR = (500, "InternalServerError")


def error_body(status: int, error_type: str, message: str) -> dict[str, object]:
    return {"code": status, "type": error_type, "message": message}


def error_response(error: Exception) -> tuple[int, dict[str, object]]:
    """(status, body) for any exception; unknown ones are logged and become a 500."""
    for error_class, (status, error_type) in ERROR_TABLE.items():
        if isinstance(error, error_class):
            return status, error_body(status, error_type, str(error))
    log.exception("unexpected failure while answering a request", exc_info=error)
    status, error_type = INTERNAL_ERROR
    return status, error_body(status, error_type, f"inference failed: {type(error).__name__}")
