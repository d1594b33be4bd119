"""The part-type vocabulary and the diagnostic-cause -> part-type mapping, as plain data.

This module imports nothing: the diagnostics package (and anything else) may read it without
pulling in SQLAlchemy. The catalogue copies both tables into the database when it is
migrated (see :func:`parts.db.seed_vocabulary`), so SQL queries can join on them too.

Part-type codes are stable identifiers: never rename one, add a new code instead.
Cause ids are the ones the simulator and diagnostics use; a cause may carry a qualifier
after a colon (``misfire:2`` = cylinder 2), which :func:`split_cause` separates.
"""

from __future__ import annotations

#: code -> English label. Codes are lower_snake_case and never change meaning.
PART_TYPES: dict[str, str] = {
    "maf_sensor": "Mass air flow (MAF) sensor",
    "map_sensor": "Manifold absolute pressure (MAP) sensor",
    "air_filter": "Air filter",
    "intake_manifold_gasket": "Intake manifold gasket",
    "vacuum_hose": "Vacuum hose",
    "pcv_valve": "Crankcase ventilation (PCV) valve",
    "throttle_body": "Throttle body",
    "fuel_pump": "Fuel pump",
    "fuel_filter": "Fuel filter",
    "fuel_pressure_regulator": "Fuel pressure regulator",
    "fuel_injector": "Fuel injector",
    "purge_valve": "Canister purge valve",
    "thermostat": "Thermostat",
    "coolant_temp_sensor": "Coolant temperature sensor",
    "spark_plug": "Spark plug",
    "ignition_coil": "Ignition coil",
    "ignition_lead": "Ignition lead",
    "upstream_o2_sensor": "Upstream oxygen (lambda) sensor",
    "downstream_o2_sensor": "Downstream oxygen (lambda) sensor",
    "catalytic_converter": "Catalytic converter",
    "exhaust_gasket": "Exhaust manifold gasket",
    "egr_valve": "EGR valve",
    "alternator": "Alternator",
    "battery": "Battery",
    "drive_belt": "Auxiliary drive belt",
    "oil_filter": "Oil filter",
    "brake_pad_set": "Brake pad set",
    "brake_disc": "Brake disc",
    "wiper_blade": "Wiper blade",
    "cabin_filter": "Cabin filter",
}

#: The diagnostic cause ids shared with the simulator and diagnostics.
CAUSE_IDS: tuple[str, ...] = (
    "vacuum_leak",
    "maf_under_reading",
    "low_fuel_pressure",
    "leaking_injector",
    "purge_valve_stuck_open",
    "thermostat_stuck_open",
    "coolant_sensor_fault",
    "misfire",
    "low_catalyst_efficiency",
    "slow_upstream_o2",
    "dead_downstream_o2",
    "egr_stuck",
    "charging_fault",
)

#: cause id -> ((part-type code, weight), ...). The weight (0..1] is how likely that part
#: is the one to replace when the cause is confirmed; the first entry is the usual culprit.
CAUSE_PART_TYPES: dict[str, tuple[tuple[str, float], ...]] = {
    "vacuum_leak": (
        ("intake_manifold_gasket", 0.5),
        ("vacuum_hose", 0.4),
        ("pcv_valve", 0.3),
    ),
    "maf_under_reading": (("maf_sensor", 0.8), ("air_filter", 0.2)),
    "low_fuel_pressure": (
        ("fuel_pump", 0.6),
        ("fuel_filter", 0.4),
        ("fuel_pressure_regulator", 0.3),
    ),
    "leaking_injector": (("fuel_injector", 0.9),),
    "purge_valve_stuck_open": (("purge_valve", 0.9),),
    "thermostat_stuck_open": (("thermostat", 0.9),),
    "coolant_sensor_fault": (("coolant_temp_sensor", 0.9),),
    "misfire": (
        ("spark_plug", 0.5),
        ("ignition_coil", 0.4),
        ("fuel_injector", 0.2),
        ("ignition_lead", 0.1),
    ),
    "low_catalyst_efficiency": (
        ("catalytic_converter", 0.7),
        ("downstream_o2_sensor", 0.2),
    ),
    "slow_upstream_o2": (("upstream_o2_sensor", 0.9),),
    "dead_downstream_o2": (("downstream_o2_sensor", 0.9),),
    "egr_stuck": (("egr_valve", 0.9),),
    "charging_fault": (("alternator", 0.6), ("drive_belt", 0.2), ("battery", 0.2)),
}


def split_cause(cause: str) -> tuple[str, str | None]:
    """Split ``"misfire:2"`` into ``("misfire", "2")``; ``"egr_stuck"`` -> ``("egr_stuck", None)``.

    In: a cause id with an optional ``:qualifier``. Out: (base id, qualifier or None).
    Raises: KeyError when the base id is not one of :data:`CAUSE_IDS`.
    """
    base, _, qualifier = cause.strip().partition(":")
    if base not in CAUSE_PART_TYPES:
        raise KeyError(f"unknown diagnostic cause {base!r}")
    return base, (qualifier or None)


def part_types_for_cause(cause: str) -> tuple[tuple[str, float], ...]:
    """Part types (code, weight) to look at for one cause id (qualifier allowed).

    Raises: KeyError for an unknown cause id.
    """
    base, _ = split_cause(cause)
    return CAUSE_PART_TYPES[base]
