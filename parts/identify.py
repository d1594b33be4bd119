"""Vehicle identification: from a VIN, from registration-card fields, from a known plate.

Each lookup returns candidates ranked by a score in [0, 1], each with the reasons that
made it (so the app can show "why this car"). A VIN alone rarely pins a European vehicle
type: its VDS is maker-specific and position 10 (model year) is only mandatory in North
America, so a VIN gives the make (WMI) and a possible model year; the card's D.2.1 (CNIT)
or D.2 (type) is what pins the type.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import and_, false, not_, or_, select
from sqlalchemy.orm import Session

from obdcore import vin as vin_codec
from parts.errors import InvalidInputError, NotFoundError
from parts.models import KnownVehicle, VehicleType
from parts.normalize import normalize_brand, normalize_number, normalize_plate, normalize_vin

MAX_CANDIDATES = 200

# The VIN itself (check digit, model year, maker, plant) is decoded in one place,
# obdcore.vin; the names below are kept for this package's callers.
WMI_MAKES = vin_codec.WMI_MAKES


@dataclass(frozen=True)
class VehicleSummary:
    """The public view of a vehicle type."""

    id: int
    make: str
    model: str
    variant: str
    engine_code: str
    capacity_cc: int | None
    power_kw: int | None
    fuel: str
    year_from: int
    year_to: int | None
    type_code: str
    cnit: str
    ktype: int | None

    @classmethod
    def of(cls, v: VehicleType) -> VehicleSummary:
        """Copy the columns of an ORM row."""
        return cls(
            v.id,
            v.make,
            v.model,
            v.variant,
            v.engine_code,
            v.capacity_cc,
            v.power_kw,
            v.fuel,
            v.year_from,
            v.year_to,
            v.type_code,
            v.cnit,
            v.ktype,
        )


@dataclass
class Candidate:
    """A vehicle type that may be the user's car, with a score and the reasons."""

    vehicle: VehicleSummary
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class VinInfo:
    """What a VIN says by itself, and the catalogue candidates it leads to."""

    vin: str
    wmi: str
    make: str | None
    model_years: list[int]
    check_digit_ok: bool
    candidates: list[Candidate]
    plant: str | None = None  # assembly plant when the maker's VIS code is known offline


@dataclass
class CardFields:
    """Registration-card fields used for identification (all optional, as read)."""

    d1_make: str | None = None
    d2_type: str | None = None
    d21_cnit: str | None = None
    p1_cc: str | int | None = None
    p2_kw: str | float | None = None
    p3_fuel: str | None = None
    b_first_registration: str | dt.date | None = None


def check_digit_ok(vin: str) -> bool:
    """ISO 3779 / North-American position-9 check digit; a signal only in Europe."""
    return vin_codec.check_digit_ok(vin)


def model_years(vin: str) -> list[int]:
    """Candidate model years from position 10 (30-year cycle), latest first."""
    return vin_codec.model_years(vin)


def wmi_make(wmi: str) -> str | None:
    """Normalised make for a WMI (obdcore.vin: our table first, then vininfo's)."""
    make = vin_codec.wmi_make(wmi)
    return normalize_brand(make) if make else None


def vin_plant(vin: str) -> str | None:
    """The assembly plant position 11 names, from vininfo's offline tables (None: unknown)."""
    return vin_codec.plant(vin)


def identify_vin(
    session: Session, vin: str, *, owner: str | None = None, limit: int = 10
) -> VinInfo:
    """Identify from a VIN: a VIN ``owner`` identified before first (``None``: nobody's
    remembered vehicles are consulted), else vehicle types of the WMI's make whose
    production years include a possible model year.

    Raises: InvalidVinError for a malformed VIN.
    """
    vin = normalize_vin(vin)
    make, years = wmi_make(vin[:3]), model_years(vin)
    info = VinInfo(vin, vin[:3], make, years, check_digit_ok(vin), [], vin_plant(vin))
    known = None
    if owner is not None:
        known = session.scalars(
            select(KnownVehicle).where(KnownVehicle.owner == owner, KnownVehicle.vin == vin)
        ).first()
    if known is not None:
        vehicle = session.get_one(VehicleType, known.vehicle_type_id)
        info.candidates.append(
            Candidate(
                VehicleSummary.of(vehicle), 1.0, [f"VIN already identified (plate {known.plate})"]
            )
        )
        return info
    if make is not None:
        info.candidates = _vin_candidates(session, make, vin[:3], years, limit)
    return info


