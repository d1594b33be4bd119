"""The snapshot schema: valid shapes load, every bad input gets a clear SnapshotError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diagnostics.snapshot import (
    SCHEMA_PATH,
    Snapshot,
    SnapshotError,
    load_snapshot,
    snapshot_json_schema,
)

FULL = {
    "schema_version": 1,
    "vehicle": {
        "vin": "VF1RFB00012345678",
        "fuel": "petrol",
        "engine_type": "petrol_port",
        "engine_litres": 1.5,
        "cylinders": 4,
        "year": 2014,
        "mileage_km": 120000,
    },
    "mil_on": True,
    "ecus": [
        {
            "address": "7e8",
            "name": "engine",
            "stored": ["p0171"],
            "pending": [],
            "permanent": ["P0171"],
        }
    ],
    "freeze_frames": [
        {"ecu": "7E8", "frame": 0, "dtc": "P0171", "values": {"RPM": 812.0, "COOLANT_TEMP": 88.0}}
    ],
    "readiness": {
        "since_clear": {"MISFIRE": {"available": True, "complete": True}},
        "this_cycle": None,
    },
    "time_since_clear_s": 36000,
    "warmups_since_clear": 40,
    "distance_since_clear_km": 900,
    "mode06": [
        {
            "ecu": "7E8",
            "mid": "a3",
            "tid": "0B",
            "name": "misfire cylinder 2",
            "value": 12.0,
            "min": None,
            "max": 10.0,
            "unit": "count",
            "status": "fail",
        }
    ],
    "supported_pids": ["04", "0c"],
    "phases": {"idle": {"duration_s": 2, "t": [0.0, 1.0], "series": {"RPM": [800.0, None]}}},
    "symptoms": ["rough_idle"],
}


def test_full_snapshot_loads_and_normalises() -> None:
    snap = load_snapshot(FULL)
    assert snap.ecus[0].address == "7E8"
    assert snap.ecus[0].stored == ["P0171"]
    assert snap.codes() == {"P0171"}
    assert snap.mode06[0].mid == "A3"
    assert snap.supported_pids == ["04", "0C"]
    assert snap.phase("idle").series["RPM"] == [800.0, None]
    assert snap.phase("drive") is None


def test_minimal_snapshot_is_valid() -> None:
    snap = load_snapshot('{"schema_version": 1}')
    assert snap.codes() == set() and snap.phases.idle is None


def test_nulls_mean_empty() -> None:
    snap = load_snapshot({"schema_version": 1, "ecus": None, "phases": None, "symptoms": None})
    assert snap.ecus == [] and snap.symptoms == []


def test_path_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(FULL))
    assert load_snapshot(path).vehicle.cylinders == 4
    assert load_snapshot(path.read_bytes()).vehicle.cylinders == 4
    with pytest.raises(SnapshotError, match="cannot read"):
        load_snapshot(tmp_path / "missing.json")


def _with(path: str, value) -> dict:
    data = json.loads(json.dumps(FULL))
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("ecus.0.stored", ["P01X1"], "malformed trouble code"),
        ("ecus.0.stored", ["P41711"], "malformed trouble code"),
        ("ecus.0.pending", [171], "is a string"),
        ("ecus.0.address", "engine", "ECU address"),
        ("vehicle.cylinders", "four", "vehicle.cylinders"),
        ("vehicle.year", 1850, "vehicle.year"),
        ("vehicle.fuel", "diesel", "contradicts"),
        ("mil_on", "maybe", "mil_on"),
        ("mode06.0.mid", "XYZ", "two hex digits"),
        ("mode06.0.status", "broken", "mode06.0.status"),
        ("supported_pids", ["0C", "RPM"], "two hex digits"),
        ("phases.idle.series", {"RPM": [800.0]}, "has 1 values but t has 2"),
        ("phases.idle.series", {"rpm": [1.0, 2.0]}, "is not a PID name"),
        ("phases.warp_speed", {"t": []}, "warp_speed"),
        ("symptoms", ["smells_funny"], "symptoms.0"),
        ("freeze_frames.0.values", {"RPM": "fast"}, "freeze_frames.0.values.RPM"),
        ("surprise", 1, "surprise"),
    ],
)
def test_bad_input_gets_a_clear_error(path: str, value, message: str) -> None:
    with pytest.raises(SnapshotError, match=message) as caught:
        load_snapshot(_with(path, value))
    assert caught.value.problems


@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_other_schema_version_refused(version) -> None:
    with pytest.raises(SnapshotError, match="schema_version"):
        load_snapshot(_with("schema_version", version))


def test_missing_version_refused() -> None:
    with pytest.raises(SnapshotError, match="missing"):
        load_snapshot({"ecus": []})


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", "42"])
def test_not_an_object(text: str) -> None:
    with pytest.raises(SnapshotError):
        load_snapshot(text)


def test_impossible_values_are_accepted_for_data_quality() -> None:
    # Negative rpm is a sensor/data fault the diagnosis reports; the schema must let it in.
    snap = load_snapshot(_with("phases.idle.series", {"RPM": [-50.0, 400000.0]}))
    assert snap.phase("idle").series["RPM"][0] == -50.0


def test_schema_file_is_current() -> None:
    on_disk = json.loads(SCHEMA_PATH.read_text())
    assert on_disk == snapshot_json_schema(), (
        "regenerate: python -m diagnostics.snapshot > diagnostics/snapshot.schema.json"
    )
    assert on_disk["properties"]["schema_version"]["const"] == 1
    assert Snapshot.model_fields.keys() <= on_disk["properties"].keys()
