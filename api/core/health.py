"""Liveness, readiness and Prometheus metrics (unversioned: they are for operators)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from api.core import metrics
from api.database import current_revisions

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    """The process answers."""

    status: str = "ok"


class Readiness(BaseModel):
    """Whether this worker can serve: each check ``ok`` or what is wrong."""

    ready: bool
    checks: dict[str, str]


@router.get("/health", response_model=Health)
def health() -> Health:
    """Liveness: the process answers (no dependency checked)."""
    return Health()


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
def readiness(request: Request) -> JSONResponse:
    """Readiness: database reachable, migrations at every head, OCR models loaded."""
    state = request.app.state
    checks = {"database": "ok", "migrations": "ok", "ocr": state.ocr.status}
    try:
        with state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            missing = state.head_revisions - current_revisions(conn)
        if missing:
            checks["migrations"] = "missing " + ", ".join(sorted(missing))
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["migrations"] = "unknown"
    if checks["ocr"] == "ready" or (
        checks["ocr"] == "not_loaded" and not state.settings.ocr_preload
    ):
        checks["ocr"] = "ok" if checks["ocr"] == "ready" else "lazy (not preloaded)"
    ok = all(v == "ok" or v.startswith("lazy") for v in checks.values())
    body = Readiness(ready=ok, checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def prometheus_metrics() -> Response:
    """Prometheus exposition (every worker's figures under ``--workers N``)."""
    payload, content_type = metrics.render()
    return Response(payload, media_type=content_type)
