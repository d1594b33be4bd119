"""The garages service: directory import, search around a position, quotes, slot search.

Bookings and their rules are in :mod:`api.garages.bookings`. Functions take an ORM
session and plain values and raise :mod:`api.garages.errors`; the routes only translate.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Integer,
    Text,
    cast,
    delete,
    func,
    select,
    update,
)
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
from api.garages.slots import Occupancy, Slot, first_candidate, first_open_day, free_slots

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


def ensure_demo_directory(engine: Engine) -> DirectoryReport | None:
    """The main job shows garages out of the box: an empty directory gets the generated
    DEMO one; a directory that holds any garage is left alone (``None``)."""
    with Session(engine) as session:
        if count_garages(session):
            return None
    return load_demo_directory(engine)


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


@dataclass(slots=True)
class GarageRow:
    """What a search needs of a garage, read without the ORM; JSON columns stay text so
    that a calendar is parsed once per distinct opening hours (see :func:`calendar_of`)."""

    id: int
    name: str
    postcode: str
    latitude: float
    longitude: float
    bays: int
    hours: str
    open_on_public_holidays: bool
    closed_dates: str
    labour_rate_cents: int
    vat_bp: int
    makes: str
    booking_notice_hours: int
    booking_lock: int


_ROW_COLUMNS = (
    Garage.id, Garage.name, Garage.postcode, Garage.latitude, Garage.longitude, Garage.bays,
    cast(Garage.hours, Text), Garage.open_on_public_holidays,
    cast(Garage.closed_dates, Text), Garage.labour_rate_cents, Garage.vat_bp,
    cast(Garage.makes, Text), Garage.booking_notice_hours, Garage.booking_lock,
)  # fmt: skip


@dataclass
class NearbyGarage:
    """A garage of a search, its distance, and the services of the search it offers
    (code -> its own minutes or None)."""

    garage: GarageRow
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

    One indexed bounding-box query (services filtered in SQL), one query for the minutes of
    those services, exact distances in Python. Raises: InvalidInputError (position, radius).
    """
    geo.check_position(latitude, longitude)
    geo.check_radius(radius_km)
    wanted = sorted(set(services))
    lat0, lat1, lon0, lon1 = geo.bounding_box(latitude, longitude, radius_km)
    query = select(*_ROW_COLUMNS).where(
        Garage.latitude.between(lat0, lat1), Garage.longitude.between(lon0, lon1)
    )
    for code in wanted:
        query = query.where(
            Garage.id.in_(select(GarageService.garage_id).where(GarageService.code == code))
        )
    near = []
    for row in session.execute(query):
        garage = GarageRow(*row)
        d = geo.distance_km(latitude, longitude, garage.latitude, garage.longitude)
        if d <= radius_km and _works_on(garage.makes, make):
            near.append(NearbyGarage(garage, round(d, 3), {}))
    if wanted:
        offered = services_of(session, [n.garage.id for n in near], wanted)
        for n in near:
            n.services = offered.get(n.garage.id, {})
    near.sort(key=lambda n: (n.distance_km, n.garage.id))
    return near


def _works_on(makes_json: str, make: str | None) -> bool:
    if not make:
        return True
    makes = _makes(makes_json)
    return not makes or make.casefold() in makes


@lru_cache(maxsize=1024)
def _makes(makes_json: str) -> frozenset[str]:
    return frozenset(m.casefold() for m in json.loads(makes_json or "[]"))


def garage_views(
    session: Session, garage_ids: Sequence[int]
) -> dict[int, tuple[Garage, dict[str, int | None]]]:
    """The full garages (ORM) and every service they offer, for the ones shown."""
    garages = {g.id: g for g in session.scalars(select(Garage).where(Garage.id.in_(garage_ids)))}
    offered = services_of(session, list(garages))
    return {gid: (g, offered.get(gid, {})) for gid, g in garages.items()}


def services_of(
    session: Session, garage_ids: Sequence[int], codes: Sequence[str] | None = None
) -> dict[int, dict[str, int | None]]:
    """Services offered per garage id (only ``codes`` when given):
    ``{garage_id: {code: minutes or None}}``."""
    result: dict[int, dict[str, int | None]] = {}
    for chunk in _chunks(garage_ids, 900):  # SQLite's bound-parameter limit
        query = select(GarageService.garage_id, GarageService.code, GarageService.minutes).where(
            GarageService.garage_id.in_(chunk)
        )
        if codes is not None:
            query = query.where(GarageService.code.in_(codes))
        rows = session.execute(query)
        for garage_id, code, minutes in rows:
            result.setdefault(garage_id, {})[code] = minutes
    return result


