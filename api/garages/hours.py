"""Opening hours: per weekday with breaks, closed days, French public holidays, Europe/Paris.

Hours are *local wall-clock* times (what a garage writes on its door); everything else in
the domain is in UTC. :meth:`OpeningCalendar.open_intervals` is the one place that turns a
date's wall-clock hours into UTC instants, through ``zoneinfo``, so the daylight-saving
changes are handled once: on the last Sunday of March a day open 00:00-24:00 lasts 23 hours,
on the last Sunday of October 25.

Text form (CSV column, CLI): groups separated by ``;``, each ``DAYS HH:MM-HH:MM[,HH:MM-HH:MM]``
where DAYS is ``mon``, ``mon-fri`` or ``mon,wed,fri``; a gap between two ranges is a break;
a day named nowhere (or ``sun closed``) is closed. ``24:00`` means midnight at the end of
the day. Example: ``mon-fri 08:00-12:00,14:00-18:00; sat 08:00-12:00``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from api.garages.errors import InvalidInputError

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
MAX_HOURS_TEXT = 300

#: minutes from local midnight, [start, end)
Range = tuple[int, int]


@dataclass(frozen=True)
class WeeklyHours:
    """Opening ranges per weekday (0 = Monday), each a sorted tuple of disjoint ranges."""

    days: tuple[tuple[Range, ...], ...]

    @classmethod
    def parse(cls, text: str) -> WeeklyHours:
        """Parse the text form (see the module docstring).

        Raises: InvalidInputError naming the faulty part.
        """
        if len(text) > MAX_HOURS_TEXT:
            raise InvalidInputError(f"opening hours are limited to {MAX_HOURS_TEXT} characters")
        days: list[list[Range]] = [[] for _ in DAY_NAMES]
        seen: set[int] = set()
        for group in filter(None, (g.strip() for g in text.split(";"))):
            names, _, ranges = group.partition(" ")
            for day in _parse_days(names.lower()):
                if day in seen:
                    raise InvalidInputError(f"{DAY_NAMES[day]} appears twice in {text[:60]!r}")
                seen.add(day)
                days[day] = _parse_ranges(ranges.strip(), group)
        if not any(days):
            raise InvalidInputError(f"opening hours {text[:60]!r} open no day at all")
        return cls(tuple(tuple(d) for d in days))

    @classmethod
    def from_json(cls, data: Mapping[str, Iterable[Iterable[str]]]) -> WeeklyHours:
        """Inverse of :meth:`to_json`. Raises: InvalidInputError."""
        text = "; ".join(
            f"{day} {','.join(f'{a}-{b}' for a, b in ranges)}"
            for day, ranges in data.items()
            if list(ranges)
        )
        return cls.parse(text)

    def to_json(self) -> dict[str, list[list[str]]]:
        """``{"mon": [["08:00", "12:00"], ["14:00", "18:00"]], ...}`` (closed days left out)."""
        return {
            DAY_NAMES[d]: [[_hhmm(a), _hhmm(b)] for a, b in ranges]
            for d, ranges in enumerate(self.days)
            if ranges
        }

    def to_text(self) -> str:
        """The text form, one group per open day."""
        return "; ".join(
            f"{day} {','.join(f'{a}-{b}' for a, b in ranges)}"
            for day, ranges in self.to_json().items()
        )


def _parse_days(names: str) -> list[int]:
    days: list[int] = []
    for part in names.split(","):
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise InvalidInputError(f"{part!r} is not a day (use {', '.join(DAY_NAMES)})")
        a, b = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        if b < a:
            raise InvalidInputError(f"day range {part!r} runs backwards")
        days.extend(range(a, b + 1))
    return days


def _parse_ranges(text: str, group: str) -> list[Range]:
    if text.lower() == "closed":
        return []
    ranges: list[Range] = []
    for part in text.replace(" ", "").split(","):
        match = _RANGE.fullmatch(part)
        if not match:
            raise InvalidInputError(f"{part!r} in {group!r} is not a range like 08:00-12:00")
        h1, m1, h2, m2 = map(int, match.groups())
        start, end = _minutes(h1, m1, part), _minutes(h2, m2, part)
        if end <= start:
            raise InvalidInputError(f"range {part!r} ends before it starts")
        if ranges and start < ranges[-1][1]:
            raise InvalidInputError(f"ranges of {group!r} overlap or are not in order")
        ranges.append((start, end))
    return ranges


def _minutes(hours: int, minutes: int, part: str) -> int:
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise InvalidInputError(f"{part!r} holds a time that does not exist")
    return hours * 60 + minutes


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def holiday_subdivision(postcode: str | None) -> str | None:
    """The ``holidays`` subdivision whose extra public holidays apply at a French postcode.

    Alsace (67, 68: code ``6AE``) and Moselle (57) add Good Friday and 26 December; the
    overseas departments have their own days. Out: None for the rest of metropolitan France.
    """
    code = (postcode or "").strip()
    if code[:2] == "57":
        return "57"
    if code[:2] in ("67", "68"):
        return "6AE"
    if code[:3] in ("971", "972", "973", "974", "976"):
        return code[:3]
    return None


@lru_cache(maxsize=64)
def public_holidays(year: int, subdivision: str | None = None) -> frozenset[dt.date]:
    """French public holidays of ``year`` (from the maintained ``holidays`` library)."""
    return frozenset(holidays.France(years=year, subdiv=subdivision))


@dataclass(frozen=True)
class OpeningCalendar:
    """When a garage is open: weekly hours, minus public holidays and its own closed dates."""

    hours: WeeklyHours
    holiday_subdivision: str | None = None
    open_on_public_holidays: bool = False
    closed_dates: frozenset[dt.date] = field(default_factory=frozenset)
    # Derived per-date data (the calendar is immutable, so it never goes stale); many
    # garages share one calendar object (see api.garages.service.calendar_of).
    _memo: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def memo(self, key: object, compute):  # noqa: ANN001, ANN201 - any derived value
        """``compute()`` once per ``key`` for this calendar (bounded: cleared past 4096)."""
        try:
            return self._memo[key]
        except KeyError:
            if len(self._memo) >= 4096:
                self._memo.clear()
            value = self._memo[key] = compute()
            return value

    def is_closed_day(self, day: dt.date) -> bool:
        """True on a closed date, or a public holiday the garage does not work."""
        if day in self.closed_dates:
            return True
        holiday = day in public_holidays(day.year, self.holiday_subdivision)
        return holiday and not self.open_on_public_holidays

    def open_intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The day's opening ranges as aware UTC ``[start, end)`` pairs (empty when closed).

        A wall-clock time that does not exist (02:30 on the spring-forward night) is moved
        forward by the change, one that happens twice is taken the first time (``fold=0``).
        """
        return self.memo(("open", day), lambda: self._open_intervals(day))

    def _open_intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if self.is_closed_day(day):
            return []
        midnight = dt.datetime.combine(day, dt.time(0))
        return [
            (_local_to_utc(midnight, start), _local_to_utc(midnight, end))
            for start, end in self.hours.days[day.weekday()]
        ]


def _local_to_utc(midnight: dt.datetime, minutes: int) -> dt.datetime:
    wall = midnight + dt.timedelta(minutes=minutes)  # 24:00 becomes the next midnight
    return wall.replace(tzinfo=PARIS).astimezone(UTC)


def paris_date(instant: dt.datetime) -> dt.date:
    """The Europe/Paris calendar date of an aware instant."""
    return instant.astimezone(PARIS).date()
