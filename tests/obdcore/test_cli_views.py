"""The car commands' new views through Typer's CliRunner against the simulator (fast
timing): alarms, units, the trip computer, the inspection verdict, info's VIN and
calibrations, a freeze frame that is not there, and a link lost under ``live --json``."""

from __future__ import annotations

import json
import threading
import time

import pytest

from firmware_sim import Simulator
from obdcore.errors import ExitCode
from obdcore.io.logfile import read_csv_log
from tests.obdcore.test_cli_car import SIM, as_json, invoke, ok

MISFIRE = (*SIM, "--fault", "misfire:2@0.9")


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NOVAEVO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.delenv("NOVAEVO_UNITS", raising=False)


# ============================================================================ alarms


@pytest.mark.parametrize(
    ("alarm", "expected"),
    [
        ("COOLANT_TEMP=105", "NAME>N, NAME<N, NAME>=N or NAME<=N"),
        ("COOLANT_TEMP>hot", "NAME>N, NAME<N, NAME>=N or NAME<=N"),
        ("COOLANT_TEMP=>105", "NAME>N, NAME<N, NAME>=N or NAME<=N"),
        ("RPN>3000", "did you mean RPM"),
        ("DTC_COUNT>0", "no value called"),
    ],
)
def test_a_bad_alarm_is_a_usage_error_naming_what_is_allowed(alarm, expected):
    result = invoke("live", *SIM, "--alarm", alarm, "--duration", "0.2")
    assert result.exit_code == ExitCode.USAGE
    assert expected in result.stderr and "--alarm" in result.stderr
    assert result.stderr.count("\n") == 1  # one line


def test_alarms_in_json_are_events_and_their_value_is_polled():
    document = as_json(
        "live", *SIM, "--pid", "SPEED", "--alarm", "RPM>=100", "--alarm", "SPEED<1",
        "--duration", "1",
    )  # fmt: skip
    assert list(document["pids"]) == ["SPEED", "RPM"]  # RPM polled for its alarm
    events = document["alarms"]
    assert [event["alarm"] for event in events] == ["RPM>=100"]  # the car cruises: SPEED>1
    event = events[0]
    assert event["name"] == "RPM" and event["value"] >= 100 and event["unit"] == "rpm"
    assert 0 <= event["at_s"] <= 1 and event["ended_at_s"] is None


# ============================================================================ units


def test_units_from_the_option_and_from_the_setting(monkeypatch):
    metric = as_json("live", *SIM, "--pid", "SPEED,COOLANT_TEMP", "--duration", "0.6")
    assert metric["pids"]["SPEED"]["unit"] == "km/h" and metric["units"] == "metric"
    monkeypatch.setenv("NOVAEVO_UNITS", "imperial")
    imperial = as_json("live", *SIM, "--pid", "SPEED,COOLANT_TEMP", "--duration", "0.6")
    speed, coolant = imperial["pids"]["SPEED"], imperial["pids"]["COOLANT_TEMP"]
    assert speed["unit"] == "mph" and coolant["unit"] == "°F"
    assert speed["value"] == pytest.approx(metric["pids"]["SPEED"]["value"] / 1.609344, abs=1)
    assert 150 < coolant["value"] < 230
    monkeypatch.setenv("NOVAEVO_UNITS", "furlongs")
    result = invoke("live", *SIM, "--duration", "0.2")
    assert result.exit_code == ExitCode.USAGE and "imperial" in result.output


def test_freeze_log_and_mode06_follow_the_units(tmp_path):
    frame = as_json("freeze", *MISFIRE, "--units", "imperial")["ecus"]["7E8"]
    units = {reading["name"]: reading["unit"] for reading in frame["readings"]}
    assert units["COOLANT_TEMP"] == "°F" and units["SPEED"] == "mph"
    assert units["INTAKE_PRESSURE"] == "psi" and units["RPM"] == "rpm"
    tests = as_json("mode06", *SIM, "--units", "imperial")["ecus"]["7E8"]["tests"]
    assert "kPa" not in {test["unit"] for test in tests} and "psi" in {t["unit"] for t in tests}
    path = tmp_path / "drive.csv"
    ok(
        "log",
        *SIM,
        "-o",
        str(path),
        "--pid",
        "SPEED",
        "--duration",
        "0.6",
        "--units",
        "imperial",
        "--format",
        "long",
    )
    assert {row["unit"] for row in read_csv_log(path) if row.get("name")} == {"mph"}


# ============================================================================ trip


def test_the_trip_computer_on_a_petrol_car():
    document = as_json("trip", *SIM, "--duration", "2")
    figures = document["figures"]
    assert document["fuel"] == "petrol" and document["method"] == "maf"
    seconds, distance = figures["trip_time"]["value"], figures["distance"]["value"]
    speed = figures["speed"]["value"]
    assert 1.0 < seconds <= 2.0 and speed > 0
    assert distance == pytest.approx(speed * seconds / 3600, rel=0.15)  # a steady cruise
    assert figures["average_speed"]["value"] == pytest.approx(speed, rel=0.1)
    rate = figures["fuel_rate"]["value"]
    assert 1 < rate < 30 and figures["fuel_rate"]["unit"] == "L/h"
    assert figures["instant_economy"]["value"] == pytest.approx(rate / speed * 100)
    assert figures["fuel_used"]["value"] > 0 and document["link_lost"] is None


