"""Vehicle identification from VIN, registration-card fields and known plates."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from parts.errors import InvalidInputError, InvalidPlateError, InvalidVinError, NotFoundError
from parts.identify import CardFields, identify_card, identify_plate, identify_vin, remember_plate
from parts.models import VehicleType
from tests.parts import catalogue


@pytest.fixture
def tiny(engine, tmp_path):
    catalogue.load(engine, tmp_path)
    return engine


def _id(session, ktype: int) -> int:
    return session.scalar(select(VehicleType.id).where(VehicleType.ktype == ktype))


def test_cnit_pins_the_type(tiny, session) -> None:
    found = identify_card(
        session,
        CardFields(
            d1_make="RENAULT",
            d21_cnit="M10RENVP000E123",
            p1_cc="1461",
            p2_kw="63,0",
            p3_fuel="go",
            b_first_registration="15/03/2007",
        ),
    )
    best = found[0]
    assert best.vehicle.ktype == 1001 and best.score == 1.0
    assert any("CNIT" in r for r in best.reasons) and any("B 2007" in r for r in best.reasons)


def test_type_code_and_make_with_figures_rank_candidates(tiny, session) -> None:
    by_type = identify_card(session, CardFields(d2_type="br0e0f"))
    assert [c.vehicle.ktype for c in by_type] == [1001]
    # Same engine in two makes: the make decides, and P.2 separates 63 kW from 50 kW.
    by_figures = identify_card(session, CardFields(d1_make="Dacia", p1_cc=1461, p2_kw="50"))
    assert [c.vehicle.ktype for c in by_figures] == [1003]
    assert by_figures[0].reasons == [
        "D.1 make DACIA matches",
        "P.1 1461 cm3 ~ 1461 cm3",
        "P.2 50 kW ~ 50 kW",
    ]


def test_first_registration_outside_production_lowers_the_score(tiny, session) -> None:
    inside = identify_card(
        session, CardFields(d2_type="BR0E0F", b_first_registration=dt.date(2008, 1, 1))
    )
    outside = identify_card(
        session, CardFields(d2_type="BR0E0F", b_first_registration="01/01/1990")
    )
    assert outside[0].score < inside[0].score
    assert any("outside production" in r for r in outside[0].reasons)


@pytest.mark.parametrize(
    "fields",
    [
        CardFields(),
        CardFields(p1_cc="1461"),
        CardFields(d1_make="Renault", p1_cc="14x1"),
        CardFields(d1_make="Renault", p2_kw="lots"),
        CardFields(d1_make="Renault", b_first_registration="2007-03-15"),
        CardFields(d1_make="Renault", b_first_registration="31/02/2007"),
    ],
)
def test_bad_card_fields_are_refused(tiny, session, fields) -> None:
    with pytest.raises(InvalidInputError):
        identify_card(session, fields)


def test_card_with_sql_in_fields_finds_nothing(tiny, session) -> None:
    found = identify_card(session, CardFields(d1_make="x' OR '1'='1", d21_cnit="'; DROP TABLE x"))
    assert found == []
    assert session.scalar(select(VehicleType.id).limit(1)) is not None


def test_vin_gives_make_and_year_candidates(tiny, session) -> None:
    info = identify_vin(session, "VF1BR0E0F12345678")
    assert info.wmi == "VF1" and info.make == "RENAULT"
    assert [c.vehicle.ktype for c in info.candidates] == [1001]
    assert info.candidates[0].reasons[0] == "WMI VF1 is RENAULT"
    peugeot = identify_vin(session, "VF3CAHMZ0C1234567")  # position 10 'C' = 2012
    assert peugeot.candidates[0].vehicle.ktype == 1002
    assert any("2012" in r for r in peugeot.candidates[0].reasons)
    assert identify_vin(session, "ZZZ12345678901234").candidates == []


@pytest.mark.parametrize("vin", ["VF1BR0E0F1234567", "VF1BR0E0F1234567O", "", "x" * 10_000])
def test_malformed_vin_is_refused(tiny, session, vin) -> None:
    with pytest.raises(InvalidVinError):
        identify_vin(session, vin)


def test_known_plate_and_vin(tiny, session) -> None:
    me = "user:1"
    with pytest.raises(NotFoundError):
        identify_plate(session, "AB-123-CD", owner=me)
    with pytest.raises(InvalidPlateError):
        identify_plate(session, "not a plate", owner=me)
    remember_plate(session, "ab 123 cd", _id(session, 1002), vin="VF3CAHMZ0C1234567", owner=me)
    session.commit()
    known = identify_plate(session, "AB123CD", owner=me)
    assert known.vehicle.ktype == 1002 and known.score == 1.0
    by_vin = identify_vin(session, "vf3cahmz0c1234567", owner=me)
    assert [c.vehicle.ktype for c in by_vin.candidates] == [1002]
    assert "AB-123-CD" in by_vin.candidates[0].reasons[0]
    remember_plate(session, "AB-123-CD", _id(session, 1001), owner=me)
    session.commit()
    assert identify_plate(session, "AB-123-CD", owner=me).vehicle.ktype == 1001
    with pytest.raises(NotFoundError):
        remember_plate(session, "AB-124-CD", 999_999, owner=me)


def test_known_vehicles_are_per_owner(tiny, session) -> None:
    """One owner's plate and VIN never identify (nor reveal) anything to another owner,
    and the same plate may be remembered by two owners."""
    remember_plate(
        session, "AB-123-CD", _id(session, 1002), vin="VF3CAHMZ0C1234567", owner="user:1"
    )
    session.commit()
    with pytest.raises(NotFoundError):
        identify_plate(session, "AB-123-CD", owner="user:2")
    other = identify_vin(session, "VF3CAHMZ0C1234567", owner="user:2")
    assert all("identified" not in " ".join(c.reasons) for c in other.candidates)
    anonymous = identify_vin(session, "VF3CAHMZ0C1234567")
    assert all("AB-123-CD" not in " ".join(c.reasons) for c in anonymous.candidates)
    remember_plate(session, "AB-123-CD", _id(session, 1001), owner="user:2")
    session.commit()
    assert identify_plate(session, "AB-123-CD", owner="user:1").vehicle.ktype == 1002
    assert identify_plate(session, "AB-123-CD", owner="user:2").vehicle.ktype == 1001


def test_exact_codes_and_plausible_years_survive_the_candidate_window(
    demo, session, monkeypatch
) -> None:
    import parts.identify as ident

    monkeypatch.setattr(ident, "MAX_CANDIDATES", 2)
    last = session.scalars(
        select(VehicleType)
        .where(VehicleType.make_norm == "PEUGEOT")
        .order_by(VehicleType.id.desc())
    ).first()
    found = identify_card(session, CardFields(d1_make="Peugeot", d21_cnit=last.cnit))
    assert found[0].vehicle.id == last.id and found[0].score >= 0.7
    letter = "ABCDEFGHJKLMNPRSTVWXY123456789"[(last.year_from - 1980) % 30]
    info = identify_vin(session, f"VF3ABCDEF{letter}1234567", limit=2)
    best = info.candidates[0]
    assert len(best.reasons) == 2 and "model year" in best.reasons[1]
    assert best.vehicle.year_from <= last.year_from <= best.vehicle.year_to
