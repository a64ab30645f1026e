"""The paths each backend answers GET on, from the code itself (no server started)."""

from __future__ import annotations

import re

from models.artifacts import REPO_ROOT

MMS_NGINX = REPO_ROOT / "services" / "mms" / "nginx.conf"


def flask_paths() -> set[str]:
    from services.contract.dataplane import DataPlane
    from services.flask.app import create_app

    app = create_app(DataPlane([]))
    return {rule.rule for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}


def gateway_paths() -> set[str]:
    """From the OpenAPI document (FastAPI may keep included routers apart from app.routes)."""
    from services.config import Settings
    from services.redisai.gateway.app import create_app

    # Nothing connects before the first request: the URL only has to parse.
    settings = Settings.load(redis_url="redis://127.0.0.1:1/0")
    paths = create_app(settings, []).app.openapi()["paths"]
    return {path for path, operations in paths.items() if "get" in operations}


def mms_paths() -> set[str]:
    """The exact locations of the front's inference server (the first `server` block; the
    second is the management API's, on the container's loopback)."""
    inference = MMS_NGINX.read_text().split("server {")[1]
    return set(re.findall(r"location = (\S+) \{", inference))


PATHS = {"flask": flask_paths, "gateway": gateway_paths, "mms": mms_paths}
