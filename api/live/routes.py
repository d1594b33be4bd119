"""``/v1/live``: the live PIDs of the car attached to the server (``--sim``/``--dongle``),
as Server-Sent Events or over a WebSocket; every listener shares one polling loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.core.errors import ApiError
from api.deps import CurrentUser

router = APIRouter(tags=["live"])
PidFilter = Annotated[
    str | None,
    Query(
        max_length=400,
        pattern=r"^[A-Z0-9_]+(,[A-Z0-9_]+)*$",
        description="comma-separated PID names to receive (default: all)",
    ),
]


class LiveStatus(BaseModel):
    """What the server is attached to and the measured refresh rate of each PID."""

    device: str | None
    listeners: int
    pids: list[str]
    fan_out: str
    rates_hz: dict[str, float]


@router.get("/live", response_model=LiveStatus)
def live_status(request: Request, user: CurrentUser) -> object:
    """The attached car (if any), listeners in this worker, per-PID rates (Hz)."""
    return request.app.state.live.status()


def _wanted(pids: str | None) -> set[str] | None:
    return set(pids.split(",")) if pids else None


@router.get(
    "/live/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "events `sample` and, every second, `rates`",
        },
    },
)
async def live_stream(request: Request, user: CurrentUser, pids: PidFilter = None) -> object:
    """Server-Sent Events: ``event: sample`` per value, ``event: rates`` every second."""
    hub = request.app.state.live
    queue = hub.subscribe()
    wanted = _wanted(pids)

    async def events():
        try:
            # Starlette cancels this generator when the client goes away
            async for kind, payload in _feed(hub, queue, wanted):
                yield f"event: {kind}\ndata: {json.dumps(payload)}\n\n"
        finally:
            hub.unsubscribe(queue)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


async def _feed(hub, queue: asyncio.Queue, wanted: set[str] | None):  # noqa: ANN001, ANN202
    """``(kind, payload)``: each sample the listener wants, and the rates each second."""
    loop = asyncio.get_running_loop()
    next_rates = loop.time() + 1.0
    while True:
        try:
            sample = await asyncio.wait_for(queue.get(), max(0.01, next_rates - loop.time()))
            if wanted is None or sample["name"] in wanted or sample["type"] == "error":
                yield sample["type"], sample
        except TimeoutError:
            pass
        if loop.time() >= next_rates:
            next_rates = loop.time() + 1.0
            yield "rates", hub.status()["rates_hz"]


@router.websocket("/live/ws")
async def live_websocket(
    websocket: WebSocket, token: str | None = None, pids: str | None = None
) -> None:
    """WebSocket: JSON messages ``{"type": "sample"|"rates"|"error", ...}``. Authenticate
    with ``?token=<access token>`` or an ``Authorization: Bearer`` header."""
    from api.accounts.service import authenticate

    app = websocket.app
    bearer = token or websocket.headers.get("authorization", "").removeprefix("Bearer ")
    try:
        with app.state.sessions() as session:
            await run_in_threadpool(authenticate, session, app.state.settings, bearer, None)
        queue = app.state.live.subscribe()
    except ApiError as exc:
        await websocket.close(code=4401 if exc.status == 401 else 4404, reason=exc.message)
        return
    await websocket.accept()
    try:
        async for kind, payload in _feed(app.state.live, queue, _wanted(pids)):
            await websocket.send_json(
                {**payload, "type": kind}
                if kind != "rates"
                else {"type": "rates", "rates_hz": payload}
            )
    except WebSocketDisconnect:
        pass
    finally:
        app.state.live.unsubscribe(queue)
        with contextlib.suppress(Exception):
            await websocket.close()
