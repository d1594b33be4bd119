"""obdcore.reports: the one document shape of codes, freeze frames, readiness, Mode 06 and
the vehicle, shared by the CLI and the API. Inputs come from the real decoder."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest

from obdcore import Decoder, reports
from obdcore.errors import PayloadError
from obdcore.io.client import Dtc, FreezeFrame, Readiness
from obdcore.protocol.adapter import AdapterInfo
from obdcore.protocol.isotp import segment
from obdcore.protocol.structured import monitor_test


def strict_json(document) -> str:
    """Serialises like an HTTP response would: no NaN, nothing but plain data."""
    return json.dumps(document, allow_nan=False)


def decoded(text: str, request: str):
    return Decoder("6", headers=True).decode(text, request=request)


def test_codes_list_every_answering_ecu_even_without_codes():
    dtcs = [
        Dtc("P0301", "stored", 0x7E8, "Cylinder 1 Misfire Detected"),
        Dtc("P0420", "pending", 0x7E8, None),
    ]
    document = reports.codes_document(dtcs, [0x7E8, 0x7E9], "6")
    assert document == {
        "ecus": {
            "7E8": {
                "name": "engine (7E8)",
                "stored": [{"code": "P0301", "description": "Cylinder 1 Misfire Detected"}],
                "pending": [{"code": "P0420", "description": None}],
                "permanent": [],
            },
            "7E9": {"name": "transmission (7E9)", "stored": [], "pending": [], "permanent": []},
        }
    }
    strict_json(document)


def test_clearing_keys_the_acknowledgements_by_ecu():
    empty = reports.codes_document([], [0x7E8], "6")
    document = reports.clearing_document({0x7E8: True, 0x7E9: False}, empty, empty)
    assert document["cleared"] == {"7E8": True, "7E9": False}
    assert document["before"] is empty


def test_freeze_frames_carry_the_code_its_description_and_plain_values():
    readings = (
        decoded("7E8 05 42 0C 00 1A F8", "020C00").readings
        + decoded("7E8 05 42 03 00 02 00", "020300").readings
    )
    frame = FreezeFrame(0x7E8, 0, "P0301", list(readings))
    document = reports.freeze_frames_document([frame], 0, "6")
    entry = document["ecus"]["7E8"]
    assert entry["dtc"] == "P0301" and "Misfire" in entry["description"]
    by_name = {r["name"]: r for r in entry["readings"]}
    assert by_name["RPM"] == {"name": "RPM", "value": 1726.0, "unit": "rpm"}
    assert isinstance(by_name["FUEL_STATUS"]["value"], list)  # a tuple, made plain
    strict_json(document)


def test_readiness_lists_each_monitor_since_clear_and_this_cycle():
    since = decoded("7E8 06 41 01 81 07 65 00", "0101").readings[0].value
    cycle = decoded("7E8 06 41 41 00 07 61 00", "0141").readings[0].value
    document = reports.readiness_document([Readiness(0x7E8, since, cycle)], "6")
    entry = document["ecus"]["7E8"]
    assert entry["mil"] is True and entry["dtc_count"] == 1
    assert entry["ignition"] == "spark" and entry["this_cycle_reported"] is True
    monitors = {m["name"]: m for m in entry["monitors"]}
    assert set(monitors["MISFIRE"]) == {"name", "available", "complete", "this_cycle"}
    assert monitors["MISFIRE"]["this_cycle"] is not None
    without_cycle = reports.readiness_document([Readiness(0x7E8, since, None)], "6")
    assert all(m["this_cycle"] is None for m in without_cycle["ecus"]["7E8"]["monitors"])
    strict_json(document)


def test_mode06_results_name_the_monitor_and_turn_nan_into_null():
    test = monitor_test(0x01, 0x01, 0x0A, (800, 0, 1000))
    broken = test._replace(maximum=math.nan)
    document = reports.mode06_document({0x7E8: [test, broken]}, "6")
    first, second = document["ecus"]["7E8"]["tests"]
    assert first["mid"] == "01" and first["tid"] == "01" and first["monitor"]
    assert first["passed"] is True and first["value"] == test.value
    assert second["max"] is None
    strict_json(document)


def test_the_vehicle_document_describes_adapter_bus_and_ecus():
    adapter = AdapterInfo(identity="ELM327 v1.5", missing=["ATCRA"])
    car = SimpleNamespace(
        device="socket://car:35000", adapter=adapter, protocol="6", ecus=[0x7E8], latency_s=0.0312
    )
    document = reports.vehicle_document(car, vin="VF1AAAAA555555555", voltage=12.6)
    assert document["adapter"] == {
        "identity": "ELM327 v1.5",
        "device": None,
        "stn": None,
        "clone": True,
        "missing_commands": ["ATCRA"],
    }
    assert document["protocol_name"].startswith("ISO 15765-4 CAN (11 bit")
    assert document["ecus"] == [{"id": "7E8", "name": "engine (7E8)"}]
    assert document["latency_ms"] == 31.2 and document["voltage"] == 12.6
    strict_json(document)


def test_to_json_makes_everything_plain():
    assert reports.to_json({1: (b"\x01\xab", {2.5, math.inf})}) in (
        {"1": ["01AB", [2.5, None]]},
        {"1": ["01AB", [None, 2.5]]},
    )
    assert reports.ecu_key(0x18DAF110) == "18DAF110" and reports.ecu_key(-1) == "?"


@pytest.mark.parametrize("size", [0, 4096])
def test_an_unsendable_isotp_payload_is_a_payload_error(size):
    with pytest.raises(PayloadError, match="1 to 4095 bytes"):
        segment(bytes(size))
