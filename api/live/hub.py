"""Live data: ONE polling loop on the attached car, fanned out to every listener.

The loop (obdcore's ``Client.stream``, per-PID refresh rates) starts with the first
listener and stops a few seconds after the last one left. Without Redis it runs in this
worker and feeds the listeners' queues directly. With ``NOVAEVO_REDIS_URL`` every worker
subscribes to one channel and only the worker holding a Redis lease (renewed while it
polls) talks to the car and publishes: several workers or machines share one dongle.
A slow listener loses its oldest samples, never slows the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from collections import deque
from typing import Any

from api.core.errors import ApiError

log = logging.getLogger("novaevo.live")

LIVE_PIDS = (
    "RPM",
    "SPEED",
    "THROTTLE_POS",
    "ENGINE_LOAD",
    "MAF",
    "INTAKE_PRESSURE",
    "SHORT_FUEL_TRIM_1",
    "LONG_FUEL_TRIM_1",
    "COOLANT_TEMP",
    "INTAKE_TEMP",
    "CONTROL_MODULE_VOLTAGE",
)
CHANNEL = "novaevo:live:samples"
LEASE = "novaevo:live:poller"
LEASE_S = 5
QUEUE_SIZE = 1000
IDLE_STOP_S = 3.0


class RateMeter:
    """Samples per second of each PID over the last few seconds."""

    def __init__(self, window_s: float = 5.0) -> None:
        self.window_s, self.times = window_s, {}

    def add(self, name: str, at: float) -> None:
        q = self.times.setdefault(name, deque())
        q.append(at)
        while q and q[0] < at - self.window_s:
            q.popleft()

    def rates(self, now: float) -> dict[str, float]:
        out = {}
        for name, q in self.times.items():
            recent = [t for t in q if t >= now - self.window_s]
            out[name] = round(len(recent) / self.window_s, 2)
        return out


class LiveHub:
    """Listeners subscribe (a queue each); one poller feeds them (see the module doc)."""

    def __init__(self, device: str | None, redis_url: str | None) -> None:
        self.device, self.redis_url = device, redis_url
        self.listeners: set[asyncio.Queue] = set()
        self.meter = RateMeter()
        self.polls_started = 0  # how many polling loops this worker ran (tests, metrics)
        self._task: asyncio.Task | None = None
        self._stopper: asyncio.Task | None = None
        self._closed = False  # shut down: a listener leaving afterwards starts no timer
        self._id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def subscribe(self) -> asyncio.Queue:
        """A queue of sample dicts for one listener (404 when no car is attached: this
        server has no live stream)."""
        if not self.device:
            raise ApiError(
                404,
                "no_live_device",
                "this server has no car attached (start it with --sim or --dongle)",
            )
        queue: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        self._closed = False
        self.listeners.add(queue)
        if self._stopper is not None:
            self._stopper.cancel()
            self._stopper = None
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        """Forget a listener; the loop stops a little after the last one left. A listener
        whose stream ends during shutdown (after ``close``) starts no timer: the closing
        event loop would destroy it pending."""
        self.listeners.discard(queue)
        if not self.listeners and self._stopper is None and not self._closed:
            self._stopper = asyncio.create_task(self._stop_later())

    async def _stop_later(self) -> None:
        await asyncio.sleep(IDLE_STOP_S)
        if not self.listeners:
            await self.close()

    async def close(self) -> None:
        """Stop the loop (and the simulator it started), and the pending stop timer: a
        timer left sleeping at shutdown is destroyed pending by the closing event loop."""
        self._closed = True
        stopper, self._stopper = self._stopper, None
        if stopper is not None and stopper is not asyncio.current_task():
            stopper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopper
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    def status(self) -> dict[str, Any]:
        """What is attached, how many listen here, the measured per-PID rates."""
        return {
            "device": "simulator" if self.device == "sim" else self.device,
            "listeners": len(self.listeners),
            "pids": list(LIVE_PIDS),
            "fan_out": "redis" if self.redis_url else "process",
            "rates_hz": self.meter.rates(time.time()),
        }

    def _deliver(self, sample: dict) -> None:
        self.meter.add(sample["name"], sample["at"])
        for queue in list(self.listeners):
            if queue.full():  # a slow listener loses its oldest sample
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(sample)

    async def _run(self) -> None:
        try:
            if self.redis_url:
                await self._run_redis()
            else:
                await self._poll(self._deliver)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - told to the listeners, then logged
            log.exception("live polling stopped")
            self._deliver(
                {
                    "type": "error",
                    "name": "error",
                    "at": time.time(),
                    "message": f"{type(exc).__name__}: {exc}"[:300],
                }
            )

    async def _poll(self, emit) -> None:  # noqa: ANN001 - callable(sample dict)
        """The polling loop: connect (starting the simulator for ``sim``), stream."""
        from obdcore import Client

        self.polls_started += 1
        simulator = _start_simulator() if self.device == "sim" else None
        try:
            url = simulator.url if simulator else self.device
            async with Client(url) as car:
                async for s in car.stream(list(LIVE_PIDS)):
                    if isinstance(s.value, int | float):
                        emit(
                            {
                                "type": "sample",
                                "name": s.name,
                                "value": float(s.value),
                                "unit": s.unit,
                                "ecu": s.ecu,
                                "at": time.time(),
                            }
                        )
        finally:
            if simulator is not None:
                await asyncio.to_thread(simulator.stop)

    async def _run_redis(self) -> None:
        """Subscribe to the channel; poll and publish while holding the lease."""
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.redis_url)
        pubsub = client.pubsub()
        await pubsub.subscribe(CHANNEL)
        leader = asyncio.create_task(self._lead(client))
        try:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    self._deliver(json.loads(message["data"]))
        finally:
            leader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await leader
            await pubsub.aclose()
            await client.aclose()

    async def _lead(self, client) -> None:  # noqa: ANN001 - redis.asyncio.Redis
        """Try for the lease every second; while held, poll the car and publish."""
        while True:
            if await client.set(LEASE, self._id, nx=True, ex=LEASE_S):
                renew = asyncio.create_task(self._renew(client))
                try:
                    await self._poll(
                        lambda s: asyncio.ensure_future(client.publish(CHANNEL, json.dumps(s)))
                    )
                finally:
                    renew.cancel()
                    if (await client.get(LEASE) or b"").decode() == self._id:
                        await client.delete(LEASE)
            await asyncio.sleep(1.0)

    async def _renew(self, client) -> None:  # noqa: ANN001
        while True:
            await asyncio.sleep(LEASE_S / 3)
            await client.set(LEASE, self._id, xx=True, ex=LEASE_S)


def _start_simulator():  # noqa: ANN202 - firmware_sim.Simulator
    """The demo car: a simulated warm petrol engine on a TCP port of this machine."""
    import firmware_sim

    sim = firmware_sim.Simulator(transport="tcp", timing="realistic", start_s=300.0)
    sim.start()
    return sim
