"""Live data from the simulator attached to the server: SSE and WebSocket listeners share
one polling loop; with Redis, several workers share one loop (the lease holder's)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from api.database import make_engine, upgrade
from tests.api.conftest import User, assert_error, make_settings

REDIS = "redis://127.0.0.1:6379/15"


def _app(tmp_path, **overrides):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    upgrade(make_engine(url))
    return create_app(make_settings(url, tmp_path, **overrides))


def _sse_samples(lines, count: int) -> list[dict]:
    """The next ``count`` samples of an SSE line iterator."""
    samples = []
    for line in lines:
        if line.startswith("data:"):
            payload = json.loads(line[5:])
            if payload.get("type") == "sample":
                samples.append(payload)
        if len(samples) >= count:
            return samples
    raise AssertionError("the stream ended")


def test_sse_and_websocket_listeners_share_one_polling_loop(tmp_path) -> None:
    app = _app(tmp_path, live_device="sim")
    with TestClient(app) as c:
        u = User(c)
        with c.stream("GET", "/v1/live/stream", headers=u.headers) as sse:
            assert sse.headers["content-type"].startswith("text/event-stream")
            lines = sse.iter_lines()
            first = _sse_samples(lines, 3)
            assert {s["name"] for s in first} <= set(u.get("/v1/live").json()["pids"])
            url = f"/v1/live/ws?token={u.tokens['access_token']}&pids=RPM"
            with c.websocket_connect(url) as ws:
                got = [ws.receive_json() for _ in range(6)]
                assert {m["name"] for m in got if m["type"] == "sample"} == {"RPM"}
                assert len(app.state.live.listeners) == 2
                assert 500 < got[0]["value"] < 8000 and got[0]["unit"] == "rpm"
            assert len(_sse_samples(lines, 3)) == 3  # the first listener still streams
        status = u.get("/v1/live").json()
        assert status["device"] == "simulator" and status["rates_hz"]["RPM"] > 0
    assert app.state.live.polls_started == 1


def test_live_needs_an_attached_car_and_a_login(tmp_path) -> None:
    with TestClient(_app(tmp_path)) as c:
        u = User(c)
        assert_error(u.get("/v1/live/stream"), 404, "no_live_device")
        assert_error(c.get("/v1/live/stream"), 401, "unauthorized")
        with (
            pytest.raises(WebSocketDisconnect) as closed,
            c.websocket_connect("/v1/live/ws?token=nope") as ws,
        ):
            ws.receive_json()
        assert closed.value.code == 4401


def test_with_redis_two_workers_share_one_polling_loop(tmp_path) -> None:
    import redis

    from api.live.hub import LEASE

    redis.Redis.from_url(REDIS).delete(LEASE)
    for i in range(2):
        (tmp_path / str(i)).mkdir()
    apps = [_app(tmp_path / str(i), live_device="sim", redis_url=REDIS) for i in range(2)]
    with TestClient(apps[0]) as c0, TestClient(apps[1]) as c1:
        u0, u1 = User(c0), User(c1)
        with (
            c0.stream("GET", "/v1/live/stream", headers=u0.headers) as s0,
            c1.stream("GET", "/v1/live/stream", headers=u1.headers) as s1,
        ):
            a, b = _sse_samples(s0.iter_lines(), 5), _sse_samples(s1.iter_lines(), 5)
        assert {s["name"] for s in a} and {s["name"] for s in b}
        assert u0.get("/v1/live").json()["fan_out"] == "redis"
    assert sorted(app.state.live.polls_started for app in apps) == [0, 1]


def test_closing_the_hub_cancels_its_pending_stop_timer() -> None:
    """The timer that stops an idle loop is cancelled on shutdown, not left pending for
    the closing event loop to destroy ("Task was destroyed but it is pending")."""
    import asyncio

    from api.live.hub import LiveHub

    async def scenario() -> bool:
        hub = LiveHub(device=None, redis_url=None)
        hub.unsubscribe(asyncio.Queue())  # the last listener left: the stop timer starts
        timer = hub._stopper
        assert timer is not None and not timer.done()
        await hub.close()
        return timer.cancelled()  # asked before asyncio.run cancels what is left

    assert asyncio.run(scenario())


def test_a_listener_leaving_after_shutdown_starts_no_stop_timer() -> None:
    """An SSE stream whose generator ends while the server shuts down leaves after
    ``close``: a timer started then would be destroyed pending by the closing loop."""
    import asyncio

    from api.live.hub import LiveHub

    async def scenario() -> object:
        hub = LiveHub(device=None, redis_url=None)
        await hub.close()
        hub.unsubscribe(asyncio.Queue())
        return hub._stopper

    assert asyncio.run(scenario()) is None
