"""Named faults and their command-line syntax.

Syntax: ``NAME[:CYLINDER][@SEVERITY]``, severity from 0 to 1 (default 0.8 for car faults,
0.2 for link faults). ``misfire:2@0.7`` is a misfire on cylinder 2 of severity 0.7;
``vacuum_leak@0.5``; ``stall``. ``NAME:SEVERITY`` is also accepted when the number has a
decimal point (``vacuum_leak:0.5``), as the issue writes it.

Car faults are the fault library's ids (:mod:`firmware_sim.library`): they change the
physics (and so the codes the ECU sets). Link faults are injected by the adapter: their
severity is the probability per OBD request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from firmware_sim.errors import FaultSpecError
from firmware_sim.library import LIBRARY
from firmware_sim.profiles import EngineProfile

CAR_FAULTS = tuple(LIBRARY)
LINK_FAULTS = (
    "link_drop",
    "garbage",
    "buffer_full",
    "can_error",
    "no_data_burst",
    "missing_prompt",
    "stall",
)
# Faults that do not exist on a diesel (no throttle, no narrowband O2, no spark).
PETROL_ONLY = frozenset(name for name, fault in LIBRARY.items() if "diesel" not in fault.engines)

_SPEC = re.compile(r"^(?P<name>[a-z_0-9]+)(?::(?P<arg>[0-9.]+))?(?:@(?P<sev>[^@:]+))?$")


@dataclass(frozen=True)
class Fault:
    """One injected fault: ``name``, ``severity`` in [0, 1], ``cylinder`` (1-based) for
    the faults that take one, else 0."""

    name: str
    severity: float = 0.8
    cylinder: int = 0

    @property
    def link(self) -> bool:
        """True for adapter/link faults."""
        return self.name in LINK_FAULTS

    @property
    def id(self) -> str:
        """The cause id as the knowledge base writes it: ``ignition_coil:2``."""
        return f"{self.name}:{self.cylinder}" if self.cylinder else self.name

    def __str__(self) -> str:
        return f"{self.id}@{self.severity:g}"


def _known() -> str:
    cylinder = {n for n, f in LIBRARY.items() if f.qualifier == "cylinder"}
    names = [f"{n}:N" if n in cylinder else n for n in CAR_FAULTS] + list(LINK_FAULTS)
    return ", ".join(names)


def _takes_cylinder(name: str) -> bool:
    fault = LIBRARY.get(name)
    return fault is not None and fault.qualifier == "cylinder"


def parse_fault(spec: str) -> Fault:
    """``"misfire:2@0.7"`` -> ``Fault("misfire", 0.7, 2)``.

    Raises :class:`FaultSpecError` (naming what is allowed) for an unknown name, a
    severity that is not a number in [0, 1], a cylinder on a fault that takes none, or a
    cylinder fault without a valid cylinder number.
    """
    match = _SPEC.match(spec.strip().lower())
    if not match:
        raise FaultSpecError(
            f"cannot read fault {spec!r}: use NAME[:CYLINDER][@SEVERITY]; known names: {_known()}"
        )
    name, arg, sev = match["name"], match["arg"], match["sev"]
    if name not in LIBRARY and name not in LINK_FAULTS:
        raise FaultSpecError(f"unknown fault {name!r}; known: {_known()}")
    cylinder = 0
    if arg is not None and "." not in arg and _takes_cylinder(name):
        cylinder = int(arg)
    elif arg is not None:
        if sev is not None or "." not in arg and arg not in ("0", "1"):
            takers = sorted(n for n in LIBRARY if _takes_cylinder(n))
            raise FaultSpecError(
                f"{spec!r}: {name} takes no cylinder number; only {', '.join(takers)} do"
            )
        sev = arg
    try:
        severity = float(sev) if sev is not None else (0.2 if name in LINK_FAULTS else 0.8)
    except ValueError:
        raise FaultSpecError(f"{spec!r}: severity must be a number from 0 to 1") from None
    return make_fault(name, severity, cylinder)


def make_fault(name: str, severity: float = 0.8, cylinder: int = 0) -> Fault:
    """A checked :class:`Fault`; raises :class:`FaultSpecError` when it makes no sense."""
    if name not in LIBRARY and name not in LINK_FAULTS:
        raise FaultSpecError(f"unknown fault {name!r}; known: {_known()}")
    if not 0.0 <= severity <= 1.0:  # also refuses NaN
        raise FaultSpecError(f"{name}: severity {severity} is outside 0..1")
    if _takes_cylinder(name) and cylinder < 1:
        raise FaultSpecError(f"{name} needs a cylinder: {name}:N (1 = first cylinder)")
    if cylinder and not _takes_cylinder(name):
        raise FaultSpecError(f"{name} takes no cylinder number")
    return Fault(name, severity, cylinder)


def check_fault(fault: Fault, profile: EngineProfile) -> None:
    """Raises :class:`FaultSpecError` when ``fault`` cannot exist on ``profile`` (wrong
    engine type, a cylinder it does not have, a part it lacks)."""
    if fault.link:
        return
    definition = LIBRARY[fault.name]
    if profile.engine_type not in definition.engines:
        allowed = ", ".join(sorted(definition.engines))
        raise FaultSpecError(
            f"{fault.name} does not exist on {profile.name} "
            f"({profile.engine_type}); it applies to: {allowed}"
        )
    if fault.cylinder > profile.cylinders:
        raise FaultSpecError(f"{fault.id}: {profile.name} has cylinders 1-{profile.cylinders}")


def faults_for(profile: EngineProfile) -> list[str]:
    """The car fault names that exist on ``profile``'s engine type."""
    return [name for name, f in LIBRARY.items() if profile.engine_type in f.engines]