def test_the_trip_computer_in_imperial_on_a_diesel_says_its_estimate_is_an_upper_bound():
    document = as_json(
        "trip", *SIM, "--sim-profile", "diesel_2.0", "--duration", "1.5", "--units", "imperial"
    )
    figures = document["figures"]
    assert document["fuel"] == "diesel" and "upper bound" in document["note"]
    assert figures["distance"]["unit"] == "mi" and figures["speed"]["unit"] == "mph"
    assert figures["instant_economy"]["unit"] == "MPG" and figures["fuel_used"]["unit"] == "gal"
    output = ok("trip", *SIM, "--duration", "1").stdout
    for label in ("trip time", "distance", "average speed", "fuel rate now", "economy now"):
        assert label in output
    assert "L/100 km" in output and "km/h" in output


# ============================================================ readiness, freeze, info


def test_the_inspection_verdict_of_a_car_with_its_mil_on_and_of_a_healthy_one():
    failing = as_json("readiness", *MISFIRE)["inspection"]
    assert failing["verdict"] == "fail" and failing["mil"] is True
    assert failing["model_year"] == 2006 and failing["model_year_from"] == "vin"
    healthy = as_json("readiness", *SIM, "--model-year", "1998")["inspection"]
    assert healthy["verdict"] == "pass" and healthy["allowed_incomplete"] == 2
    assert healthy["model_year_from"] == "given"
    output = ok("readiness", *MISFIRE).stdout
    assert "Emissions inspection (OBD check): FAIL" in output and "MIL" in output
    assert "40 CFR 85.2222" in output


def test_a_freeze_frame_that_is_not_there():
    document = as_json("freeze", *SIM)
    assert document["stored"] is False and document["ecus"] == {}
    output = ok("freeze", *SIM).stdout
    assert "No freeze frame stored" in output and "P0000" not in output
    stored = as_json("freeze", *MISFIRE)
    assert stored["stored"] is True and stored["ecus"]["7E8"]["dtc"].startswith("P030")
    assert "None" not in ok("freeze", *MISFIRE).stdout


def test_info_decodes_the_vin_and_lists_calibrations():
    document = as_json("info", *SIM)
    decoded = document["vin_decoded"]
    assert decoded["make"] == "RENAULT" and decoded["model_year"] == 2006
    assert decoded["country"] == "France" and decoded["wmi"] == "VF1"
    calibrations = {entry["ecu"]: entry for entry in document["calibrations"]}
    assert set(calibrations) == {"7E8", "7E9"}
    for entry in calibrations.values():
        assert entry["calibration_ids"] and len(entry["cvns"]) == len(entry["calibration_ids"])
        assert all(len(cvn) == 8 for cvn in entry["cvns"])  # 4 bytes in hex
    output = ok("info", *SIM).stdout
    assert "RENAULT" in output and "model year" in output
    assert calibrations["7E8"]["calibration_ids"][0] in output and "CVN" in output


# ============================================================================ link loss


def test_live_json_after_a_lost_link_exits_6_and_says_so():
    simulator = Simulator(transport="tcp", start_s=300)
    simulator.start()
    outcome = {}
    watching = threading.Thread(
        target=lambda: outcome.setdefault(
            "result",
            invoke("live", "--device", simulator.url, "--pid", "RPM", "--duration", "10", "--json"),
        )
    )
    started = time.monotonic()
    watching.start()
    try:
        time.sleep(1.5)  # samples flow
        simulator.stop()  # the dongle dies
        watching.join(30)
    finally:
        simulator.stop()
    result = outcome["result"]
    assert result.exit_code == ExitCode.LINK, result.output
    assert time.monotonic() - started < 10  # ended by the lost link, not by --duration
    document = json.loads(result.stdout)
    assert document["link_lost"] and document["pids"]["RPM"]["samples"] > 0
    assert result.stderr.startswith("novaevo live: lost the adapter")


# ============================================================================ --sim options


def test_the_sim_options_of_novaevo_sim_reach_the_simulator_of_every_car_command(monkeypatch):
    """--sim takes the seed, drive cycle and protocol that `novaevo sim` takes."""
    from obdcore.io import target

    started = []
    real_factory = target._simulator_factory

    def recording_factory(**options):
        started.append(options)
        return real_factory(**options)

    monkeypatch.setattr(target, "_simulator_factory", recording_factory)
    document = as_json(
        "info", *SIM, "--sim-seed", "7", "--sim-cycle", "idle", "--sim-protocol", "8"
    )
    assert document["protocol"] == "8"
    given = {name: started[-1][name] for name in ("seed", "cycle", "protocol")}
    assert given == {"seed": 7, "cycle": "idle", "protocol": "8"}
    idle = as_json("live", *SIM, "--sim-cycle", "idle", "--pid", "SPEED", "--duration", "0.6")
    assert idle["pids"]["SPEED"]["value"] == 0


@pytest.mark.parametrize(
    "options",
    [("--sim-protocol", "12"), ("--sim-cycle", "motorway"), ("--sim-seed", "x")],
)
def test_a_bad_sim_option_is_a_usage_error(options):
    assert invoke("info", *SIM, *options).exit_code == ExitCode.USAGE


def test_sim_options_without_sim_are_a_usage_error():
    result = invoke("info", "--sim-seed", "4")
    assert result.exit_code == ExitCode.USAGE and "only with --sim" in result.output