def _chunks(values: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def get_garage(session: Session, garage_id: int) -> Garage:
    """The garage of ``garage_id``. Raises: NotFoundError."""
    garage = session.get(Garage, garage_id)
    if garage is None:
        raise NotFoundError(f"garage {garage_id} not found")
    return garage


def calendar_of(garage: Garage | GarageRow) -> OpeningCalendar:
    """The opening calendar of a garage (parsed once per distinct hours and dates: the
    calendar is immutable data, so a per-process cache is safe with several workers)."""
    hours, closed = garage.hours, garage.closed_dates
    return _calendar(
        hours if isinstance(hours, str) else json.dumps(hours),
        holiday_subdivision(garage.postcode),
        bool(garage.open_on_public_holidays),
        closed if isinstance(closed, str) else json.dumps(closed or []),
    )


@lru_cache(maxsize=4096)
def _calendar(
    hours: str, subdivision: str | None, on_holidays: bool, closed: str
) -> OpeningCalendar:
    return OpeningCalendar(
        WeeklyHours.from_json(json.loads(hours)),
        subdivision,
        on_holidays,
        frozenset(dt.date.fromisoformat(d) for d in json.loads(closed or "[]")),
    )


def terms_of(garage: Garage | GarageRow, services: dict[str, int | None]) -> GarageTerms:
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
    garage: Garage | GarageRow,
    services: dict[str, int | None],
    items: Sequence[WorkItem],
    candidates: dict[str, list[PartChoice]],
    brands: dict[str, str] | None = None,
    *,
    fingerprinted: bool = True,
) -> Quote:
    """One garage's quote for ``items`` (``fingerprinted=False``: without the fingerprint,
    for listings). Raises: ServiceNotOfferedError, InvalidInputError."""
    return build_quote(terms_of(garage, services), items, candidates, brands,
                       fingerprinted=fingerprinted)  # fmt: skip


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
) -> dict[int, list[tuple[int, int]]]:  # fmt: skip
    """Active bookings overlapping ``[start, end)``, per garage, as ``(start, end)`` UTC
    seconds: read as integers by the database (no datetime parsing for thousands of rows).
    """
    start_s, end_s = _epoch_seconds(session)
    result: dict[int, list[tuple[int, int]]] = {}
    for chunk in _chunks(garage_ids, 900):
        query = select(Booking.garage_id, start_s, end_s).where(
            Booking.garage_id.in_(chunk),
            Booking.status.in_(ACTIVE_STATES),
            Booking.start_at < end,
            Booking.end_at > start,
        )
        if exclude is not None:
            query = query.where(Booking.id != exclude)
        for garage_id, s, e in session.execute(query):
            result.setdefault(garage_id, []).append((s, e))
    return result


class OccupancyCache:
    """Per-process cache of each garage's active bookings, for slot *searches* only.

    An entry is valid while the garage's ``booking_lock`` (bumped in the same transaction
    as every booking, reschedule, cancellation, decline and completion) is the one the
    search read with the garage row, and it covers the window asked for. A stale entry can
    only make a search show a slot that was just taken; the booking itself always counts
    the bookings afresh under the garage's lock, so this never lets a double booking in.
    Safe with several workers: each validates against the database's version.
    """

    def __init__(self, max_garages: int = 20_000) -> None:
        self._entries: OrderedDict[tuple[str, int], tuple[int, int, Occupancy]] = OrderedDict()
        self._max = max_garages
        self._lock = threading.Lock()
        self.enabled = True

    def bookings(
        self, session: Session, garages: Sequence[GarageRow], now: dt.datetime, end: dt.datetime
    ) -> dict[int, Occupancy]:
        """The occupancy per garage by the active bookings overlapping ``[now, end)`` (older
        ones may be included: they overlap nothing asked for)."""
        end_s = int(end.timestamp())
        database = str(session.get_bind().url)  # ids are per database
        found, missing = {}, []
        with self._lock:
            for g in garages:
                entry = self._entries.get((database, g.id)) if self.enabled else None
                if entry is not None and entry[0] == g.booking_lock and entry[1] >= end_s:
                    found[g.id] = entry[2]
                    self._entries.move_to_end((database, g.id))
                else:
                    missing.append(g)
        if missing:
            loaded = active_bookings(session, [g.id for g in missing], now, end)
            with self._lock:
                for g in missing:
                    found[g.id] = Occupancy(loaded.get(g.id, ()))
                    self._entries[(database, g.id)] = (g.booking_lock, end_s, found[g.id])
                    self._entries.move_to_end((database, g.id))
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
        return found

    def clear(self) -> None:
        """Forget everything (benchmarks measure the cold path with it)."""
        with self._lock:
            self._entries.clear()


