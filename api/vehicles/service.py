"""Vehicles: create (by hand, from a VIN, from a confirmed card reading), read, update,
delete, and the link to the parts catalogue through :mod:`parts.identify`.

Every read goes through :func:`owned`: the owner is part of the query, so another user's
vehicle is never loaded (404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.accounts import service as accounts
from api.accounts.models import User
from api.core.errors import ApiError, not_found
from api.vehicles.models import CardReading, Vehicle
from obdcore import vin as vin_codec
from parts import identify
from parts.errors import NotFoundError
from parts.models import VehicleType
from parts.normalize import normalize_plate, normalize_vin

# A catalogue candidate is linked automatically only when a card code (CNIT 0.6, D.2 0.5)
# matched, or the owner identified that VIN before (1.0); a VIN alone (make + year, 0.4 at
# most) leaves the choice to the user.
LINK_SCORE = 0.5
# P.3 codes of the French card -> our fuel names.
CARD_FUELS = {
    "ES": "petrol",
    "GO": "diesel",
    "EL": "electric",
    "EE": "hybrid",
    "EH": "hybrid",
    "GP": "lpg",
    "GN": "other",
    "FE": "petrol",
}


def owner_key(user: User) -> str:
    """The opaque owner key this user's remembered plates are filed under in ``parts``."""
    return f"user:{user.id}"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# Built once (building costs more than running it); the owner is part of the query.
_OWNED = select(Vehicle).where(
    Vehicle.id == bindparam("vehicle_id"), Vehicle.owner_id == bindparam("owner_id")
)


def owned(session: Session, user: User, vehicle_id: int) -> Vehicle:
    """The caller's vehicle ``vehicle_id`` (404 when it does not exist or is not theirs)."""
    vehicle = session.scalars(_OWNED, {"vehicle_id": vehicle_id, "owner_id": user.id}).first()
    if vehicle is None:
        raise not_found("vehicle", vehicle_id)
    return vehicle


# The same read for the one-step path (api.deps.Caller): Core row, the caller's
# revocation check in the same statement.
_OWNED_ROW = accounts.OwnedQuery(
    select(Vehicle.__table__).where(Vehicle.id == bindparam("vehicle_id")), Vehicle.owner_id
)


def owned_row(conn: Connection, caller: accounts.Credentials, vehicle_id: int) -> dict:
    """:func:`owned` as a plain dict, in one statement with the caller's revocation check
    (401 when the caller is not live, 404 when the vehicle is not theirs)."""
    missing = not_found("vehicle", vehicle_id)
    return dict(_OWNED_ROW.row(conn, caller, missing, vehicle_id=vehicle_id)._mapping)


def list_vehicles(session: Session, user: User) -> list[Vehicle]:
    """The caller's vehicles, oldest first."""
    return list(
        session.scalars(select(Vehicle).where(Vehicle.owner_id == user.id).order_by(Vehicle.id))
    )


def decode_vin(vin: str) -> dict[str, Any]:
    """What a VIN says by itself, offline (obdcore.vin, the one decoder; raises parts'
    InvalidVinError -> 422)."""
    decoded = vin_codec.decode(normalize_vin(vin))
    return {
        "vin": decoded.vin,
        "wmi": decoded.wmi,
        "make": identify.wmi_make(decoded.wmi),  # spelt as the parts catalogue spells makes
        "model_years": decoded.model_years,
        "check_digit_ok": decoded.check_digit_ok,
        "plant": decoded.plant,
    }


def create(
    session: Session, user: User, fields: dict[str, Any], card: dict[str, Any] | None = None
) -> Vehicle:
    """A new vehicle of ``user`` from ``fields`` (a VIN is decoded and fills the make and
    year when not given) and optionally the confirmed card fields; linked to the catalogue
    when identified. Raises 422 (bad VIN/plate/vehicle type), 409 (plate already used)."""
    vehicle = Vehicle(owner_id=user.id, name="", created_at=now(), updated_at=now(), card=card)
    _apply(session, vehicle, fields)
    if not vehicle.name:
        vehicle.name = " ".join(x for x in (vehicle.make, vehicle.model) if x) or "my car"
    if vehicle.vehicle_type_id is None:
        _auto_link(session, user, vehicle)
    session.add(vehicle)
    _commit(session, user, vehicle)
    return vehicle


def update(session: Session, user: User, vehicle_id: int, fields: dict[str, Any]) -> Vehicle:
    """Change the given fields of the caller's vehicle (404 when not theirs)."""
    vehicle = owned(session, user, vehicle_id)
    _apply(session, vehicle, fields)
    vehicle.updated_at = now()
    _commit(session, user, vehicle)
    return vehicle


def delete(session: Session, user: User, vehicle_id: int) -> None:
    """Delete the caller's vehicle and everything recorded for it (404 when not theirs)."""
    session.delete(owned(session, user, vehicle_id))
    session.commit()


