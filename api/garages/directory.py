"""The garage directory's CSV format: rows in, checked :class:`GarageRecord` s out.

Same rigour as the parts importers: a header line is required, the delimiter (``,`` or
``;``) is guessed from it, every bad row is rejected with its line number and the reason,
a ``ref`` that appears twice is a "duplicate of line N" (first one wins). Writing the
records is :func:`api.garages.service.import_directory`, in one transaction.

Columns (required first): ``ref, name, address, postcode, city, latitude, longitude, bays,
hours, services, labour_rate``; optional ``makes`` (``|``-separated, empty or ``*``: all),
``open_on_public_holidays`` (0/1), ``closed_dates`` (``2026-08-03..2026-08-21|2026-12-24``),
``cancel_notice_hours`` (default 24), ``booking_notice_hours`` (default 2), ``phone``,
``demo`` (0/1). ``hours`` is the text form of :mod:`api.garages.hours`; ``services`` is
``diagnosis|brake_pads=75|engine_repair`` (a code, optionally ``=minutes`` of its own);
``labour_rate`` is euros per hour before VAT (``65`` / ``65.50`` / ``65,50``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from api.garages.errors import GarageError, ImportFailedError
from api.garages.geo import check_position, check_postcode
from api.garages.hours import WeeklyHours
from api.garages.services import SERVICES

REQUIRED = (
    "ref", "name", "address", "postcode", "city", "latitude", "longitude", "bays", "hours",
    "services", "labour_rate",
)  # fmt: skip
OPTIONAL = (
    "makes", "open_on_public_holidays", "closed_dates", "cancel_notice_hours",
    "booking_notice_hours", "phone", "demo",
)  # fmt: skip
_RATE = re.compile(r"^(\d{1,4})(?:[.,](\d{1,2}))?$")
MAX_CLOSED_DAYS = 400


class RowError(ValueError):
    """One row is unusable; the message is the reason shown to the user."""


@dataclass(frozen=True)
class GarageRecord:
    """One checked directory row."""

    ref: str
    name: str
    address: str
    postcode: str
    city: str
    latitude: float
    longitude: float
    bays: int
    hours: WeeklyHours
    services: dict[str, int | None]
    labour_rate_cents: int
    makes: tuple[str, ...] = ()
    open_on_public_holidays: bool = False
    closed_dates: tuple[dt.date, ...] = ()
    cancel_notice_hours: int = 24
    booking_notice_hours: int = 2
    phone: str = ""
    demo: bool = False
    line: int = 0


@dataclass
class DirectoryReport:
    """The outcome of an import: rows read, written, rejected (line, reason)."""

    rows_read: int = 0
    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    committed: bool = False


def parse_directory(stream: io.TextIOBase, report: DirectoryReport) -> Iterator[GarageRecord]:
    """Yield the good rows of a directory CSV, recording bad ones in ``report.rejected``.

    Raises: ImportFailedError when the header lacks a required column (nothing is read).
    """
    header_line = stream.readline()
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    header = [h.strip().lower() for h in next(csv.reader([header_line], delimiter=delimiter))]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportFailedError(f"the header lacks the column(s) {', '.join(missing)}", report)
    index = {name: i for i, name in enumerate(header)}
    seen: dict[str, int] = {}
    reader = csv.reader(stream, delimiter=delimiter)
    line = 1
    for row in reader:
        start, line = line + 1, 1 + reader.line_num  # header was line 1
        if not any(cell.strip() for cell in row):
            continue
        report.rows_read += 1
        try:
            record = parse_row(row, index, start)
            if record.ref in seen:
                raise RowError(f"duplicate of line {seen[record.ref]} (ref {record.ref})")
        except (RowError, GarageError) as exc:
            report.rejected.append((start, str(exc)))
            continue
        seen[record.ref] = start
        yield record


def parse_row(row: list[str], index: dict[str, int], line: int) -> GarageRecord:
    """Check one row. Raises: RowError or a GarageError with the reason."""
    if len(row) != len(index):
        raise RowError(f"{len(row)} fields where the header has {len(index)}")

    def get(name: str) -> str:
        return row[index[name]].strip() if name in index else ""

    latitude, longitude = _float(get("latitude"), "latitude"), _float(get("longitude"), "longitude")
    check_position(latitude, longitude)
    return GarageRecord(
        ref=_text(get("ref"), "ref", 40),
        name=_text(get("name"), "name", 120),
        address=_text(get("address"), "address", 200),
        postcode=check_postcode(get("postcode")),
        city=_text(get("city"), "city", 80),
        latitude=latitude,
        longitude=longitude,
        bays=_int(get("bays"), "bays", 1, 50, None),
        hours=WeeklyHours.parse(_text(get("hours"), "hours", 300)),
        services=parse_services(get("services")),
        labour_rate_cents=parse_rate(get("labour_rate")),
        makes=_makes(get("makes")),
        open_on_public_holidays=_flag(get("open_on_public_holidays"), "open_on_public_holidays"),
        closed_dates=parse_closed_dates(get("closed_dates")),
        cancel_notice_hours=_int(get("cancel_notice_hours"), "cancel_notice_hours", 0, 720, 24),
        booking_notice_hours=_int(get("booking_notice_hours"), "booking_notice_hours", 0, 720, 2),
        phone=_text(get("phone"), "phone", 30, required=False),
        demo=_flag(get("demo"), "demo"),
        line=line,
    )


def _text(value: str, name: str, limit: int, required: bool = True) -> str:
    if required and not value:
        raise RowError(f"{name} is empty")
    if len(value) > limit:
        raise RowError(f"{name} is longer than {limit} characters")
    return value


def _float(value: str, name: str) -> float:
    try:
        return float(value.replace(",", "."))
    except ValueError:
        raise RowError(f"{name} {value[:20]!r} is not a number") from None


def _int(value: str, name: str, lo: int, hi: int, default: int | None) -> int:
    if not value and default is not None:
        return default
    if not (value.isascii() and value.isdigit()):
        raise RowError(f"{name} {value[:20]!r} is not a whole number")
    number = int(value)
    if not lo <= number <= hi:
        raise RowError(f"{name} {number} is outside {lo}..{hi}")
    return number


def _flag(value: str, name: str) -> bool:
    if value.lower() in ("", "0", "false", "no"):
        return False
    if value.lower() in ("1", "true", "yes"):
        return True
    raise RowError(f"{name} {value[:10]!r} is not 0/1")


def _makes(value: str) -> tuple[str, ...]:
    if value in ("", "*"):
        return ()
    makes = tuple(sorted({m.strip() for m in value.split("|") if m.strip()}))
    if any(len(m) > 40 for m in makes):
        raise RowError("a make is longer than 40 characters")
    return makes


def parse_rate(value: str) -> int:
    """``"65"`` / ``"65.5"`` / ``"65,50"`` euros per hour -> 6550 cents. Raises: RowError."""
    match = _RATE.fullmatch(value.strip())
    if not match:
        raise RowError(f"labour_rate {value[:20]!r} is not an amount like 65.50")
    cents = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if not 1000 <= cents <= 50000:
        raise RowError(f"labour_rate {cents / 100:.2f} EUR/h is outside 10..500")
    return cents


def parse_services(value: str) -> dict[str, int | None]:
    """``"diagnosis|brake_pads=75"`` -> ``{"diagnosis": None, "brake_pads": 75}``.

    Raises: RowError for an unknown code, a bad duration or an empty list.
    """
    services: dict[str, int | None] = {}
    for part in filter(None, (p.strip() for p in value.split("|"))):
        code, _, minutes = part.partition("=")
        if code not in SERVICES:
            raise RowError(f"unknown service {code[:40]!r}")
        if code in services:
            raise RowError(f"service {code} appears twice")
        services[code] = _int(minutes, f"minutes of {code}", 5, 1440, None) if minutes else None
    if not services:
        raise RowError("services is empty")
    return services


def parse_closed_dates(value: str) -> tuple[dt.date, ...]:
    """``"2026-08-03..2026-08-21|2026-12-24"`` -> the dates. Raises: RowError."""
    days: set[dt.date] = set()
    for part in filter(None, (p.strip() for p in value.split("|"))):
        first, _, last = part.partition("..")
        try:
            a = dt.date.fromisoformat(first)
            b = dt.date.fromisoformat(last) if last else a
        except ValueError:
            raise RowError(f"closed date {part[:30]!r} is not YYYY-MM-DD[..YYYY-MM-DD]") from None
        if b < a or (b - a).days > MAX_CLOSED_DAYS:
            raise RowError(f"closed range {part} runs backwards or is over a year")
        days.update(a + dt.timedelta(days=k) for k in range((b - a).days + 1))
    return tuple(sorted(days))


def services_text(services: dict[str, int | None]) -> str:
    """Inverse of :func:`parse_services`."""
    return "|".join(code if m is None else f"{code}={m}" for code, m in services.items())
