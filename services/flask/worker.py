"""gunicorn's gthread worker, answering what its HTTP parser refuses in the contract's JSON.

gunicorn writes those answers itself (400 for a request line or header it cannot parse,
414, 417, 431, and a 500 for a failure outside the app) as HTML, through one function,
gunicorn.util.write_error, with no setting or hook for the body. This module swaps that
function for one writing the contract's error shape, in every process that loads the worker
class. Behind the nginx front few requests get there: those nginx passes on and gunicorn's
stricter parser still refuses (a control character in a header value, an odd method).
"""

from __future__ import annotations

import socket

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from services.contract.errors import INTERNAL_ERROR, error_body
from services.contract.protocol import BACKEND_HEADER, CONTENT_TYPE, render
from services.flask.app import BACKEND

TYPES = {400: "BadRequest", INTERNAL_ERROR[0]: INTERNAL_ERROR[1]}  # as the other fronts


def write_json_error(sock: socket.socket, status: int, reason: str, message: str) -> None:
    error_type = TYPES.get(status) or reason.title().replace(" ", "")
    body = render(error_body(status, error_type, message or reason))
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: {CONTENT_TYPE}\r\nContent-Length: {len(body)}\r\n"
        f"{BACKEND_HEADER}: {BACKEND}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


util.write_error = write_json_error


class ContractErrorsWorker(ThreadWorker):
    """gunicorn's gthread worker; its own error answers in JSON (see the module)."""
