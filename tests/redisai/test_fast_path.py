"""Which requests the gateway's plain-ASGI fast path takes (the rest go to FastAPI)."""

from __future__ import annotations

import pytest

from services.redisai.gateway.fast_path import Route, inference_route


@pytest.mark.parametrize(
    ("method", "path", "route"),
    [
        ("POST", "/predictions/fizzbuzz", Route("v1", "fizzbuzz")),
        ("POST", "/v2/models/digits/infer", Route("v2", "digits")),
        ("POST", "/v2/models/digits/versions/abc/infer", Route("v2", "digits", "abc")),
        ("GET", "/predictions/fizzbuzz", None),
        ("GET", "/v2/models/digits/infer", None),
        ("POST", "/predictions/", None),
        ("POST", "/predictions/a/b", None),
        ("POST", "/v2/models//infer", None),
        ("POST", "/v2/models/digits/versions//infer", None),
        ("POST", "/v2/models/digits/other/abc/infer", None),
        ("POST", "/v2/models/digits/ready", None),
        ("POST", "/v2/models/digits", None),
        ("POST", "/v2/x/digits/infer", None),
    ],
)
def test_inference_routes(method: str, path: str, route: Route | None) -> None:
    assert inference_route({"type": "http", "method": method, "path": path}) == route