def _vin_candidates(
    session: Session, make: str, wmi: str, years: list[int], limit: int
) -> list[Candidate]:
    of_make = or_(VehicleType.make_norm == make, VehicleType.make_norm.startswith(make.split()[0]))
    in_years = or_(
        false(),
        *(
            and_(
                VehicleType.year_from <= y,
                or_(VehicleType.year_to.is_(None), VehicleType.year_to >= y),
            )
            for y in years
        ),
    )
    # Types whose production covers a possible model year first, so that a make with
    # thousands of types still yields the plausible ones; then the others, up to ``limit``.
    base = select(VehicleType).order_by(VehicleType.id)
    rows = list(session.scalars(base.where(of_make, in_years).limit(MAX_CANDIDATES)))
    if len(rows) < limit:
        rows += session.scalars(base.where(of_make, not_(in_years)).limit(limit - len(rows)))
    found = []
    for v in rows:
        c = Candidate(VehicleSummary.of(v), 0.3, [f"WMI {wmi} is {make}"])
        year = next((y for y in years if v.year_from <= y <= (v.year_to or 9999)), None)
        if year is not None:
            c.score += 0.1
            c.reasons.append(
                f"position 10 may mean model year {year}, within production "
                f"{v.year_from}-{v.year_to or ''} (not mandatory in Europe)"
            )
        found.append(c)
    return _ranked(found, limit)


def _ranked(found: list[Candidate], limit: int) -> list[Candidate]:
    found.sort(key=lambda c: (-c.score, c.vehicle.id))
    return found[:limit]


def identify_card(session: Session, fields: CardFields, *, limit: int = 10) -> list[Candidate]:
    """Identify from registration-card fields; CNIT (D.2.1) and type (D.2) weigh most.

    Raises: InvalidInputError when no identifying field (D.1, D.2, D.2.1) is given or a
    number field (P.1, P.2, B) is malformed.
    """
    cnit = normalize_number(fields.d21_cnit or "")
    d2 = normalize_number(fields.d2_type or "")
    make = normalize_brand(fields.d1_make or "")
    if not (cnit or d2 or make):
        raise InvalidInputError("give at least D.1 (make), D.2 (type) or D.2.1 (CNIT)")
    cc, kw = _parse_int(fields.p1_cc, "P.1"), _parse_kw(fields.p2_kw)
    year = _parse_year(fields.b_first_registration)
    fuel = (fields.p3_fuel or "").strip().upper()
    # Exact codes first, in their own query, so that a make with many types cannot push
    # the CNIT/D.2 match out of the candidate window.
    rows: dict[int, VehicleType] = {}
    if cnit or d2:
        exact = or_(
            VehicleType.cnit == cnit if cnit else false(),
            VehicleType.type_code == d2 if d2 else false(),
        )
        query = select(VehicleType).where(exact).order_by(VehicleType.id).limit(MAX_CANDIDATES)
        rows.update((v.id, v) for v in session.scalars(query))
    if make:
        query = (
            select(VehicleType)
            .where(_make_filter(make, cc, kw))
            .order_by(VehicleType.id)
            .limit(MAX_CANDIDATES)
        )
        rows.update((v.id, v) for v in session.scalars(query) if v.id not in rows)
    found = [_score_card(v, cnit, d2, make, cc, kw, fuel, year) for v in rows.values()]
    return _ranked(found, limit)


def _make_filter(make: str, cc: int | None, kw: float | None):  # noqa: ANN202 - SQL clause
    clause = VehicleType.make_norm == make
    if cc is not None:
        clause &= VehicleType.capacity_cc.between(cc - 50, cc + 50)
    if kw is not None:
        clause &= VehicleType.power_kw.between(int(kw) - 3, int(kw) + 3)
    return clause


