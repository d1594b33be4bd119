"""Reaching a car from any command line: where it is (a device URL, the one adapter-like
port found, or a fresh simulator), connect, run a coroutine with the client, close.

No Typer, no Rich: this is the I/O layer, shared by obdcore's commands and by the other
packages' CLIs (``novaevo diagnose --sim``), which may not import each other. Every
expected failure is raised as a typed :mod:`obdcore.errors` error carrying its
``exit_code`` and ``hint``; the caller prints it.

    target = Target(device="socket://192.168.0.10:35000")
    vin = target.run(lambda car: car.vin())
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from obdcore.errors import (
    BluetoothUnavailable,
    DeviceNotFound,
    DeviceUrlError,
    SimulatorUnavailable,
)

T = TypeVar("T")

# Schemes a device URL may have ("" is a serial port path: /dev/ttyUSB0, COM3).
_SERIAL_SCHEMES = ("", "serial+socket", "loop", "rfc2217", "spy", "alt", "hwgrep")
_TCP_SCHEMES = ("socket", "tcp")

# --sim needs firmware_sim, which obdcore may not import (obdcore imports none of the other
# packages); the composition root (novaevo.cli) lends it through use_simulator.
_simulator_factory: Callable[..., Any] | None = None


def use_simulator(factory: Callable[..., Any]) -> None:
    """Makes ``Target(sim=True)`` start ``factory(transport="tcp", faults=[...],
    profile=..., adapter=..., timing=..., start_s=...)``: an object with ``start()``,
    ``stop()`` and ``url`` (``firmware_sim.Simulator``)."""
    global _simulator_factory
    _simulator_factory = factory


def check_device_url(url: str) -> str:
    """``url`` stripped, or :class:`DeviceUrlError` when it cannot name an adapter (an
    unknown scheme such as ``http://``, or ``socket://`` without a host and port)."""
    url = url.strip()
    if not url:
        raise DeviceUrlError("empty --device")
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme in _TCP_SCHEMES:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or not port:
            raise DeviceUrlError(f"{url} has no host and port (socket://HOST:PORT)")
    elif scheme != "ble" and scheme not in _SERIAL_SCHEMES:
        raise DeviceUrlError(f"{url}: unknown kind of device URL {scheme + '://'!r}")
    return url


def find_device() -> str:
    """The device of :func:`find_adapter_port`."""
    return find_adapter_port().device


def find_adapter_port():
    """The one serial port (a ``discovery`` port: device, chip, description) that looks
    like an adapter; :class:`DeviceUrlError` when there is none or there are several."""
    from obdcore.io.transports.discovery import adapter_ports

    candidates = adapter_ports()
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise DeviceUrlError(
            "no --device given and no serial port looks like an OBD adapter (USB-serial "
            "chip or rfcomm); plug it in or name it with --device; `novaevo scan` lists "
            "what is there"
        )
    names = ", ".join(f"{port.device} ({port.chip})" for port in candidates)
    raise DeviceUrlError(
        f"no --device given and several ports look like adapters: {names}; choose one with --device"
    )


@dataclass
class Target:
    """Where a command's car is: a device URL (None: find it), or a fresh simulator."""

    device: str | None = None
    sim: bool = False
    faults: tuple[str, ...] = ()
    sim_profile: str = "petrol_1.5"
    sim_adapter: str = "elm327"
    sim_timing: str = "realistic"
    sim_start: float = 300.0
    sim_seed: int = 0  # the simulator's: same seed, same car and answers
    sim_cycle: str = "standard"
    sim_protocol: str | None = None  # None: the car profile's own
    table: Any = None  # the PID table (custom PIDs); None: the standard one

    def __post_init__(self) -> None:
        if self.sim and self.device:
            raise DeviceUrlError("--device and --sim exclude each other: choose one")
        if self.device is not None:
            self.device = check_device_url(self.device)

    def describe(self) -> str:
        """Where the car is, for people: ``the simulator`` or the device URL."""
        return "the simulator" if self.sim else (self.device or "the adapter found")

    def run(
        self,
        action: Callable[[Any], Awaitable[T]],
        *,
        on_event: Callable | None = None,
        on_connecting: Callable[[str], Any] | None = None,
    ) -> T:
        """Connects, awaits ``action(client)``, closes, and returns its result.

        ``on_event``: the client's state events; ``on_connecting(url)``: called with the URL
        just before connecting (a CLI shows a spinner). Raises the typed errors of
        :mod:`obdcore.errors` (``KeyboardInterrupt`` passes through).
        """
        with self.endpoint() as (url, memory):
            if on_connecting is not None:
                on_connecting(url)
            return asyncio.run(_session(url, memory, action, on_event, self.table))

    @contextmanager
    def endpoint(self) -> Iterator[tuple[str, Any]]:
        """The URL to connect to and the adapter memory: a started simulator (no memory:
        each one is new) or the device (given or found) with the user's memory."""
        if not self.sim:
            from obdcore.io.memory import Memory, default_path

            yield self.device or find_device(), Memory(default_path())
            return
        simulator = self._start_simulator()
        try:
            yield simulator.url, None
        finally:
            simulator.stop()

    def _start_simulator(self):
        if _simulator_factory is None:
            raise SimulatorUnavailable(
                "the simulator is not available here: run this through `novaevo`"
            )
        try:
            simulator = _simulator_factory(
                transport="tcp",
                faults=list(self.faults),
                profile=self.sim_profile,
                adapter=self.sim_adapter,
                timing=self.sim_timing,
                start_s=self.sim_start,
                seed=self.sim_seed,
                cycle=self.sim_cycle,
                protocol=self.sim_protocol,
            )
            simulator.start()
        except (ValueError, OSError) as exc:  # the simulator's errors are ValueErrors
            raise SimulatorUnavailable(f"cannot start the simulator: {exc}") from None
        return simulator


async def _session(url: str, memory, action, on_event, table=None):
    async with open_client(url, memory, on_event, table) as car:
        return await action(car)


def open_client(url: str, memory=None, on_event=None, table=None):
    """The (not yet connected) :class:`~obdcore.io.client.Client` for ``url``; a missing
    optional transport is reported as a typed error, not an ``ImportError``."""
    from obdcore.io.client import Client

    try:
        options = {"table": table} if table is not None else {}
        return Client(url, memory=memory, on_event=on_event, **options)
    except ImportError as exc:  # ble:// without bleak installed
        if url.lower().startswith("ble://"):
            raise BluetoothUnavailable(f"Bluetooth LE is unavailable: {exc}") from None
        raise DeviceNotFound(f"{url}: this installation cannot open it ({exc})") from None
