"""The FastAPI application factory.

``create_app(settings)`` builds one engine + session factory, the rate limiter (database or
Redis), the OCR service, and mounts every domain's router under ``/v1`` (see
:mod:`api.registry`; the routes are then flattened and indexed by path prefix,
:mod:`api.core.routing`). Operation ids are the route functions' names (stable, unique: a test
checks it). Run it with ``novaevo serve`` or ``uvicorn --factory api.app:create_app``.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from anyio import CapacityLimiter
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from api.core.errors import COMMON_ERRORS, install_error_handlers
from api.core.health import router as health_router
from api.core.logging import configure_logging
from api.core.middleware import RequestContextMiddleware
from api.core.ocr import OcrService
from api.core.ratelimit import make_rate_limiter
from api.core.routing import flatten_routes, install_route_index
from api.database import (
    READ_POOL_SIZE,
    head_revisions,
    make_engine,
    make_read_engine,
    session_factory,
)
from api.diagnoses.guided import GuidedTests
from api.live.hub import LiveHub
from api.registry import domain_routers
from api.settings import Settings

API_VERSION = "v1"


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    """The NovaEvo API for ``settings`` (default: read from the environment)."""
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.json_logs)
    app = FastAPI(
        title="NovaEvo API",
        version="1.0.0",
        description=(
            "Car diagnostics through ELM327 dongles: accounts, vehicles, sessions, decoding,"
            " diagnoses, parts. Sign up, log in, then press *Authorize* with the access token."
        ),
        generate_unique_id_function=_operation_id,
        lifespan=_lifespan,
    )
    _attach_state(app, settings)
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health_router)
    v1 = APIRouter(prefix=f"/{API_VERSION}", responses=COMMON_ERRORS)
    for _domain, router in domain_routers():
        v1.include_router(router)
    app.include_router(v1)
    # same routes and schema, found without trying every route (api.core.routing)
    flatten_routes(app)
    install_route_index(app)
    return app


def _attach_state(app: FastAPI, settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url())
    app.state.settings = settings
    app.state.engine = engine
    app.state.read_engine = make_read_engine(engine)  # the one-step reads' (api.deps.Caller)
    # At most this many reads of a worker in threads at once (the others wait on the event
    # loop, costing nothing): more threads only fought over the GIL, -20 % CPU a read at 64
    # connections on 2 cores.
    app.state.read_limiter = CapacityLimiter(READ_POOL_SIZE)
    app.state.sessions = session_factory(engine)
    app.state.limiter = make_rate_limiter(engine, settings.redis_url)
    app.state.ocr = OcrService(settings.ocr_engine, settings.ocr_timeout_s)
    app.state.head_revisions = head_revisions()
    app.state.live = LiveHub(settings.live_device, settings.redis_url)
    app.state.guided = GuidedTests()  # guided tests on the attached car, in this worker


@asynccontextmanager
async def _lifespan(app: FastAPI):  # noqa: ANN202 - async generator
    if app.state.settings.ocr_preload:
        app.state.ocr.start_loading()
    try:
        yield
    finally:
        await app.state.guided.close()
        await app.state.live.close()
        app.state.ocr.close()
        app.state.engine.dispose()
        app.state.read_engine.dispose()