OCCUPANCY_CACHE = OccupancyCache()


def _epoch_seconds(session: Session):  # noqa: ANN202 - two SQL expressions
    """Booking start and end as integer UTC seconds, in this database's SQL (SQLite keeps
    the UTC wall-clock text that SQLAlchemy wrote; PostgreSQL a timestamptz)."""
    if session.get_bind().dialect.name == "postgresql":
        return (cast(func.extract("epoch", Booking.start_at), BigInteger),
                cast(func.extract("epoch", Booking.end_at), BigInteger))  # fmt: skip
    return (cast(func.strftime("%s", Booking.start_at), Integer),
            cast(func.strftime("%s", Booking.end_at), Integer))  # fmt: skip


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
    limit: int = 20,
    brands: dict[str, str] | None = None,
) -> list[GarageSlots]:
    """The best ``limit`` garages of ``nearby`` for the work, each with its quote (without
    fingerprint: a booking asks for the garage's own quote) and its first ``per_garage``
    free slots over ``days`` days, sorted by ``distance``, ``price`` (total incl. VAT) or
    ``earliest`` slot; garages without a free slot in the period are left out.

    Top-k, not sort-everything: by distance or price, garages are taken in that order until
    ``limit`` have a slot; by earliest slot, the first slot of every garage is searched over
    growing horizons (1, 2, 4, 8 days, then ``days``), stopping at the first horizon where
    ``limit`` garages have one (no garage without a slot in it can rank before them).
    Raises: InvalidInputError (sort, per_garage, limit).
    """
    if sort not in SORTS:
        raise InvalidInputError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    if not 1 <= per_garage <= 50 or not 1 <= limit <= 500:
        raise InvalidInputError("per_garage must be 1..50 and limit 1..500")
    quotes = _listing_quotes(nearby, items, candidates, brands)
    offering = [n for n in nearby if n.garage.id in quotes]
    if sort == "earliest":
        offering = _earliest_first(session, offering, quotes, now, days, limit)
    else:
        key = (
            (lambda n: (n.distance_km, n.garage.id))
            if sort == "distance"
            else (lambda n: (quotes[n.garage.id].total_incl_vat_cents, n.distance_km, n.garage.id))
        )
        offering.sort(key=key)
    minutes = {gid: q.minutes for gid, q in quotes.items()}
    found: list[GarageSlots] = []
    for batch in _chunks(offering, 2 * limit):
        slots = _slots_growing(session, batch, minutes, now, days, per_garage)
        found.extend(GarageSlots(n, quotes[n.garage.id], slots[n.garage.id])
                     for n in batch if slots[n.garage.id])  # fmt: skip
        if len(found) >= limit:
            break
    return found[:limit]


def _first_open_days(
    garages: Sequence[NearbyGarage], minutes: dict[int, int], now: dt.datetime, days: int
) -> dict[int, int | None]:
    """Per garage, the first day its opening hours fit the job (see ``first_open_day``)."""
    return {
        n.garage.id: first_open_day(
            calendar_of(n.garage), max(1, minutes[n.garage.id]), now=now, days=days,
            min_notice=dt.timedelta(hours=n.garage.booking_notice_hours),
        )
        for n in garages
    }  # fmt: skip


def _horizons(days: int) -> list[int]:
    return sorted({min(h, days) for h in (1, 2, 4, 8, days)})


