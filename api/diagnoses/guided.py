"""The guided test on the car attached to the server (``novaevo serve --sim`` / ``--dongle``),
run in the background: the request gets a ``running`` diagnosis at once (202) and the test
goes on in a thread of this worker with an event loop of its own (the runner diagnoses
after each phase: CPU work kept off the server's loop), saving its progress and then its
result in the diagnosis row, which any worker can read.

With ``--sim`` each test gets its own simulated car with the faults asked for (the demo
picks what is wrong with it), so tests of several users never share a link. With
``--dongle`` there is one car: one guided test at a time in this worker, and none while
the live stream polls it (409 ``car_busy``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

from fastapi.concurrency import run_in_threadpool

from api.core.errors import ApiError
from api.diagnoses import service

log = logging.getLogger("novaevo.diagnoses")


class GuidedTests:
    """The guided tests running in this worker (kept referenced until they end)."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task] = set()
        self._dongle_busy = False

    async def start(self, app: Any, user: Any, vehicle_id: int, faults: list[str],
                    symptoms: list[str]) -> int:  # fmt: skip
        """Check the attached car, store a ``running`` diagnosis, start the test; returns
        the diagnosis id. Raises 409 ``no_car_attached`` / ``car_busy``, 422 ``invalid_fault``
        / ``faults_need_simulator``, 404 (not the caller's vehicle)."""
        device = app.state.live.device
        if not device:
            raise ApiError(409, "no_car_attached",
                           "this server has no car attached: start it with `novaevo serve "
                           "--sim` (the demo car) or `--dongle URL`")  # fmt: skip
        simulator = None
        if device == "sim":
            simulator = await run_in_threadpool(_simulator, faults, app.state.settings.sim_timing)
        elif faults:
            raise ApiError(422, "faults_need_simulator",
                           "faults can only be given to the simulated car (--sim)")  # fmt: skip
        elif self._dongle_busy or app.state.live.listeners:
            raise ApiError(409, "car_busy", "the attached car is busy (a guided test or the "
                           "live stream is using it): try again when it is free")  # fmt: skip
        else:
            self._dongle_busy = True  # taken before the next await: one test at a time
        try:
            with app.state.sessions() as session:
                row, vehicle = await run_in_threadpool(
                    service.start_guided, session, user, vehicle_id,
                    "simulator" if simulator else device, faults,
                )  # fmt: skip
        except BaseException:
            if simulator is not None:
                await run_in_threadpool(simulator.stop)
            else:
                self._dongle_busy = False
            raise
        task = asyncio.create_task(self._run(app, row.id, device, simulator, vehicle, symptoms))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return row.id

    async def _run(self, app: Any, diagnosis_id: int, device: str, simulator: Any,
                   vehicle: dict, symptoms: list[str]) -> None:  # fmt: skip
        stop = threading.Event()
        outcome: dict[str, Any] = {"result": None, "snapshot": None, "progress": {},
                                   "error": None}  # fmt: skip
        try:
            if simulator is not None:
                await asyncio.to_thread(simulator.start)
            url = simulator.url if simulator is not None else device
            run = await asyncio.to_thread(_guided_test, app, diagnosis_id, url,
                                          simulator is not None, vehicle, stop)  # fmt: skip
            snapshot = {**run.snapshot, "symptoms": symptoms} if symptoms else run.snapshot
            outcome["snapshot"] = snapshot
            outcome["result"] = (
                await asyncio.to_thread(service.run_diagnose, snapshot) if symptoms
                else run.diagnosis.model_dump(mode="json")
            )  # fmt: skip
            outcome["progress"] = {"phases_run": run.phases_run,
                                   "stopped_early": run.stopped_early,
                                   "elapsed_s": run.elapsed_s}  # fmt: skip
        except asyncio.CancelledError:
            stop.set()  # the test's thread ends at its next step
            outcome["error"] = "the server stopped during the guided test"
            raise
        except Exception as exc:  # noqa: BLE001 - the reason is stored for the caller
            log.warning("guided test %s failed: %s", diagnosis_id, exc)
            outcome["error"] = f"the guided test failed: {type(exc).__name__}: {exc}"
        finally:
            if simulator is not None:
                await asyncio.to_thread(simulator.stop)
            else:
                self._dongle_busy = False
            await asyncio.shield(asyncio.to_thread(_finish, app, diagnosis_id, outcome))

    async def close(self) -> None:
        """Stop every running test (their diagnoses end ``failed``)."""
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _simulator(faults: list[str], timing: str):  # noqa: ANN202 - firmware_sim.Simulator
    """The demo car with ``faults``, driven warm (codes set, freeze frame captured)."""
    import firmware_sim
    from firmware_sim.errors import SimError

    try:
        return firmware_sim.Simulator(transport="tcp", faults=faults, timing=timing, start_s=300.0)
    except (SimError, ValueError) as exc:
        raise ApiError(422, "invalid_fault", str(exc), {"faults": faults}) from None


def _finish(app: Any, diagnosis_id: int, outcome: dict[str, Any]) -> None:
    with app.state.sessions() as session:
        service.guided_finished(session, diagnosis_id, outcome["snapshot"], outcome["result"],
                                outcome["progress"], outcome["error"])  # fmt: skip


class Stopped(Exception):
    """The server is stopping: the guided test ends where it is."""


def _guided_test(
    app: Any, diagnosis_id: int, url: str, simulated: bool, vehicle: dict, stop: threading.Event
):  # noqa: ANN202 - diagnostics.runner.GuidedResult
    """The whole guided test in this (worker) thread, on an event loop of its own: the
    runner diagnoses after each phase, CPU work that must not hold the server's loop."""
    from diagnostics.plan import PHASES
    from diagnostics.runner import run_guided_test
    from obdcore import Client

    scale = app.state.settings.guided_time_scale
    durations = {p: spec["duration_s"] * scale for p, spec in PHASES.items()}

    async def run():  # noqa: ANN202
        async with Client(url) as car:
            return await run_guided_test(car, _driver(app, diagnosis_id, simulated, stop),
                                         vehicle=vehicle, durations=durations,
                                         period_s=scale)  # fmt: skip

    return asyncio.run(run())


def _driver(app: Any, diagnosis_id: int, simulated: bool, stop: threading.Event):  # noqa: ANN202
    """A runner driver that records each phase and its prompt in the diagnosis row (the
    person following the test reads them by polling) and ends the test when ``stop`` is
    set; the simulator's one also gives the simulated driver its orders."""
    from diagnostics.plan import step
    from diagnostics.runner import PromptDriver, SimulatorDriver

    base = SimulatorDriver if simulated else PromptDriver

    class RecordingDriver(base):
        async def start(self, phase: str, client: Any) -> None:
            if stop.is_set():
                raise Stopped("the server stopped")
            _progress(app, diagnosis_id, phase, step(phase)["prompt"])
            await super().start(phase, client)

        def sample(self, phase: str, values: dict[str, float | None]) -> None:
            if stop.is_set():
                raise Stopped("the server stopped")

    return RecordingDriver(lambda _text: None, lambda _name, _value: None)


def _progress(app: Any, diagnosis_id: int, phase: str, prompt: dict) -> None:
    with app.state.sessions() as session:
        service.guided_progress(session, diagnosis_id, phase=phase, prompt=prompt)