def _score_card(
    v: VehicleType,
    cnit: str,
    d2: str,
    make: str,
    cc: int | None,
    kw: float | None,
    fuel: str,
    year: int | None,
) -> Candidate:
    c = Candidate(VehicleSummary.of(v), 0.0)
    checks = (
        (bool(cnit) and v.cnit == cnit, 0.6, f"D.2.1 CNIT {cnit} matches"),
        (bool(d2) and v.type_code == d2, 0.5, f"D.2 type {d2} matches"),
        (bool(make) and v.make_norm == make, 0.1, f"D.1 make {make} matches"),
        (
            cc is not None and v.capacity_cc is not None and abs(v.capacity_cc - cc) <= 50,
            0.1,
            f"P.1 {cc} cm3 ~ {v.capacity_cc} cm3",
        ),
        (
            kw is not None and v.power_kw is not None and abs(v.power_kw - kw) <= 3,
            0.1,
            f"P.2 {kw:g} kW ~ {v.power_kw} kW" if kw is not None else "",
        ),
        (bool(fuel) and v.fuel == fuel, 0.05, f"P.3 fuel {fuel} matches"),
    )
    for ok, weight, reason in checks:
        if ok:
            c.score += weight
            c.reasons.append(reason)
    if year is not None:
        _score_year(c, v, year)
    c.score = round(min(1.0, max(0.0, c.score)), 3)
    return c


def _score_year(c: Candidate, v: VehicleType, year: int) -> None:
    # A first registration a year after production ended is common (stock cars).
    if v.year_from <= year <= (v.year_to or 9999) + 1:
        c.score += 0.05
        c.reasons.append(f"B {year} within production {v.year_from}-{v.year_to or ''}")
    else:
        c.score -= 0.2
        c.reasons.append(f"B {year} outside production {v.year_from}-{v.year_to or ''}")


def _parse_int(value: str | int | None, code: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    digits = re.sub(r"[\s.]", "", value)
    if not digits.isdigit():
        raise InvalidInputError(f"{code} must be a whole number, not {value[:20]!r}")
    return int(digits)


def _parse_kw(value: str | float | None) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value.strip().replace(",", "."))  # the card writes decimals with a comma
    except ValueError:
        raise InvalidInputError(f"P.2 must be a power in kW, not {value[:20]!r}") from None


def _parse_year(value: str | dt.date | None) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.year
    match = re.fullmatch(r"\s*(\d{2})[/.-](\d{2})[/.-](\d{4})\s*", value)
    if not match:
        raise InvalidInputError(f"B must be a date DD/MM/YYYY, not {value[:20]!r}")
    day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day).year
    except ValueError:
        raise InvalidInputError(f"B is not a real date: {value[:20]!r}") from None


def identify_plate(session: Session, plate: str, *, owner: str) -> Candidate:
    """The vehicle type ``owner`` remembered for a plate (another owner's plates are never
    consulted).

    Raises: InvalidPlateError (malformed), NotFoundError (plate never identified).
    """
    norm = normalize_plate(plate)
    known = _known(session, owner, norm)
    if known is None:
        raise NotFoundError(f"plate {norm} is not known yet; identify it by VIN or card first")
    vehicle = session.get_one(VehicleType, known.vehicle_type_id)
    return Candidate(VehicleSummary.of(vehicle), 1.0, [f"plate {norm} identified before"])


def remember_plate(
    session: Session, plate: str, vehicle_type_id: int, vin: str | None = None, *, owner: str
) -> None:
    """Remember (or re-point) ``owner``'s plate and optional VIN to a vehicle type; caller
    commits.

    Raises: InvalidPlateError, InvalidVinError, NotFoundError (unknown vehicle type).
    """
    norm = normalize_plate(plate)
    vin_norm = normalize_vin(vin) if vin else None
    if session.get(VehicleType, vehicle_type_id) is None:
        raise NotFoundError(f"no vehicle type with id {vehicle_type_id}")
    known = _known(session, owner, norm)
    if known is None:
        session.add(
            KnownVehicle(owner=owner, plate=norm, vin=vin_norm, vehicle_type_id=vehicle_type_id)
        )
    else:
        known.vehicle_type_id, known.vin = vehicle_type_id, vin_norm or known.vin
    session.flush()


def _known(session: Session, owner: str, plate: str) -> KnownVehicle | None:
    return session.scalars(
        select(KnownVehicle).where(KnownVehicle.owner == owner, KnownVehicle.plate == plate)
    ).first()