def _slots_growing(
    session: Session, garages: Sequence[NearbyGarage], minutes: dict[int, int],
    now: dt.datetime, days: int, per_garage: int,
) -> dict[int, list[Slot]]:  # fmt: skip
    """The first ``per_garage`` free slots of each garage over ``days`` days, reading the
    bookings over growing horizons, each time only for the garages still short of slots
    (most find theirs in the first days: a fraction of the period's bookings is read)."""
    result: dict[int, list[Slot]] = {n.garage.id: [] for n in garages}
    opens = _first_open_days(garages, minutes, now, days)
    pending = [n for n in garages if opens[n.garage.id] is not None]
    for horizon in _horizons(days):
        ready = [n for n in pending if opens[n.garage.id] < horizon]
        still = [n for n in pending if opens[n.garage.id] >= horizon]
        bookings = OCCUPANCY_CACHE.bookings(session, [n.garage for n in ready], now,
                                            _paris_midnight_after(now, horizon))  # fmt: skip
        for n in ready:
            slots = _first_slots(n.garage, minutes[n.garage.id], bookings[n.garage.id], now,
                                 horizon, per_garage)  # fmt: skip
            if len(slots) >= per_garage or horizon == days:
                result[n.garage.id] = slots
            else:
                still.append(n)
        pending = still
        if not pending:
            break
    return result


def _listing_quotes(
    nearby: list[NearbyGarage], items: Sequence[WorkItem],
    candidates: dict[str, list[PartChoice]], brands: dict[str, str] | None,
) -> dict[int, Quote]:  # fmt: skip
    """The quote of every garage offering the work, for a listing (totals and minutes):
    garages with the same terms (rate, VAT, own minutes) share one computation and one
    object, so its ``garage_id`` is the first such garage's."""
    needed = required_services(items)
    by_terms: dict[tuple, Quote] = {}
    quotes = {}
    for n in nearby:
        if not needed <= n.services.keys():
            continue
        g = n.garage
        key = (g.labour_rate_cents, g.vat_bp, tuple(sorted(n.services.items())))
        if key not in by_terms:
            by_terms[key] = quote_at(g, n.services, items, candidates, brands,
                                     fingerprinted=False)  # fmt: skip
        quotes[g.id] = by_terms[key]
    return quotes


def _earliest_first(
    session: Session, offering: list[NearbyGarage], quotes: dict[int, Quote],
    now: dt.datetime, days: int, limit: int,
) -> list[NearbyGarage]:  # fmt: skip
    """The ``limit`` garages with the earliest free slot (then nearest), without computing
    every garage's: garages are examined in order of their first *possible* start (opening
    hours only, which no free slot can precede), in batches, and the search stops once the
    ``limit``-th best free slot found is no later than the next garage's first possible
    start (a threshold algorithm): usually after a few dozen garages."""
    minutes = {gid: q.minutes for gid, q in quotes.items()}
    order = []
    for n in offering:
        first = first_candidate(
            calendar_of(n.garage),
            max(1, minutes[n.garage.id]),
            now=now,
            days=days,
            min_notice=dt.timedelta(hours=n.garage.booking_notice_hours),
        )
        if first is not None:
            order.append((first[1], n.distance_km, n.garage.id, n))
    order.sort(key=lambda o: o[:3])
    ranked: list[tuple[dt.datetime, float, int, NearbyGarage]] = []
    done = 0
    while done < len(order):
        batch = [o[3] for o in order[done : done + 2 * limit]]
        done += len(batch)
        firsts = _slots_growing(session, batch, minutes, now, days, 1)
        ranked.extend((firsts[n.garage.id][0].start, n.distance_km, n.garage.id, n)
                      for n in batch if firsts[n.garage.id])  # fmt: skip
        ranked.sort(key=lambda r: r[:3])
        if len(ranked) >= limit and (
            done == len(order) or ranked[limit - 1][:3] <= order[done][:3]
        ):
            break
    return [r[3] for r in ranked[:limit]]


def _paris_midnight_after(now: dt.datetime, days: int) -> dt.datetime:
    """Midnight (Paris) at the end of the ``days``-th Paris day from ``now``, in UTC."""
    from api.garages.hours import PARIS, UTC, paris_date

    last = paris_date(now) + dt.timedelta(days=days)
    return dt.datetime.combine(last, dt.time(0)).replace(tzinfo=PARIS).astimezone(UTC)


def _first_slots(
    garage: Garage | GarageRow, minutes: int, bookings: list | Occupancy, now: dt.datetime,
    days: int,
    limit: int,
) -> list[Slot]:  # fmt: skip
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


def require_services(
    garage: Garage | GarageRow, offered: dict[str, int | None], items: Iterable[WorkItem]
):
    """Raises ServiceNotOfferedError naming the first service of ``items`` not offered."""
    for code in sorted(required_services(items)):
        if code not in offered:
            raise ServiceNotOfferedError(
                f"garage {garage.id} ({garage.name}) does not offer {code!r}",
                {"garage_id": garage.id, "service": code, "offered": sorted(offered)},
            )
