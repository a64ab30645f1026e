"""The nginx front of the Flask backend: its configuration (services/flask/nginx.conf, inside
what every front shares: services/nginx-front.conf)."""

from __future__ import annotations

from pathlib import Path

from services.nginx import front_values, listen_address, plain_path, render_front

TEMPLATE = Path(__file__).with_name("nginx.conf")
# How long nginx keeps an idle connection to gunicorn; gunicorn's own keepalive is longer
# (gunicorn.conf.py), so the side that sends the next request is always the one that closes.
UPSTREAM_IDLE_S = 10


def render_config(*, host: str, port: int, socket: Path, temp_dir: Path, pid_file: Path) -> str:
    """nginx.conf listening on host:port, in front of gunicorn on `socket`."""
    return render_front(TEMPLATE, {
        "listen": listen_address(host, port),
        "socket": plain_path(socket),
        "upstream_idle_s": str(UPSTREAM_IDLE_S),
        **front_values(temp_dir=temp_dir, pid_file=pid_file),
    })  # fmt: skip
