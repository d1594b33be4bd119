"""No double booking under load: 200 concurrent requests for the last bay of one slot, sent
over real TCP to a real uvicorn server (its threadpool runs them in parallel against the
database), on SQLite and on the real PostgreSQL server: exactly one 201, 199 409s."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections import Counter

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.garages.models import ACTIVE_STATES, Booking
from tests.api.garages.conftest import Driver, add_garage, book, quote_and_slot

COIL = {"part_types": {"ignition_coil": 1}}
REQUESTS = 200


class LiveServer:
    """The app served by uvicorn on a free loopback port, in a thread."""

    def __init__(self, app) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, lifespan="off", log_level="warning", backlog=1024)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)  # fmt: skip

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


async def _race(url: str, requests: list[tuple[dict, dict]]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as http:
        return await asyncio.gather(
            *(http.post("/v1/bookings", json=body, headers=headers) for body, headers in requests)
        )


@pytest.mark.slow  # about 20 s per database on this 2-core machine
def test_200_concurrent_requests_for_the_last_bay(client, app, world) -> None:
    garage = add_garage(app, world, f"race-{uuid.uuid4().hex[:6]}", 3.3, bays=2)
    drivers = [Driver(client, app, world) for _ in range(8)]
    quote, start = quote_and_slot(drivers[0], garage, COIL, slot_index=4)
    assert book(drivers[0], garage, COIL, start, quote).status_code == 201  # one bay left
    requests = []
    for n in range(REQUESTS):
        d = drivers[1 + n % (len(drivers) - 1)]
        body = {"garage_id": garage, "vehicle_id": d.vehicle_id, "start": start,
                "quote_fingerprint": quote["fingerprint"], "consent": True, **COIL}  # fmt: skip
        requests.append((body, d.headers))
    with LiveServer(app) as live:
        responses = asyncio.run(_race(live.url, requests))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: REQUESTS - 1}, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"slot_taken"}
    with Session(app.state.engine) as s:
        active = s.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.garage_id == garage, Booking.status.in_(ACTIVE_STATES))
        )
    assert active == 2
