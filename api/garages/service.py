"""The garages service: directory import, search around a position, quotes, slot search.

Bookings and their rules are in :mod:`api.garages.bookings`. Functions take an ORM
session and plain values and raise :mod:`api.garages.errors`; the routes only translate.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.orm import Session

from api.garages import geo
from api.garages.directory import DirectoryReport, GarageRecord, parse_directory
from api.garages.errors import (
    GarageError,
    ImportFailedError,
    InvalidInputError,
    NotFoundError,
    ServiceNotOfferedError,
    UnknownPostcodeError,
)
from api.garages.hours import OpeningCalendar, WeeklyHours, holiday_subdivision
from api.garages.models import ACTIVE_STATES, Booking, Garage, GarageService
from api.garages.quotes import (
    GarageTerms,
    PartChoice,
    Quote,
    WorkItem,
    build_quote,
    required_services,
)
from api.garages.slots import Slot, free_slots

PARTS_PER_TYPE = 5
SORTS = ("distance", "price", "earliest")


# ------------------------------------------------------------------------------ directory


def import_directory(
    engine: Engine, stream: io.TextIOBase, *, strict: bool = False, max_rejects: int | None = None
) -> DirectoryReport:
    """Import a garage directory CSV in ONE transaction (upsert by ``ref``).

    Bad rows are rejected with their line numbers and the import goes on; it is rolled back
    (directory exactly as before) when ``strict`` and a row is rejected, when more than
    ``max_rejects`` rows are, or on any database error.
    Raises: ImportFailedError (with ``report``).
    """
    report = DirectoryReport()
    try:
        with engine.begin() as conn:
            for record in parse_directory(stream, report):
                _check_limits(report, strict, max_rejects)
                _upsert(conn, record, report)
            _check_limits(report, strict, max_rejects)
    except GarageError:
        raise
    except Exception as exc:  # the transaction is rolled back by begin()
        raise ImportFailedError(
            f"directory import stopped and was rolled back: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200] if str(exc) else ''}",
            report,
        ) from exc
    report.committed = True
    return report


def _check_limits(report: DirectoryReport, strict: bool, max_rejects: int | None) -> None:
    if strict and report.rejected:
        line, reason = report.rejected[0]
        raise ImportFailedError(f"strict import: line {line} rejected ({reason}); rolled back",
                                report)  # fmt: skip
    if max_rejects is not None and len(report.rejected) > max_rejects:
        raise ImportFailedError(f"more than {max_rejects} rejected rows; rolled back", report)


def _upsert(conn: Connection, record: GarageRecord, report: DirectoryReport) -> None:
    values = {
        "ref": record.ref,
        "name": record.name,
        "address": record.address,
        "postcode": record.postcode,
        "city": record.city,
        "latitude": record.latitude,
        "longitude": record.longitude,
        "bays": record.bays,
        "hours": record.hours.to_json(),
        "open_on_public_holidays": record.open_on_public_holidays,
        "closed_dates": [d.isoformat() for d in record.closed_dates],
        "labour_rate_cents": record.labour_rate_cents,
        "makes": list(record.makes),
        "cancel_notice_hours": record.cancel_notice_hours,
        "booking_notice_hours": record.booking_notice_hours,
        "phone": record.phone,
        "demo": record.demo,
    }
    garage_id = conn.scalar(select(Garage.id).where(Garage.ref == record.ref))
    if garage_id is None:
        garage_id = conn.execute(
            Garage.__table__.insert().values(vat_bp=2000, booking_lock=0, **values)
        ).inserted_primary_key[0]
        report.created += 1
    else:
        conn.execute(update(Garage).where(Garage.id == garage_id).values(**values))
        conn.execute(delete(GarageService).where(GarageService.garage_id == garage_id))
        report.updated += 1
    conn.execute(
        GarageService.__table__.insert(),
        [{"garage_id": garage_id, "code": c, "minutes": m} for c, m in record.services.items()],
    )


def load_demo_directory(engine: Engine) -> DirectoryReport:
    """Import the generated DEMO directory (idempotent: upserts by ref)."""
    from api.garages.demo import demo_csv

    return import_directory(engine, io.StringIO(demo_csv()), strict=True)


def count_garages(session: Session) -> int:
    """Number of garages in the directory."""
    return session.scalar(select(func.count()).select_from(Garage)) or 0


# ------------------------------------------------------------------------------ positions


def resolve_position(
    session: Session, latitude: float | None, longitude: float | None, postcode: str | None
) -> tuple[float, float]:
    """The search centre: the position given, else the postcode's (bundled table, then the
    mean position of the directory's garages there).

    Raises: InvalidInputError (neither or a half position), UnknownPostcodeError.
    """
    if latitude is not None and longitude is not None:
        geo.check_position(latitude, longitude)
        return latitude, longitude
    if postcode is None or latitude is not None or longitude is not None:
        raise InvalidInputError("give latitude and longitude, or a postcode")
    code = geo.check_postcode(postcode)
    known = geo.postcode_table().get(code)
    if known is not None:
        return known[1], known[2]
    lat, lon = session.execute(
        select(func.avg(Garage.latitude), func.avg(Garage.longitude)).where(Garage.postcode == code)
    ).one()
    if lat is None:
        raise UnknownPostcodeError(f"no position known for postcode {code}")
    return float(lat), float(lon)


@dataclass
class NearbyGarage:
    """A garage of a search, its distance and what it offers."""

    garage: Garage
    distance_km: float
    services: dict[str, int | None]


def garages_near(
    session: Session,
    latitude: float,
    longitude: float,
    radius_km: float,
    *,
    services: Iterable[str] = (),
    make: str | None = None,
) -> list[NearbyGarage]:
    """Garages within ``radius_km`` (great circle), nearest first, offering every service
    of ``services`` and working on ``make`` (when given).

    One indexed bounding-box query, one query for their services, exact distances in Python.
    Raises: InvalidInputError (position, radius).
    """
    geo.check_position(latitude, longitude)
    geo.check_radius(radius_km)
    lat0, lat1, lon0, lon1 = geo.bounding_box(latitude, longitude, radius_km)
    garages = session.scalars(
        select(Garage).where(
            Garage.latitude.between(lat0, lat1), Garage.longitude.between(lon0, lon1)
        )  # fmt: skip
    ).all()
    near = []
    for garage in garages:
        d = geo.distance_km(latitude, longitude, garage.latitude, garage.longitude)
        if d <= radius_km and _works_on(garage, make):
            near.append((garage, d))
    offered = services_of(session, [g.id for g, _ in near])
    wanted = set(services)
    found = [
        NearbyGarage(g, round(d, 3), offered.get(g.id, {}))
        for g, d in near
        if wanted <= offered.get(g.id, {}).keys()
    ]
    found.sort(key=lambda n: (n.distance_km, n.garage.id))
    return found


def _works_on(garage: Garage, make: str | None) -> bool:
    return not make or not garage.makes or make.casefold() in {m.casefold() for m in garage.makes}


def services_of(session: Session, garage_ids: Sequence[int]) -> dict[int, dict[str, int | None]]:
    """Services offered per garage id: ``{garage_id: {code: minutes or None}}``."""
    result: dict[int, dict[str, int | None]] = {}
    for chunk in _chunks(garage_ids, 900):  # SQLite's bound-parameter limit
        rows = session.execute(
            select(GarageService.garage_id, GarageService.code, GarageService.minutes).where(
                GarageService.garage_id.in_(chunk)
            )
        )
        for garage_id, code, minutes in rows:
            result.setdefault(garage_id, {})[code] = minutes
    return result


def _chunks(values: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def get_garage(session: Session, garage_id: int) -> Garage:
    """The garage of ``garage_id``. Raises: NotFoundError."""
    garage = session.get(Garage, garage_id)
    if garage is None:
        raise NotFoundError(f"garage {garage_id} not found")
    return garage


def calendar_of(garage: Garage) -> OpeningCalendar:
    """The opening calendar of a garage (parsed once per distinct hours and dates)."""
    return _calendar(
        json.dumps(garage.hours, sort_keys=True),
        holiday_subdivision(garage.postcode),
        bool(garage.open_on_public_holidays),
        tuple(garage.closed_dates or ()),
    )


@lru_cache(maxsize=4096)
def _calendar(
    hours: str, subdivision: str | None, on_holidays: bool, closed: tuple[str, ...]
) -> OpeningCalendar:
    return OpeningCalendar(
        WeeklyHours.from_json(json.loads(hours)),
        subdivision,
        on_holidays,
        frozenset(dt.date.fromisoformat(d) for d in closed),
    )


def terms_of(garage: Garage, services: dict[str, int | None]) -> GarageTerms:
    """The quote terms of a garage."""
    return GarageTerms(garage.id, garage.labour_rate_cents, services, garage.vat_bp)


# -------------------------------------------------------------------------------- quotes


def part_candidates(
    session: Session, vehicle_type_id: int | None, year: int | None, items: Iterable[WorkItem]
) -> dict[str, list[PartChoice]]:
    """The catalogue's fitting parts with a EUR price, best first, per part type of
    ``items`` (none when the vehicle is not linked to a catalogue vehicle type)."""
    from parts.search import search_by_vehicle

    types = sorted({i.part_type for i in items if i.part_type})
    if vehicle_type_id is None or not types:
        return {}
    result: dict[str, list[PartChoice]] = {}
    for part_type in types:
        page = search_by_vehicle(session, vehicle_type_id, part_type, year=year, per_page=20)
        choices = []
        for hit in page.items:
            offer = next((o for o in hit.offers if o.currency == "EUR"), None)
            if offer is not None:
                choices.append(PartChoice(hit.part_id, hit.brand, hit.article_number,
                                          hit.name, offer.supplier, offer.price_minor,
                                          offer.in_stock))  # fmt: skip
        result[part_type] = choices[:PARTS_PER_TYPE]
    return result


def quote_at(
    garage: Garage,
    services: dict[str, int | None],
    items: Sequence[WorkItem],
    candidates: dict[str, list[PartChoice]],
    brands: dict[str, str] | None = None,
) -> Quote:
    """One garage's quote for ``items``. Raises: ServiceNotOfferedError, InvalidInputError."""
    return build_quote(terms_of(garage, services), items, candidates, brands)


