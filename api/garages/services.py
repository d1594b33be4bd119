"""The services vocabulary: stable codes for what a garage offers, with standard durations.

Codes never change meaning (add a new one instead). A *packaged* service (``brake_pads``)
has its own standard duration and parts; a *repair* service (``engine_repair``) is the
kind of work a diagnosis leads to, priced line by line from the labour-times table
(:mod:`api.garages.labour`), which names the repair service each operation belongs to.
A garage offers a subset of the codes and may set its own duration per service.
Part-type codes are the parts catalogue's (:data:`parts.vocabulary.PART_TYPES`).
"""

from __future__ import annotations

from dataclasses import dataclass

from api.garages.errors import UnknownServiceError


@dataclass(frozen=True)
class Service:
    """One service: label (English, French), standard minutes (0 for repairs, priced from
    labour times), and the catalogue parts it always uses as (part type, quantity)."""

    code: str
    label: str
    label_fr: str
    minutes: int
    parts: tuple[tuple[str, int], ...] = ()
    repair: bool = False
    note: str = ""


_ALL = (
    Service("diagnosis", "Electronic diagnosis and road test", "Diagnostic électronique", 60),
    Service(
        "oil_service",
        "Oil and filter change",
        "Vidange et filtre à huile",
        45,
        (("oil_filter", 1),),
        note="engine oil is charged by the garage at inspection",
    ),
    Service(
        "brake_pads",
        "Brake pads, one axle",
        "Plaquettes de frein, un essieu",
        60,
        (("brake_pad_set", 1),),
    ),
    Service(
        "brake_discs",
        "Brake discs and pads, one axle",
        "Disques et plaquettes, un essieu",
        120,
        (("brake_disc", 2), ("brake_pad_set", 1)),
    ),
    Service(
        "timing_belt",
        "Timing belt kit",
        "Kit de distribution",
        240,
        note="the timing belt kit is not in the parts catalogue: priced at inspection",
    ),
    Service("battery", "Battery replacement", "Remplacement de batterie", 25, (("battery", 1),)),
    Service("spark_plugs", "Spark plugs (set)", "Bougies d'allumage", 40, (("spark_plug", 4),)),
    Service("air_conditioning", "Air-conditioning recharge", "Recharge climatisation", 60),
    Service("wipers", "Wiper blades", "Balais d'essuie-glace", 10, (("wiper_blade", 2),)),
    Service("cabin_filter", "Cabin filter", "Filtre d'habitacle", 20, (("cabin_filter", 1),)),
    Service(
        "engine_repair",
        "Engine management repair (intake, ignition, sensors)",
        "Réparation gestion moteur",
        0,
        repair=True,
    ),
    Service("fuel_system_repair", "Fuel system repair", "Réparation alimentation", 0, repair=True),
    Service(
        "exhaust_repair",
        "Exhaust and emissions repair",
        "Réparation échappement et dépollution",
        0,
        repair=True,
    ),
    Service(
        "cooling_repair", "Cooling system repair", "Réparation refroidissement", 0, repair=True
    ),
    Service(
        "transmission_repair",
        "Automatic transmission repair",
        "Réparation boîte automatique",
        0,
        repair=True,
    ),
    Service(
        "electrical_repair",
        "Charging and electrical repair",
        "Réparation électrique et charge",
        0,
        repair=True,
    ),
)

#: code -> Service
SERVICES: dict[str, Service] = {s.code: s for s in _ALL}


def get_service(code: str) -> Service:
    """The service of ``code``. Raises: UnknownServiceError listing the known codes."""
    try:
        return SERVICES[code]
    except KeyError:
        raise UnknownServiceError(
            f"unknown service {code[:40]!r}; known: {', '.join(SERVICES)}"
        ) from None
