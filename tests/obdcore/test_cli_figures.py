"""The figures the car commands show, against hand-computed values: unit conversions, the
trip computer, the inspection verdict, Mode 06 results and the VIN decoder (pure code,
no car)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from obdcore import reports, units, vin
from obdcore.io.client import Readiness
from obdcore.protocol.structured import Monitor, MonitorStatus, monitor_test
from obdcore.trip import Trip, fuel_kind, fuel_rate_from_maf

# ============================================================================ units


@pytest.mark.parametrize(
    ("value", "unit", "expected", "imperial"),
    [
        (100.0, "°C", 212.0, "°F"),
        (-40.0, "°C", -40.0, "°F"),
        (100.0, "km/h", 62.1371, "mph"),
        (160.9344, "km", 100.0, "mi"),
        (101.325, "kPa", 14.6959, "psi"),
        (10.0, "L/100km", 23.5215, "MPG"),  # US gallon
        (3.785411784, "L", 1.0, "gal"),
        (249.08891, "Pa", 1.0, "inH2O"),
    ],
)
def test_imperial_conversions(value, unit, expected, imperial):
    converted, shown = units.convert(value, unit, "imperial")
    assert converted == pytest.approx(expected, abs=1e-4) and shown == imperial
    assert units.convert(value, unit, "metric") == (value, unit)


def test_what_has_no_imperial_unit_or_is_no_number_is_left_alone():
    assert units.convert(2500.0, "rpm", "imperial") == (2500.0, "rpm")
    assert units.convert(None, "°C", "imperial") == (None, "°C")
    assert units.convert(("closed loop", None), "", "imperial") == (("closed loop", None), "")
    assert units.unit_in("km/h", "imperial") == "mph" and units.unit_in("%", "imperial") == "%"
    with pytest.raises(ValueError, match="metric or imperial"):
        units.check_system("furlongs")


# ============================================================================ trip


def test_fuel_rate_from_maf_at_the_stoichiometric_ratio():
    # 10 g/s of air / 14.7 = 0.6803 g/s of petrol / 745 g/L * 3600 s = 3.2872 L/h
    assert fuel_rate_from_maf(10.0, "petrol") == pytest.approx(36000 / (14.7 * 745))
    assert fuel_rate_from_maf(10.0, "petrol") == pytest.approx(3.28722, abs=1e-5)
    # 20 g/s / 14.5 / 832 g/L * 3600 = 5.9682 L/h
    assert fuel_rate_from_maf(20.0, "diesel") == pytest.approx(5.96817, abs=1e-5)
    assert fuel_kind("diesel") == "diesel" and fuel_kind("bifuel running gasoline") == "petrol"
    assert fuel_kind(None) == "petrol"


def test_a_steady_trip_on_maf():
    trip = Trip("petrol")
    for step in range(201):  # 100 s at 36 km/h and 10 g/s, a sample every 0.5 s
        trip.speed(step * 0.5, 36.0)
        trip.maf(step * 0.5, 10.0)
    assert trip.seconds == 100.0
    assert trip.distance.total == pytest.approx(1.0)  # 36 km/h for 100 s = 1 km
    assert trip.average_speed == pytest.approx(36.0)
    assert trip.burnt.total == pytest.approx(3.287221 / 36, rel=1e-5)  # 0.091312 L
    assert trip.average_economy == pytest.approx(9.13117, rel=1e-5)  # L/100 km
    mpg, unit = units.convert(trip.average_economy, "L/100km", "imperial")
    assert unit == "MPG" and mpg == pytest.approx(25.7595, abs=1e-3)
    assert trip.instant_economy == pytest.approx(9.13117, rel=1e-5)
    document = trip.document()
    assert document["method"] == "maf" and "petrol" in document["note"]
    assert document["figures"]["distance"] == {"value": pytest.approx(1.0), "unit": "km"}


def test_a_trip_on_the_fuel_rate_pid_counts_stops_in_the_average_speed():
    trip = Trip("diesel")
    for second in range(31):  # 30 s standing, then 60 km/h from 31 s to 90 s
        trip.speed(second, 0.0)
        trip.fuel_rate(second, 0.6)
    for second in range(31, 91):
        trip.speed(second, 60.0)
        trip.fuel_rate(second, 6.0)
    # distance: the 30-31 s ramp (30 km/h for 1 s) + 59 s at 60 km/h = 3570 km*s/h
    assert trip.distance.total == pytest.approx(3570 / 3600)
    assert trip.average_speed == pytest.approx(3570 / 90)  # 39.67 km/h over 90 s
    # fuel: 30 s at 0.6 L/h, the ramp at 3.3 L/h for 1 s, 59 s at 6 L/h
    assert trip.burnt.total == pytest.approx((0.6 * 30 + 3.3 + 6 * 59) / 3600)
    assert trip.instant_economy == pytest.approx(10.0)  # 6 L/h at 60 km/h
    assert trip.document()["method"] == "fuel_rate_pid"


def test_a_gap_in_the_samples_is_not_driven_through():
    trip = Trip()
    trip.speed(0.0, 100.0)
    trip.speed(1.0, 100.0)
    trip.speed(60.0, 100.0)  # the link paused for 59 s: no distance guessed for it
    assert trip.distance.total == pytest.approx(100 / 3600)
    assert trip.average_economy is None and trip.document()["figures"]["fuel_used"]["value"] is None
    standing = Trip()
    standing.speed(0.0, 0.0)
    standing.maf(0.0, 3.0)
    assert standing.instant_economy is None  # no L/100 km standing still


# ============================================================================ inspection


def readiness(*incomplete: str, mil: bool = False, ignition: str = "spark") -> Readiness:
    names = ("MISFIRE", "FUEL_SYSTEM", "COMPONENTS", "CATALYST", "EVAPORATIVE_SYSTEM")
    names += ("OXYGEN_SENSOR", "OXYGEN_SENSOR_HEATER", "EGR_VVT_SYSTEM")
    monitors = tuple(Monitor(name, True, name not in incomplete) for name in names)
    monitors += (Monitor("SECONDARY_AIR_SYSTEM", False, False),)  # not fitted: never counts
    return Readiness(0x7E8, MonitorStatus(mil, 1 if mil else 0, ignition, monitors), None)


@pytest.mark.parametrize(
    ("year", "incomplete", "mil", "verdict"),
    [
        (2005, ["EVAPORATIVE_SYSTEM"], False, "pass"),
        (2005, ["EVAPORATIVE_SYSTEM", "CATALYST"], False, "not ready"),
        (1998, ["EVAPORATIVE_SYSTEM", "CATALYST"], False, "pass"),
        (1998, ["EVAPORATIVE_SYSTEM", "CATALYST", "OXYGEN_SENSOR"], False, "not ready"),
        (2001, ["EVAPORATIVE_SYSTEM", "CATALYST"], False, "not ready"),
        (2000, [], True, "fail"),
        (2019, ["EVAPORATIVE_SYSTEM", "CATALYST"], True, "fail"),
        (2019, ["MISFIRE", "COMPONENTS"], False, "pass"),  # continuous: not counted
        (1993, ["CATALYST"], False, "not applicable"),
        (None, ["CATALYST"], False, "pass"),
        (None, ["CATALYST", "EGR_VVT_SYSTEM"], False, "not ready"),
    ],
)
def test_the_inspection_verdict(year, incomplete, mil, verdict):
    result = reports.inspection_verdict([readiness(*incomplete, mil=mil)], year)
    assert result["verdict"] == verdict, result["reasons"]
    counted = sorted(set(incomplete) - {"MISFIRE", "COMPONENTS", "FUEL_SYSTEM"})
    assert [m["name"] for m in result["incomplete"]] == counted
    assert all(m["drive"] for m in result["incomplete"])
    assert "40 CFR 85.2222" in result["rule"] and result["drives_source"]
    if year is None:
        assert any("model year unknown" in reason for reason in result["reasons"])


def test_a_monitor_incomplete_on_any_ecu_counts_and_no_ecu_is_not_applicable():
    engine, gearbox = readiness(), dataclasses.replace(readiness("CATALYST"), ecu=0x7E9)
    result = reports.inspection_verdict([engine, gearbox], 2010)
    assert [m["name"] for m in result["incomplete"]] == ["CATALYST"]
    assert result["verdict"] == "pass" and result["allowed_incomplete"] == 1
    assert reports.inspection_verdict([], 2010)["verdict"] == "not applicable"
    evap = reports.inspection_verdict([readiness("EVAPORATIVE_SYSTEM")], 2010)["incomplete"][0]
    assert "cold start" in evap["drive"]


# ============================================================================ Mode 06


SECONDS = 0x10  # UAS 0x10: 1 ms per bit
COUNTS = 0x24  # UAS 0x24: counts


@pytest.mark.parametrize(
    ("uas", "raw", "result"),
    [
        (SECONDS, (0xFFFF, 0, 0xFFFF), "no result"),  # 65.535 s: the "no value" value
        (SECONDS, (0, 0, 0), "no result"),  # not run since the codes were cleared
        (SECONDS, (120, 0, 400), "pass"),
        (COUNTS, (2157, 0, 40), "fail"),  # cylinder 2's misfires against its limit
        (COUNTS, (2157, 0, 0xFFFF), "no limit"),  # a limit spanning the range tests nothing
        (COUNTS, (0xFFFF, 0, 0xFFFF), "no result"),
        (COUNTS, (12, 20, 40), "fail"),  # below its minimum
    ],
)
def test_mode06_results(uas, raw, result):
    test = monitor_test(0xA3, 0x0C, uas, raw)
    assert reports.mode06_result(test) == result
    entry = reports.mode06_test(test)
    assert entry["result"] == result
    assert entry["passed"] is {"pass": True, "no limit": True, "fail": False}.get(result)


def test_mode06_values_follow_the_units():
    test = monitor_test(0x31, 0x80, 0x17, (45, 20, 90))  # UAS 0x17: kPa
    metric, imperial = reports.mode06_test(test), reports.mode06_test(test, "imperial")
    assert metric["unit"] == "kPa" and imperial["unit"] == "psi"
    assert imperial["value"] == pytest.approx(metric["value"] / 6.894757, rel=1e-6)
    assert imperial["max"] == pytest.approx(metric["max"] / 6.894757, rel=1e-6)


# ============================================================================ VIN

TODAY = dt.date(2026, 6, 1)


def test_decoding_a_european_vin():
    decoded = vin.decode("vf1 rja00068123456", today=TODAY)
    assert decoded.vin == "VF1RJA00068123456" and decoded.make == "RENAULT"
    assert decoded.model_years == [2006] and decoded.country == "France"
    assert decoded.check_digit_ok is False  # common in Europe, never grounds to refuse
    assert vin.decode("WVWZZZ1KZAW123456", today=TODAY).model_years == [2010, 1980]


def test_the_north_american_check_digit_and_position_7_rule():
    classic = vin.decode("1M8GDM9AXKP042788", today=TODAY)
    assert classic.check_digit_ok and vin.check_digit("1M8GDM9AXKP042788") == "X"
    assert classic.model_years == [1989]  # position 7 a digit: 1980-2009, not 2019
    assert vin.model_years("5YJSA1E26HF000337", TODAY) == [2017]  # a letter: 2010-2039
    assert not vin.check_digit_ok("1M8GDM9A1KP042788")
    assert not vin.check_digit_ok("not a vin")


@pytest.mark.parametrize(
    "text", ["VF1RJA0006812345", "VF1RJA00068I23456", "", "VF1RJA000681234567"]
)
def test_not_a_vin_is_a_vin_error(text):
    with pytest.raises(vin.VinError, match="not a VIN"):
        vin.decode(text)


def test_the_other_packages_delegate_to_the_one_decoder(monkeypatch):
    from ocr.validators import vin_check_digit_ok
    from parts import identify

    calls = []
    real = vin.check_digit_ok
    monkeypatch.setattr(vin, "check_digit_ok", lambda text: calls.append(text) or real(text))
    assert identify.check_digit_ok("1M8GDM9AXKP042788") and vin_check_digit_ok("1M8GDM9AXKP042788")
    assert calls == ["1M8GDM9AXKP042788"] * 2
    assert identify.wmi_make("VF1") == "RENAULT" and identify.WMI_MAKES is vin.WMI_MAKES


# ============================================================================ the dashboard


@pytest.mark.parametrize(
    "value", [0.0, 0.00001234, -0.0001234, 0.055, 13.928, -40.0, 2435.25, 9999.9, 65535.0]
)
def test_a_dashboard_number_fits_its_column_and_is_never_cut(value):
    from obdcore.cli.stream import NUMBER_WIDTH, short_number

    text = short_number(value)
    assert len(text) <= NUMBER_WIDTH and "e" not in text and "…" not in text
    assert float(text) == pytest.approx(value, rel=1e-3, abs=1e-3)


@pytest.mark.parametrize(
    ("width", "extremes", "rate", "spark"),
    [(120, True, True, 30), (80, True, True, 10), (60, True, False, 0), (50, False, True, 0)],
)
def test_the_dashboard_layout_fits_the_terminal(width, extremes, rate, spark):
    from obdcore.cli.stream import GAP, NUMBER_WIDTH, RATE_WIDTH, Layout

    shape = Layout.fit(width, name=22, unit=5)
    assert (shape.extremes, shape.rate, shape.spark) == (extremes, rate, spark)
    widths = [22, NUMBER_WIDTH, 5] + [NUMBER_WIDTH] * 2 * extremes
    widths += [RATE_WIDTH] * rate + [spark] * bool(spark)
    assert sum(widths) + GAP * (len(widths) - 1) <= width


def test_a_converted_reading_keeps_its_resolution_in_the_new_unit():
    """A whole-kPa field is worth a tenth of a psi: rounding the psi value to the kPa
    field's 0 decimals would turn 30 kPa into 4 psi."""
    from obdcore.reports import reading_entry

    metric = reading_entry("INTAKE_PRESSURE", 30.0, "kPa")
    imperial = reading_entry("INTAKE_PRESSURE", 30.0, "kPa", units="imperial")
    assert metric == {"name": "INTAKE_PRESSURE", "value": 30.0, "unit": "kPa"}
    assert imperial == {"name": "INTAKE_PRESSURE", "value": 4.4, "unit": "psi"}
    assert reading_entry("RPM", 812.25, "rpm", units="imperial")["value"] == 812.25


def test_a_monitor_status_reads_the_same_in_replay_and_in_the_car_views():
    """Never "not ready: none": complete monitors say so, incomplete ones are named."""
    from obdcore.cli.car import shown
    from obdcore.cli.replay import _value_text

    def status(*incomplete: str) -> dict:
        names = ["MISFIRE", "CATALYST", "EVAPORATIVE_SYSTEM"]
        monitors = [{"name": n, "available": True, "complete": n not in incomplete} for n in names]
        return {"mil": bool(incomplete), "dtc_count": len(incomplete), "monitors": monitors}

    for render in (_value_text, shown):
        assert render(status()) == "MIL off, 0 DTC, all monitors complete"
        assert render(status("CATALYST")) == "MIL on, 1 DTC, incomplete: CATALYST"
