"""ELM327 firmware emulator and virtual vehicle (issue: firmware_sim).

The mirror of ``obdcore``: bytes in -> AT-command interpreter (:mod:`.firmware`) ->
virtual vehicle (:mod:`.vehicle` physics, :mod:`.diagnostics` on-board monitors, :mod:`.ecu`
services) -> response encoder (:mod:`.bus`) -> bytes out. The firmware is sans-I/O
(``Firmware.feed(data, now) -> bytes``); :mod:`.server` (pty, TCP), :mod:`.ble` (a bleak
double) and :mod:`.cli` (``novaevo sim``) are thin adapters around it.

Typical use in a test::

    from firmware_sim import Simulator

    with Simulator(transport="tcp", faults=["misfire:2@0.7"], seed=1) as sim:
        sim.advance(600)          # drive ten simulated minutes
        connect_to(sim.url)       # socket://127.0.0.1:PORT (or /dev/pts/N with "pty")
        sim.truth()               # true physics, reported values, stored codes

Fault syntax: ``NAME[:CYLINDER][@SEVERITY]`` (:func:`parse_fault`).
"""

from firmware_sim.ecu import Car
from firmware_sim.errors import FaultSpecError, ProfileError, SimError
from firmware_sim.faults import CAR_FAULTS, LINK_FAULTS, Fault, parse_fault
from firmware_sim.firmware import Firmware
from firmware_sim.profiles import ADAPTERS, ENGINES, adapter_profile, engine_profile
from firmware_sim.server import Simulator
from firmware_sim.timing import FAST, REALISTIC, Timing

__all__ = [
    "ADAPTERS", "CAR_FAULTS", "ENGINES", "FAST", "LINK_FAULTS", "REALISTIC", "Car", "Fault",
    "FaultSpecError", "Firmware", "ProfileError", "SimError", "Simulator", "Timing",
    "adapter_profile", "engine_profile", "parse_fault",
]
