"""The nginx front of the Flask backend: its configuration (services/flask/nginx.conf)."""

from __future__ import annotations

from pathlib import Path

from services.contract import v2
from services.contract.protocol import MAX_BODY_BYTES
from services.nginx import (
    PROTOCOL_ERROR_PAGES,
    error_pages,
    listen_address,
    plain_path,
    protocol_errors,
    render_template,
    user_directive,
)

TEMPLATE = Path(__file__).with_name("nginx.conf")


def render_config(*, host: str, port: int, socket: Path, temp_dir: Path, pid_file: Path) -> str:
    """nginx.conf listening on host:port, in front of gunicorn on `socket`."""
    return render_template(TEMPLATE, {
        "listen": listen_address(host, port),
        "socket": plain_path(socket),
        "temp_dir": plain_path(temp_dir),
        "pid_file": plain_path(pid_file),
        "max_body": str(MAX_BODY_BYTES),
        "v2_max_body": str(v2.MAX_BODY_BYTES),
        "user": user_directive(),
        "protocol_errors": protocol_errors(),
        "protocol_error_pages": PROTOCOL_ERROR_PAGES,
        **error_pages(),
    })  # fmt: skip
