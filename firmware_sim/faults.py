"""Named faults and their command-line syntax.

Syntax: ``NAME[:CYLINDER][@SEVERITY]``, severity from 0 to 1 (default 0.8 for car faults,
0.2 for link faults). ``misfire:2@0.7`` is a misfire on cylinder 2 of severity 0.7;
``vacuum_leak@0.5``; ``stall``. ``NAME:SEVERITY`` is also accepted when the number has a
decimal point (``vacuum_leak:0.5``), as the issue writes it.

Car faults change the physics (and so the codes the ECU sets). Link faults are injected
by the adapter: their severity is the probability per OBD request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from firmware_sim.errors import FaultSpecError

CAR_FAULTS = (
    "vacuum_leak", "maf_under_reading", "low_fuel_pressure", "leaking_injector",
    "purge_valve_stuck_open", "thermostat_stuck_open", "coolant_sensor_fault", "misfire",
    "low_catalyst_efficiency", "slow_upstream_o2", "dead_downstream_o2", "egr_stuck",
    "charging_fault",
)
LINK_FAULTS = ("link_drop", "garbage", "buffer_full", "can_error", "no_data_burst",
               "missing_prompt", "stall")
# Faults that only make sense on a spark-ignition engine (no throttle, no narrowband O2,
# no catalyst/evap monitors on the diesel profile).
PETROL_ONLY = frozenset({"vacuum_leak", "leaking_injector", "purge_valve_stuck_open",
                         "low_catalyst_efficiency", "slow_upstream_o2", "dead_downstream_o2"})

_SPEC = re.compile(r"^(?P<name>[a-z_0-9]+)(?::(?P<arg>[0-9.]+))?(?:@(?P<sev>[0-9.]+))?$")


@dataclass(frozen=True)
class Fault:
    """One injected fault: ``name``, ``severity`` in [0, 1], ``cylinder`` for misfires."""

    name: str
    severity: float = 0.8
    cylinder: int = 0

    @property
    def link(self) -> bool:
        """True for adapter/link faults."""
        return self.name in LINK_FAULTS

    def __str__(self) -> str:
        cylinder = f":{self.cylinder}" if self.cylinder else ""
        return f"{self.name}{cylinder}@{self.severity:g}"


def parse_fault(spec: str) -> Fault:
    """``"misfire:2@0.7"`` -> ``Fault("misfire", 0.7, 2)``.

    Raises :class:`FaultSpecError` for an unknown name, a severity outside [0, 1], or a
    misfire without a valid cylinder number.
    """
    match = _SPEC.match(spec.strip().lower())
    if not match:
        raise FaultSpecError(f"cannot read fault {spec!r}: use NAME[:CYLINDER][@SEVERITY]")
    name, arg, sev = match["name"], match["arg"], match["sev"]
    if name not in CAR_FAULTS and name not in LINK_FAULTS:
        known = ", ".join(CAR_FAULTS + LINK_FAULTS)
        raise FaultSpecError(f"unknown fault {name!r}; known: {known}")
    cylinder = 0
    if arg is not None and "." not in arg and name == "misfire":
        cylinder = int(arg)
    elif arg is not None:
        if sev is not None or "." not in arg and arg not in ("0", "1"):
            raise FaultSpecError(f"{spec!r}: only misfire takes a cylinder number")
        sev = arg
    severity = float(sev) if sev is not None else (0.2 if name in LINK_FAULTS else 0.8)
    return make_fault(name, severity, cylinder)


def make_fault(name: str, severity: float = 0.8, cylinder: int = 0) -> Fault:
    """A checked :class:`Fault`; raises :class:`FaultSpecError` when it makes no sense."""
    if name not in CAR_FAULTS and name not in LINK_FAULTS:
        raise FaultSpecError(f"unknown fault {name!r}")
    if not 0.0 <= severity <= 1.0:
        raise FaultSpecError(f"{name}: severity {severity} is outside 0..1")
    if name == "misfire" and cylinder < 1:
        raise FaultSpecError("misfire needs a cylinder: misfire:N (1 = first cylinder)")
    return Fault(name, severity, cylinder)
