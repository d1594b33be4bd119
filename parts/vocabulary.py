"""The part-type vocabulary and the diagnostic-cause -> part-type mapping, as plain data.

This module imports only the diagnostics knowledge base (data: YAML read by
:mod:`diagnostics.kb`), never SQLAlchemy, so anything may read it cheaply. The catalogue
copies both tables into the database when it is migrated (see
:func:`parts.db.seed_vocabulary`), so SQL queries can join on them too.

Part-type codes are stable identifiers: never rename one, add a new code instead.
Cause ids are the ones the simulator and diagnostics use; a cause may carry a qualifier
after a colon (``misfire:2`` = cylinder 2), which :func:`split_cause` separates.
"""

from __future__ import annotations

from diagnostics.kb import cause_part_types

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
    # Added for the diagnostics knowledge base (diagnostics/kb/causes.yaml):
    "iat_sensor": "Intake air temperature sensor",
    "injector_seal_kit": "Injector seal kit",
    "high_pressure_fuel_pump": "High-pressure fuel pump",
    "fuel_rail_pressure_sensor": "Fuel rail pressure sensor",
    "valve_set": "Engine valve set",
    "piston_ring_set": "Piston ring set",
    "cylinder_head_gasket": "Cylinder head gasket",
    "knock_sensor": "Knock sensor",
    "throttle_position_sensor": "Throttle position sensor",
    "crankshaft_sensor": "Crankshaft position sensor",
    "camshaft_sensor": "Camshaft position sensor",
    "vvt_solenoid": "Variable valve timing solenoid",
    "timing_chain_kit": "Timing chain kit",
    "evap_canister": "Charcoal (EVAP) canister",
    "fuel_cap": "Fuel filler cap",
    "coolant": "Coolant (antifreeze)",
    "radiator_fan": "Radiator cooling fan",
    "radiator": "Radiator",
    "water_pump": "Water pump",
    "voltage_regulator": "Alternator voltage regulator",
    "charge_air_hose": "Charge-air (boost) hose",
    "intercooler": "Intercooler",
    "turbo_actuator": "Turbocharger wastegate / vane actuator",
    "boost_pressure_sensor": "Boost pressure sensor",
    "turbocharger": "Turbocharger",
    "particulate_filter": "Diesel particulate filter",
    "exhaust_pressure_sensor": "Exhaust differential pressure sensor",
    "glow_plug": "Glow plug",
    "glow_plug_relay": "Glow plug relay / control unit",
    "transmission_solenoid": "Transmission solenoid",
    "transmission_fluid": "Automatic transmission fluid",
    "torque_converter": "Torque converter",
    "transmission_filter": "Transmission filter",
}

#: cause id -> ((part-type code, weight), ...), read from the diagnostics knowledge base
#: (``diagnostics/kb/causes.yaml``, the single source of cause ids and their part types).
#: The weight (0..1] is how likely that part is the one to replace when the cause is
#: confirmed; the first entry is the usual culprit.
CAUSE_PART_TYPES: dict[str, tuple[tuple[str, float], ...]] = cause_part_types()

#: The diagnostic cause ids shared with the simulator and diagnostics.
CAUSE_IDS: tuple[str, ...] = tuple(CAUSE_PART_TYPES)


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
