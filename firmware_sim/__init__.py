"""ELM327 firmware emulator and virtual vehicle (issue: firmware_sim).

The mirror of ``obdcore``: bytes in -> AT-command interpreter (:mod:`.firmware`) ->
virtual vehicle (:mod:`.vehicle` physics, :mod:`.monitors` on-board monitors, :mod:`.ecu`
services) -> response encoder (:mod:`.bus`) -> bytes out. The firmware is sans-I/O
(``Firmware.feed(data, now) -> bytes``); :mod:`.server` (pty, TCP), :mod:`.ble` (a bleak
backend) and :mod:`.cli` (``novaevo sim``) are thin adapters around it.

Typical use in a test::

    from firmware_sim import Simulator

    with Simulator(transport="tcp", faults=["misfire:2@0.7"], seed=1) as sim:
        sim.advance(600)          # drive ten simulated minutes
        connect_to(sim.url)       # socket://127.0.0.1:PORT (or /dev/pts/N with "pty")
        sim.truth()               # true physics, reported values, stored codes

Fault syntax: ``NAME[:CYLINDER][@SEVERITY]`` (:func:`parse_fault`); the faults are the
fault library's ids (:mod:`.library`). The driver takes orders (:mod:`.control`:
``sim.control("RPM 2500")``, in-band ``SIM RPM 2500``); :mod:`.cases` writes labelled
cases for the diagnosis engine.
"""

from importlib import import_module

# Exports are loaded on first use, so that ``novaevo --help`` (which imports
# ``firmware_sim.cli``) does not pay for the simulator and obdcore.
_EXPORTS = {
    "Car": "ecu",
    "FaultSpecError": "errors",
    "ProfileError": "errors",
    "SimError": "errors",
    "ControlError": "errors",
    "control": "control",
    "Driver": "drive",
    "LIBRARY": "library",
    "FaultDef": "library",
    "PROFILES": "profiles",
    "draw_car": "profiles",
    "generate_case": "cases",
    "generate_case_over_pty": "cases",
    "write_cases": "cases",
    "CAR_FAULTS": "faults",
    "LINK_FAULTS": "faults",
    "Fault": "faults",
    "parse_fault": "faults",
    "Firmware": "firmware",
    "ADAPTERS": "profiles",
    "ENGINES": "profiles",
    "adapter_profile": "profiles",
    "engine_profile": "profiles",
    "Simulator": "server",
    "FAST": "timing",
    "REALISTIC": "timing",
    "Timing": "timing",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'firmware_sim' has no attribute {name!r}")
    return getattr(import_module(f"firmware_sim.{_EXPORTS[name]}"), name)
