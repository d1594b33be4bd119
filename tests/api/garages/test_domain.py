"""Quotes, labour times, services, the directory CSV format, the demo directory, .ics."""

from __future__ import annotations

import datetime as dt
import io

import icalendar
import pytest

from api.garages.demo import demo_csv
from api.garages.directory import DirectoryReport, parse_directory, parse_rate
from api.garages.errors import (
    ImportFailedError,
    InvalidInputError,
    ServiceNotOfferedError,
    UnknownServiceError,
)
from api.garages.geo import bounding_box, distance_km
from api.garages.ics import BookingEvent, booking_ics
from api.garages.labour import labour_time, load_labour_times
from api.garages.quotes import (
    GarageTerms,
    PartChoice,
    WorkItem,
    build_quote,
    fingerprint,
    labour_cents,
    work_for_causes,
    work_for_service,
)
from api.garages.services import get_service

UTC = dt.UTC
TERMS = GarageTerms(7, 6000, {"engine_repair": None, "brake_pads": 75, "diagnosis": None})
COILS = [
    PartChoice(11, "DEMO-ALPHA", "A-1", "coil", "S1", 4550, True),
    PartChoice(12, "DEMO-BRAVO", "B-2", "coil", "S2", 3999, False),
]


def test_labour_times_cover_the_catalogue_vocabulary_and_name_a_source() -> None:
    from parts.vocabulary import PART_TYPES

    coil = labour_time("ignition_coil")
    assert coil is not None and coil.service == "engine_repair" and coil.source
    assert coil.minutes_for(1) == 20 and coil.minutes_for(3) == 30
    assert labour_time("maf_sensor").minutes == 20
    assert all(labour_time(code) is not None for code in PART_TYPES)


def test_labour_table_rejects_bad_rows(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "part_type,operation,minutes,extra_unit_minutes,service,source\n"
        "maf_sensor,replace,20,0,engine_repair,x\n"
        "flux_capacitor,replace,20,0,engine_repair,x\n"
    )
    with pytest.raises(InvalidInputError, match="line 3: unknown part type"):
        load_labour_times(path)


def test_quote_from_a_misfire_diagnosis_with_brand_choice() -> None:
    items = work_for_causes([("misfire:2", 0.3), ("vacuum_leak", 0.1)], top=1, cylinders=4)
    # parts maps misfire first to spark plugs: one per cylinder
    assert items == [WorkItem("engine_repair", "spark_plug", 4, "replace", "misfire:2")]
    items = [WorkItem("engine_repair", "ignition_coil", 1, "replace", "misfire:2")]
    quote = build_quote(TERMS, items, {"ignition_coil": COILS})
    part, labour = quote.lines
    assert (part.kind, part.brand, part.total_cents) == ("part", "DEMO-ALPHA", 4550)
    assert len(part.alternatives) == 2
    assert (labour.kind, labour.minutes, labour.total_cents) == ("labour", 20, 2000)
    assert quote.total_excl_vat_cents == 6550
    assert quote.vat_cents == 1310 and quote.total_incl_vat_cents == 7860
    assert quote.subject_to_inspection and "sous réserve" in quote.notice
    assert quote.minutes == 20
    bravo = build_quote(TERMS, items, {"ignition_coil": COILS}, {"ignition_coil": "demo-bravo"})
    assert bravo.lines[0].unit_price_cents == 3999 and bravo.fingerprint != quote.fingerprint
    with pytest.raises(InvalidInputError, match="available: DEMO-ALPHA, DEMO-BRAVO"):
        build_quote(TERMS, items, {"ignition_coil": COILS}, {"ignition_coil": "ACME"})


def test_fingerprint_follows_prices_not_alternatives() -> None:
    items = [WorkItem("engine_repair", "ignition_coil", 1, "replace", "")]
    a = build_quote(TERMS, items, {"ignition_coil": COILS})
    b = build_quote(TERMS, items, {"ignition_coil": COILS[:1]})  # fewer alternatives
    assert a.fingerprint == b.fingerprint == fingerprint(a)
    dearer = [PartChoice(11, "DEMO-ALPHA", "A-1", "coil", "S1", 4600, True)]
    assert build_quote(TERMS, items, {"ignition_coil": dearer}).fingerprint != a.fingerprint


def test_packaged_service_uses_garage_minutes_and_notes_missing_parts() -> None:
    quote = build_quote(TERMS, work_for_service("brake_pads"), {})
    labour, note = quote.lines
    assert labour.minutes == 75 and labour.total_cents == 7500
    assert note.kind == "note" and note.total_cents == 0
    with pytest.raises(ServiceNotOfferedError):
        build_quote(TERMS, work_for_service("timing_belt"), {})
    with pytest.raises(UnknownServiceError):
        get_service("teleportation")
    with pytest.raises(InvalidInputError):
        work_for_service("engine_repair")