# --------------------------------------------------------------------------------- slots


@dataclass
class GarageSlots:
    """A garage of a slot search: distance, its quote for the job, its first free slots."""

    nearby: NearbyGarage
    quote: Quote
    slots: list[Slot]


def active_bookings(
    session: Session, garage_ids: Sequence[int], start: dt.datetime, end: dt.datetime,
    exclude: int | None = None,
) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:  # fmt: skip
    """Active bookings (``[start, end)`` UTC) per garage overlapping the window."""
    result: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for chunk in _chunks(garage_ids, 900):
        query = select(Booking.garage_id, Booking.start_at, Booking.end_at).where(
            Booking.garage_id.in_(chunk),
            Booking.status.in_(ACTIVE_STATES),
            Booking.start_at < end,
            Booking.end_at > start,
        )
        if exclude is not None:
            query = query.where(Booking.id != exclude)
        for garage_id, s, e in session.execute(query):
            result.setdefault(garage_id, []).append((aware(s), aware(e)))
    return result


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back even for timezone=True columns: they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def search_slots(
    session: Session,
    nearby: list[NearbyGarage],
    items: Sequence[WorkItem],
    candidates: dict[str, list[PartChoice]],
    *,
    now: dt.datetime,
    days: int = 14,
    per_garage: int = 3,
    sort: str = "earliest",
    brands: dict[str, str] | None = None,
) -> list[GarageSlots]:
    """For each nearby garage offering the work: its quote and its first ``per_garage`` free
    slots over ``days`` days, sorted by ``distance``, ``price`` (total incl. VAT) or
    ``earliest`` slot; garages without a free slot are left out.

    Raises: InvalidInputError (sort, days, per_garage).
    """
    if sort not in SORTS:
        raise InvalidInputError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    if not 1 <= per_garage <= 50:
        raise InvalidInputError(f"per_garage must be 1..50, not {per_garage}")
    needed = required_services(items)
    offering = [n for n in nearby if needed <= n.services.keys()]
    window_end = now + dt.timedelta(days=days + 1)
    bookings = active_bookings(session, [n.garage.id for n in offering], now, window_end)
    found = []
    for n in offering:
        quote = quote_at(n.garage, n.services, items, candidates, brands)
        slots = _first_slots(n.garage, quote.minutes, bookings.get(n.garage.id, []),
                             now, days, per_garage)  # fmt: skip
        if slots:
            found.append(GarageSlots(n, quote, slots))
    keys = {
        "distance": lambda g: (g.nearby.distance_km, g.nearby.garage.id),
        "price": lambda g: (g.quote.total_incl_vat_cents, g.nearby.distance_km),
        "earliest": lambda g: (g.slots[0].start, g.nearby.distance_km),
    }
    found.sort(key=keys[sort])
    return found


