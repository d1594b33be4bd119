"""Pure-ASGI middleware (cheaper than Starlette's BaseHTTPMiddleware): request id, one log
line and metrics per request, and the last line of defence against unexpected errors."""

from __future__ import annotations

import logging
import os
import random
import re
import time
from typing import Any

from api.core.context import request_id_var
from api.core.errors import error_response
from api.core.metrics import LATENCY, REQUESTS

log = logging.getLogger("novaevo.api")
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Request ids: seeded from os.urandom when the module loads and again in a forked child
# (workers forked from one parent must not repeat each other's ids).
_ids = random.Random()
os.register_at_fork(after_in_child=_ids.seed)


class RequestContextMiddleware:
    """Sets the request id (the client's ``X-Request-ID`` when sane, else a new one), echoes
    it in the response, logs and measures the request, and answers an unhandled exception
    with a 500 of the standard error shape (the traceback goes to the log only)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        request_id_var.set(request_id)
        started, status = time.perf_counter(), [500]

        async def send_with_id(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error")
            if scope["type"] == "http" and status[0] == 500:
                response = error_response(500, "internal_error", "internal server error")
                try:
                    await response(scope, receive, send_with_id)
                except RuntimeError:  # the response had already started: nothing to add
                    pass
        finally:
            _observe(scope, status[0], time.perf_counter() - started)


def new_request_id() -> str:
    """A fresh request id: 32 hex digits (128 random bits, like a uuid4's hex) without a
    system call per request (an id must be unique, not secret)."""
    return f"{_ids.getrandbits(128):032x}"


def _request_id(scope: dict) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _GOOD_ID.match(text):
                return text
    return new_request_id()


def _route_template(scope: dict) -> str:
    # The template (/v1/vehicles/{vehicle_id}), never the path: bounded metric labels.
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    template = getattr(context, "path_format", None)
    return template or getattr(scope.get("route"), "path", None) or "unmatched"


def _observe(scope: dict, status: int, seconds: float) -> None:
    route = _route_template(scope)
    method = scope.get("method", "WS")
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)
    log.info(
        "request",
        extra={
            "method": method,
            "path": scope.get("path"),
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
        },
    )
