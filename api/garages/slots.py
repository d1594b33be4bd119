"""Slot computation: where a job of a given duration fits in opening hours and bay capacity.

Rules (chosen where the issue is silent, and tested):

* A job counts *working* minutes: it starts inside an opening range and may run across a
  break of the same day (the car stays on its bay over lunch, so the bay stays taken); it
  never runs overnight - a job longer than the rest of the day starts on a later day.
* Candidate starts lie on a grid of ``step`` minutes from the start of each opening range,
  walked in UTC, so a daylight-saving change neither creates nor loses a slot.
* Capacity: a job needs one bay for its whole span. It fits when, at every instant of that
  span, fewer than ``bays`` existing bookings overlap (interval graphs are perfect, so this
  is exactly "a bay can be given to every job").

Everything here is pure (UTC aware datetimes in, UTC aware datetimes out); the caller loads
the calendar and the bookings.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from api.garages.errors import InvalidInputError, OutsideOpeningHoursError, SlotInPastError
from api.garages.hours import PARIS, UTC, OpeningCalendar, paris_date

Interval = tuple[dt.datetime, dt.datetime]
MAX_DAYS = 62
DEFAULT_STEP = 30


@dataclass(frozen=True)
class Slot:
    """A start where the job fits: ``start``/``end`` aware UTC, ``free_bays`` left over."""

    start: dt.datetime
    end: dt.datetime
    free_bays: int

    @property
    def local_start(self) -> dt.datetime:
        """The start in Europe/Paris."""
        return self.start.astimezone(PARIS)


def job_end(calendar: OpeningCalendar, start: dt.datetime, minutes: int) -> dt.datetime | None:
    """When a job of ``minutes`` working minutes started at ``start`` ends, or None when it
    does not start inside an opening range or does not finish the same day."""
    intervals = calendar.open_intervals(paris_date(start))
    return _end_within(intervals, start, dt.timedelta(minutes=minutes))


def _end_within(intervals: Sequence[Interval], start: dt.datetime, need: dt.timedelta):
    started = False
    for open_at, close_at in intervals:
        if not started:
            if not open_at <= start < close_at:
                continue
            started, open_at = True, start
        available = close_at - open_at
        if need <= available:
            return open_at + need
        need -= available
    return None


def _seconds(instant: dt.datetime | int) -> int:
    return instant if isinstance(instant, int) else int(instant.timestamp())


class Occupancy:
    """The bookings of one garage, answering "how many bays are taken at most during this
    interval" in O(log n + overlapping). Instants are kept as integer UTC seconds: cheap to
    compare, and what the slot search reads from the database (no datetime parsing)."""

    def __init__(self, bookings: Iterable[tuple[dt.datetime | int, dt.datetime | int]]) -> None:
        pairs = [b if isinstance(b[0], int) else (_seconds(b[0]), _seconds(b[1])) for b in bookings]
        self._bookings = sorted(pairs)
        self._starts = [b[0] for b in self._bookings]
        self._longest = max((e - s for s, e in self._bookings), default=0)

    def peak(self, start: dt.datetime | int, end: dt.datetime | int) -> int:
        """The largest number of bookings overlapping at one instant of ``[start, end)``."""
        start, end = _seconds(start), _seconds(end)
        lo = bisect.bisect_left(self._starts, start - self._longest)
        hi = bisect.bisect_left(self._starts, end)
        overlapping = [(s, e) for s, e in self._bookings[lo:hi] if e > start]
        if len(overlapping) < 2:
            return len(overlapping)
        # Sweep: +1 at each (clipped) start, -1 at each end; ends sort before starts.
        events = sorted(
            [(max(s, start), 1) for s, _ in overlapping] + [(e, -1) for _, e in overlapping]
        )
        peak = running = 0
        for _, delta in events:
            running += delta
            peak = max(peak, running)
        return peak


def free_slots(
    calendar: OpeningCalendar,
    bays: int,
    bookings: Sequence[Interval] | Occupancy,
    minutes: int,
    *,
    now: dt.datetime,
    days: int = 14,
    first_day: dt.date | None = None,
    step: int = DEFAULT_STEP,
    min_notice: dt.timedelta = dt.timedelta(0),
) -> Iterator[Slot]:
    """Every start (earliest first) over ``days`` Paris days from ``first_day`` (default:
    today in Paris) where a job of ``minutes`` working minutes fits, no earlier than
    ``now + min_notice``. Lazy: take the first few without computing the rest.
    ``bookings``: ``[start, end)`` pairs (datetimes or UTC seconds) or an :class:`Occupancy`.

    Raises: InvalidInputError for a non-positive duration, step or bay count, or too many days.
    """
    _check_request(bays, minutes, days, step)
    need, grid = dt.timedelta(minutes=minutes), dt.timedelta(minutes=step)
    earliest = int((now + min_notice).timestamp())
    occupancy = bookings if isinstance(bookings, Occupancy) else Occupancy(bookings)
    day = first_day or paris_date(now)
    for offset in range(days):
        for start, end, start_s, end_s in _candidates(calendar, day + dt.timedelta(days=offset),
                                                      need, grid):  # fmt: skip
            if start_s >= earliest:
                taken = occupancy.peak(start_s, end_s)
                if taken < bays:
                    yield Slot(start, end, bays - taken)


def _candidates(
    calendar: OpeningCalendar, date: dt.date, need: dt.timedelta, grid: dt.timedelta
) -> tuple[tuple[dt.datetime, dt.datetime, int, int], ...]:
    """The day's grid starts whose job fits its opening hours, as (start, end, start_s,
    end_s), computed once per calendar, date, duration and step."""
    return calendar.memo(
        ("candidates", date, need, grid),
        lambda: tuple(
            (s, e, int(s.timestamp()), int(e.timestamp()))
            for s, e in _day_candidates(calendar.open_intervals(date), need, grid)
        ),
    )


def first_open_day(
    calendar: OpeningCalendar,
    minutes: int,
    *,
    now: dt.datetime,
    days: int = 14,
    step: int = DEFAULT_STEP,
    min_notice: dt.timedelta = dt.timedelta(0),
) -> int | None:
    """The first Paris day (0 = today) with a start where the job fits the opening hours,
    bookings apart; None when there is none within ``days``. A search skips a garage's
    bookings until that day: it cannot have a slot before it."""
    first = first_candidate(calendar, minutes, now=now, days=days, step=step,
                            min_notice=min_notice)  # fmt: skip
    return None if first is None else first[0]


def first_candidate(
    calendar: OpeningCalendar,
    minutes: int,
    *,
    now: dt.datetime,
    days: int = 14,
    step: int = DEFAULT_STEP,
    min_notice: dt.timedelta = dt.timedelta(0),
) -> tuple[int, dt.datetime] | None:
    """(day offset, start) of the first start where the job fits the opening hours,
    bookings apart: no free slot of the garage can be earlier. None when there is none."""
    need, grid = dt.timedelta(minutes=minutes), dt.timedelta(minutes=step)
    earliest = int((now + min_notice).timestamp())
    day = paris_date(now)
    for offset in range(days):
        for start, _end, start_s, _end_s in _candidates(calendar, day + dt.timedelta(days=offset),
                                                        need, grid):  # fmt: skip
            if start_s >= earliest:
                return offset, start
    return None


def _day_candidates(
    intervals: Sequence[Interval], need: dt.timedelta, grid: dt.timedelta
) -> Iterator[Interval]:
    """(start, end) of every grid start of one day whose job finishes that day."""
    for open_at, close_at in intervals:
        start = open_at
        while start < close_at:
            end = _end_within(intervals, start, need)
            if end is None:
                return  # every later start of the day would end even later
            yield start, end
            start += grid


def _check_request(bays: int, minutes: int, days: int, step: int) -> None:
    if bays < 1:
        raise InvalidInputError(f"a garage needs at least one bay, not {bays}")
    if minutes < 1:
        raise InvalidInputError(f"a job lasts at least one minute, not {minutes}")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInputError(f"days must be between 1 and {MAX_DAYS}, not {days}")
    if not 5 <= step <= 240:
        raise InvalidInputError(f"the slot step must be 5..240 minutes, not {step}")


def check_start(
    calendar: OpeningCalendar,
    start: dt.datetime,
    minutes: int,
    *,
    now: dt.datetime,
    step: int = DEFAULT_STEP,
    min_notice: dt.timedelta = dt.timedelta(0),
) -> dt.datetime:
    """Validate a start the driver asked for (capacity apart) and return the job's end.

    Raises: InvalidInputError (naive datetime), SlotInPastError (before ``now + min_notice``),
    OutsideOpeningHoursError (not on the grid of an opening range, or not finishing that day).
    """
    if start.tzinfo is None:
        raise InvalidInputError("a start time needs a UTC offset (e.g. 2026-03-30T09:00:00+02:00)")
    start = start.astimezone(UTC)
    if start < now + min_notice:
        raise SlotInPastError(
            f"{start.astimezone(PARIS):%Y-%m-%d %H:%M} (Paris) is in the past or too soon"
        )
    intervals = calendar.open_intervals(paris_date(start))
    end = _end_within(intervals, start, dt.timedelta(minutes=minutes))
    on_grid = any(
        s <= start < e and (start - s) % dt.timedelta(minutes=step) == dt.timedelta(0)
        for s, e in intervals
    )
    if end is None or not on_grid:
        local = start.astimezone(PARIS)
        raise OutsideOpeningHoursError(
            f"a {minutes}-minute job cannot start at {local:%Y-%m-%d %H:%M} (Paris): "
            "outside opening hours, off the slot grid, or it would not finish that day",
            {"opening_hours": [[a.isoformat(), b.isoformat()] for a, b in intervals]},
        )
    return end