def _first_slots(
    garage: Garage, minutes: int, bookings: list, now: dt.datetime, days: int, limit: int
) -> list[Slot]:
    slots = []
    notice = dt.timedelta(hours=garage.booking_notice_hours)
    for slot in free_slots(calendar_of(garage), garage.bays, bookings, max(1, minutes),
                           now=now, days=days, min_notice=notice):  # fmt: skip
        slots.append(slot)
        if len(slots) >= limit:
            break
    return slots


def garage_slots(
    session: Session, garage: Garage, minutes: int, *, now: dt.datetime, days: int = 14,
    limit: int = 200,
) -> list[Slot]:  # fmt: skip
    """Every free slot (up to ``limit``) of one garage for a job of ``minutes``."""
    bookings = active_bookings(session, [garage.id], now, now + dt.timedelta(days=days + 1))
    return _first_slots(garage, minutes, bookings.get(garage.id, []), now, days, limit)


def require_services(garage: Garage, offered: dict[str, int | None], items: Iterable[WorkItem]):
    """Raises ServiceNotOfferedError naming the first service of ``items`` not offered."""
    for code in sorted(required_services(items)):
        if code not in offered:
            raise ServiceNotOfferedError(
                f"garage {garage.id} ({garage.name}) does not offer {code!r}",
                {"garage_id": garage.id, "service": code, "offered": sorted(offered)},
            )
