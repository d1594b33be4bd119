"""Real recordings of a healthy car (carOBD data set, ``shared/data/carobd``) as snapshots.

The data set: 1 Hz logs of 27 Mode 01 PIDs from a 2014 Toyota Etios, 1,496 cc petrol, with
nothing wrong (source and attribution in ``shared/data/carobd/README.md``: carOBD,
eron93br/carOBD, cited through IEEE Xplore document 8891367). Each ``idleN.csv`` becomes an
``idle`` phase, each ``driveN`` / ``ufpeN`` a ``drive`` phase: 60 s with the engine running
(the warmest minute for idle logs, the middle minute of driving logs). The logs hold no
trouble-code read, so the snapshot has none; the MIL-on distance and time columns say the
MIL was off.
"""

from __future__ import annotations

import csv
from pathlib import Path

COLUMNS = {
    "ENGINE_RPM": "RPM",
    "VEHICLE_SPEED": "SPEED",
    "THROTTLE": "THROTTLE_POS",
    "ENGINE_LOAD": "ENGINE_LOAD",
    "COOLANT_TEMPERATURE": "COOLANT_TEMP",
    "LONG_TERM_FUEL_TRIM_BANK_1": "LONG_FUEL_TRIM_1",
    "SHORT_TERM_FUEL_TRIM_BANK_1": "SHORT_FUEL_TRIM_1",
    "INTAKE_MANIFOLD_PRESSURE": "INTAKE_PRESSURE",
    "ABSOLUTE_BAROMETRIC_PRESSURE": "BAROMETRIC_PRESSURE",
    "INTAKE_AIR_TEMP": "INTAKE_TEMP",
    "TIMING_ADVANCE": "TIMING_ADVANCE",
    "CATALYST_TEMPERATURE_BANK1_SENSOR1": "CATALYST_TEMP_B1S1",
    "CONTROL_MODULE_VOLTAGE": "CONTROL_MODULE_VOLTAGE",
}
WINDOW_S = 60
VEHICLE = {
    "fuel": "petrol",
    "engine_type": "petrol_port",
    "engine_litres": 1.496,
    "cylinders": 4,
    "year": 2014,
}


def read_log(path: Path) -> list[dict[str, float]]:
    """Rows of one carOBD CSV as {column: value} (header names without the `` ()``)."""
    with path.open(encoding="utf-8", newline="") as source:
        reader = csv.reader(source)
        header = [h.strip().removesuffix("()").strip() for h in next(reader)]
        rows = []
        for line in reader:
            cells = [c.strip() for c in line][: len(header)]
            try:
                rows.append({h: float(c) for h, c in zip(header, cells, strict=False) if c})
            except ValueError:
                continue  # a damaged line in a field log is skipped, not guessed
    return rows


def _window(rows: list[dict[str, float]], driving: bool) -> list[dict[str, float]]:
    running = [r for r in rows if r.get("ENGINE_RPM", 0.0) > 400]
    if driving:
        moving = [r for r in running if r.get("VEHICLE_SPEED", 0.0) > 0]
        pool = moving if len(moving) >= WINDOW_S else running
        middle = max(len(pool) // 2 - WINDOW_S // 2, 0)
        return pool[middle : middle + WINDOW_S]
    if len(running) <= WINDOW_S:
        return running
    best = max(
        range(len(running) - WINDOW_S + 1), key=lambda i: running[i].get("COOLANT_TEMPERATURE", 0.0)
    )
    return running[best : best + WINDOW_S]


def recording_snapshot(path: Path) -> dict:
    """One recording -> a schema-1 snapshot dict (see the module docstring)."""
    rows = read_log(path)
    driving = not path.name.startswith("idle")
    window = _window(rows, driving)
    series = {
        pid: [r.get(col) for r in window]
        for col, pid in COLUMNS.items()
        if any(col in r for r in window)
    }
    mil_cols = ("DISTANCE_TRAVELED_WITH_MIL_ON", "TIME_RUN_WITH_MIL_ON")
    mil_on = any(r.get(c, 0.0) > 0 for r in rows for c in mil_cols)
    return {
        "schema_version": 1,
        "vehicle": dict(VEHICLE),
        "mil_on": mil_on,
        "phases": {
            "drive" if driving else "idle": {
                "duration_s": float(len(window)),
                "t": [float(i) for i in range(len(window))],
                "series": series,
            }
        },
    }


def recordings(directory: Path) -> list[tuple[str, dict]]:
    """(file name, snapshot) of every recording in ``directory`` with a running engine."""
    out = []
    for path in sorted(directory.glob("*.csv")):
        snapshot = recording_snapshot(path)
        phase = next(iter(snapshot["phases"].values()))
        if len(phase["t"]) >= 10:
            out.append((path.name, snapshot))
    return out