def _apply(session: Session, vehicle: Vehicle, fields: dict[str, Any]) -> None:
    fields = dict(fields)
    if fields.get("vin"):
        vehicle.vin_info = decode_vin(fields["vin"])
        fields["vin"] = vehicle.vin_info["vin"]
        fields.setdefault("make", vehicle.vin_info["make"])
        if vehicle.vin_info["model_years"] and not fields.get("year"):
            fields["year"] = vehicle.vin_info["model_years"][0]
    elif "vin" in fields:
        vehicle.vin_info = None
    if fields.get("plate"):
        fields["plate"] = normalize_plate(fields["plate"])
    type_id = fields.get("vehicle_type_id")
    if type_id is not None and session.get(VehicleType, type_id) is None:
        # 404 as for every other id in a body that names nothing (a diagnosis, a garage):
        # the request is well formed, the catalogue has no such type.
        raise ApiError(404, "unknown_vehicle_type", f"no catalogue vehicle type {type_id}")
    for name, value in fields.items():
        if name == "name" and value is None:
            continue
        setattr(vehicle, name, value)


def _commit(session: Session, user: User, vehicle: Vehicle) -> None:
    if vehicle.plate and vehicle.vehicle_type_id:
        # parts remembers it for this owner only, so the plate identifies it next time
        session.flush()
        identify.remember_plate(
            session, vehicle.plate, vehicle.vehicle_type_id, vehicle.vin, owner=owner_key(user)
        )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ApiError(409, "plate_taken", "you already have a vehicle with this plate") from None


def candidates(session: Session, user: User, vehicle: Vehicle) -> list[identify.Candidate]:
    """Catalogue candidates: from the card fields when the vehicle has them (plate known
    to this owner first), else from the VIN; empty when neither identifies anything."""
    if vehicle.plate:
        try:
            return [identify.identify_plate(session, vehicle.plate, owner=owner_key(user))]
        except NotFoundError:
            pass
    if vehicle.card:
        fields = card_fields(vehicle.card)
        if fields.d1_make or fields.d2_type or fields.d21_cnit:
            return identify.identify_card(session, fields)
    if vehicle.vin:
        return identify.identify_vin(session, vehicle.vin, owner=owner_key(user)).candidates
    return []


def _auto_link(session: Session, user: User, vehicle: Vehicle) -> None:
    found = candidates(session, user, vehicle)
    if not found or found[0].score < LINK_SCORE:
        return
    if len(found) > 1 and found[1].score >= found[0].score:
        return  # a tie: the user chooses
    vehicle.vehicle_type_id = found[0].vehicle.id


def card_fields(card: dict[str, str]) -> identify.CardFields:
    """The identifying fields of a card's texts (code -> text)."""
    return identify.CardFields(
        d1_make=card.get("D.1") or None,
        d2_type=card.get("D.2") or None,
        d21_cnit=card.get("D.2.1") or None,
        p1_cc=card.get("P.1") or None,
        p2_kw=card.get("P.2") or None,
        p3_fuel=card.get("P.3") or None,
        b_first_registration=_card_date(card.get("B")),
    )


def _card_date(text: str | None) -> str | None:
    # OCR gives ISO dates (2015-02-22); parts.identify reads the card's DD/MM/YYYY.
    if text and len(text) == 10 and text[4] == "-":
        return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"
    return text or None


def store_card_reading(session: Session, user: User, result: dict[str, Any]) -> CardReading:
    """Keep what OCR read until the user confirms it."""
    reading = CardReading(owner_id=user.id, result=result, created_at=now())
    session.add(reading)
    session.commit()
    return reading


def owned_card_reading(session: Session, user: User, reading_id: int) -> CardReading:
    """The caller's card reading (404 when not theirs)."""
    reading = session.scalars(
        select(CardReading).where(CardReading.id == reading_id, CardReading.owner_id == user.id)
    ).first()
    if reading is None:
        raise not_found("card reading", reading_id)
    return reading


def confirm_card(
    session: Session, user: User, reading_id: int, corrections: dict[str, str], name: str | None
) -> Vehicle:
    """Turn a card reading, with the user's corrections, into a vehicle (409 if done)."""
    reading = owned_card_reading(session, user, reading_id)
    if reading.vehicle_id is not None:
        raise ApiError(
            409,
            "already_confirmed",
            "this card reading already made a vehicle",
            {"vehicle_id": reading.vehicle_id},
        )
    texts = {code: str(f.get("text") or "") for code, f in reading.result["fields"].items()}
    texts.update({code: text.strip() for code, text in corrections.items()})
    vehicle = create(session, user, _fields_from_card(texts, name), card=texts)
    reading.vehicle_id = vehicle.id
    session.commit()
    return vehicle


def _fields_from_card(card: dict[str, str], name: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": name,
        "vin": card.get("E") or None,
        "plate": card.get("A") or None,
        "make": card.get("D.1") or None,
        "model": card.get("D.3") or None,
        "fuel": CARD_FUELS.get((card.get("P.3") or "").upper()),
    }
    cc = _int(card.get("P.1"))
    if cc and 50 <= cc <= 20000:
        fields["engine_litres"] = round(cc / 1000, 1)
    date = _card_date(card.get("B"))
    if date and date[-4:].isdigit() and 1950 <= int(date[-4:]) <= 2100:
        fields["year"] = int(date[-4:])
    return {k: v for k, v in fields.items() if v is not None}


def _int(text: str | None) -> int | None:
    digits = "".join(ch for ch in (text or "") if ch.isdigit())
    return int(digits) if digits and len(digits) < 7 else None