def test_unknown_cause_becomes_an_inspection() -> None:
    items = work_for_causes([("no_such_cause", 0.8)])
    assert items == [WorkItem("diagnosis", None, 1, "inspect", "no_such_cause")]
    quote = build_quote(TERMS, items, {})
    assert quote.lines[0].minutes == 60 and quote.labour_cents == 6000


def test_money_rounding_half_up() -> None:
    assert labour_cents(20, 6550) == 2183  # 2183.33
    assert labour_cents(1, 90) == 2  # 1.5 -> 2


HEADER = "ref;name;address;postcode;city;latitude;longitude;bays;hours;services;labour_rate;makes\n"


def test_directory_csv_rejects_rows_with_line_numbers() -> None:
    good = (
        '"G1";"Garage";"1 rue";"75011";"Paris";48.86;2.38;2;"mon-fri 08:00-18:00";'
        '"diagnosis";65,50;\n'
    )
    text = (
        HEADER
        + good
        + 'G2;Garage;1 rue;7501;Paris;48.86;2.38;2;"mon 08:00-12:00";diagnosis;65;\n'
        + 'G3;Garage;1 rue;75011;Paris;48.86;2.38;2;"mon 08:00-12:00";brakes;65;\n'
        + "\n"
        + 'G4;Garage;"1 rue\nbis";75011;Paris;91;2.38;2;"mon 08:00-12:00";diagnosis;65;\n'
        + good
        + 'G5;Garage;1 rue;75011;Paris;48.86;2.38;0;"mon 08:00-12:00";diagnosis;65;\n'
        + 'G6;Garage;1 rue;75011;Paris;48.86;2.38;1;"mon 12:00-08:00";diagnosis;65;\n'
    )
    report = DirectoryReport()
    records = list(parse_directory(io.StringIO(text), report))
    assert [r.ref for r in records] == ["G1"]
    assert records[0].labour_rate_cents == 6550 and records[0].line == 2
    lines = [line for line, _ in report.rejected]
    assert lines == [3, 4, 6, 8, 9, 10]
    reasons = dict(report.rejected)
    assert "postcode" in reasons[3] and "unknown service" in reasons[4]
    assert "latitude" in reasons[6] or "position" in reasons[6]
    assert "duplicate of line 2" in reasons[8]
    assert "bays" in reasons[9] and "ends before" in reasons[10]


def test_directory_csv_missing_column() -> None:
    with pytest.raises(ImportFailedError, match="labour_rate"):
        list(parse_directory(io.StringIO("ref,name\n"), DirectoryReport()))
    with pytest.raises(Exception, match="labour_rate"):
        parse_rate("cheap")


def test_demo_directory_is_labelled_and_parses_whole() -> None:
    report = DirectoryReport()
    records = list(parse_directory(io.StringIO(demo_csv()), report))
    assert report.rejected == [] and len(records) >= 500
    assert all(r.demo and r.name.startswith("[DEMO]") and r.ref.startswith("DEMO-")
               for r in records)  # fmt: skip
    paris = [r for r in records if r.city == "Paris"]
    assert all(distance_km(48.857, 2.352, r.latitude, r.longitude) < 26.5 for r in paris)


def test_bounding_box_contains_the_circle() -> None:
    lat0, lat1, lon0, lon1 = bounding_box(48.857, 2.352, 30)
    assert lat0 < 48.857 - 0.26 and lon1 > 2.352 + 0.40
    assert 29.9 < distance_km(48.857, 2.352, lat1, 2.352) < 30.1


def test_ics_in_paris_time_across_dst() -> None:
    before = dt.datetime(2026, 3, 28, 8, 0, tzinfo=UTC)  # 09:00 CET
    after = dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST
    for start in (before, after):
        event = BookingEvent(5, start, start + dt.timedelta(hours=1), "[DEMO] G", "1 rue",
                             "Repair", "lines", "accepted", 2)  # fmt: skip
        raw = booking_ics(event, now=before)
        assert b"DTSTART;TZID=Europe/Paris:202603" in raw and b"T090000" in raw
        assert b"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in raw
        cal = icalendar.Calendar.from_ical(raw)
        vevent = cal.walk("VEVENT")[0]
        assert vevent.decoded("dtstart").astimezone(UTC) == start
        assert str(vevent["uid"]) == "booking-5@novaevo.local" and vevent["sequence"] == 2
        assert str(vevent["status"]) == "CONFIRMED"
