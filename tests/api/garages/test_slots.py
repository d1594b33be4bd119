"""Opening hours and slot computation: DST changes, public holidays, lunch breaks, jobs
longer than the rest of the day, bay capacity. Expected instants are written by hand in
UTC (Paris is UTC+1 in winter, UTC+2 in summer), never computed by the code under test."""

from __future__ import annotations

import datetime as dt

import pytest

from api.garages.errors import InvalidInputError, OutsideOpeningHoursError, SlotInPastError
from api.garages.hours import OpeningCalendar, WeeklyHours, holiday_subdivision
from api.garages.slots import Occupancy, check_start, free_slots, job_end

UTC = dt.UTC
CLASSIC = WeeklyHours.parse("mon-fri 08:00-12:00,14:00-18:00; sat 08:00-12:00")
ALWAYS = WeeklyHours.parse("mon-sun 00:00-24:00")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def starts(calendar, day, minutes=60, bays=1, bookings=(), days=1, now=None):
    now = now or utc(2026, 1, 1)
    return [
        s.start
        for s in free_slots(
            calendar, bays, list(bookings), minutes, now=now, days=days, first_day=day
        )
    ]


def test_parse_hours_round_trip_and_closed_days() -> None:
    hours = WeeklyHours.parse("mon-fri 08:00-12:00, 14:00-18:00; sat 08:00-12:00; sun closed")
    assert hours.days[0] == ((480, 720), (840, 1080))
    assert hours.days[6] == ()
    assert WeeklyHours.parse(hours.to_text()) == hours
    assert WeeklyHours.from_json(hours.to_json()) == hours


@pytest.mark.parametrize(
    "text",
    [
        "mon 08:00-12:00; mon 14:00-18:00",  # twice
        "mon 12:00-08:00",  # backwards
        "mon 08:00-12:00,11:00-13:00",  # overlap
        "lun 08:00-12:00",  # not a day
        "mon 8h-12h",  # not a range
        "mon 08:00-24:30",  # not a time
        "sun closed",  # never open
        "fri-mon 08:00-12:00",  # backwards days
    ],
)
def test_bad_hours_are_refused(text: str) -> None:
    with pytest.raises(InvalidInputError):
        WeeklyHours.parse(text)


def test_lunch_break_no_start_inside_and_job_spans_it() -> None:
    cal = OpeningCalendar(CLASSIC)
    monday = dt.date(2026, 1, 12)  # winter: 08:00 Paris = 07:00 UTC
    got = starts(cal, monday, minutes=60)
    assert got[0] == utc(2026, 1, 12, 7, 0)
    # starts 08:00..11:30 (11:30 runs across lunch) then 14:00..17:00, Paris time
    assert utc(2026, 1, 12, 11, 0) not in got and utc(2026, 1, 12, 12, 30) not in got
    assert utc(2026, 1, 12, 10, 30) in got and utc(2026, 1, 12, 13, 0) in got
    # started at 11:30 Paris, 60 working minutes end at 14:30: the break does not count
    assert job_end(cal, utc(2026, 1, 12, 10, 30), 60) == utc(2026, 1, 12, 13, 30)
    assert len(got) == 8 + 7  # 11:30 fits across lunch; 17:30 does not finish


def test_job_longer_than_rest_of_day_moves_to_next_day() -> None:
    cal = OpeningCalendar(CLASSIC)
    friday = dt.date(2026, 1, 16)
    now = utc(2026, 1, 16, 14, 0)  # 15:00 Paris: 3 working hours left today
    got = starts(cal, friday, minutes=240, days=2, now=now)
    # Friday: nothing (only 3 h left); Saturday is 4 h: exactly one start, 08:00 Paris
    assert got == [utc(2026, 1, 17, 7, 0)]
    assert job_end(cal, utc(2026, 1, 16, 14, 0), 240) is None
    # A job longer than a whole day never fits
    assert starts(cal, friday, minutes=9 * 60, days=7) == []


def test_public_holiday_is_closed_unless_garage_works_it() -> None:
    # 14 July 2026 is a Tuesday; 15 July is not a holiday
    cal = OpeningCalendar(CLASSIC)
    assert starts(cal, dt.date(2026, 7, 14)) == []
    assert starts(cal, dt.date(2026, 7, 15))[0] == utc(2026, 7, 15, 6, 0)  # summer: UTC+2
    working = OpeningCalendar(CLASSIC, open_on_public_holidays=True)
    assert starts(working, dt.date(2026, 7, 14))[0] == utc(2026, 7, 14, 6, 0)


def test_alsace_moselle_good_friday() -> None:
    good_friday = dt.date(2026, 4, 3)
    assert starts(OpeningCalendar(CLASSIC), good_friday) != []
    alsace = OpeningCalendar(CLASSIC, holiday_subdivision=holiday_subdivision("67000"))
    moselle = OpeningCalendar(CLASSIC, holiday_subdivision=holiday_subdivision("57000"))
    assert starts(alsace, good_friday) == [] and starts(moselle, good_friday) == []
    assert holiday_subdivision("75011") is None


def test_closed_dates() -> None:
    cal = OpeningCalendar(CLASSIC, closed_dates=frozenset({dt.date(2026, 1, 13)}))
    assert starts(cal, dt.date(2026, 1, 13)) == []


def test_dst_spring_forward_opening_moves_one_hour_earlier_in_utc() -> None:
    cal = OpeningCalendar(CLASSIC)
    saturday, monday = dt.date(2026, 3, 28), dt.date(2026, 3, 30)  # change on Sunday 29
    assert starts(cal, saturday)[0] == utc(2026, 3, 28, 7, 0)
    assert starts(cal, monday)[0] == utc(2026, 3, 30, 6, 0)
    got = starts(cal, saturday, days=3)
    assert len(got) == 7 + 15  # Saturday 08:00..11:00, Sunday closed, Monday


def test_dst_day_lengths_for_a_garage_open_all_day() -> None:
    cal = OpeningCalendar(ALWAYS)
    spring = starts(cal, dt.date(2026, 3, 29), minutes=30)
    autumn = starts(cal, dt.date(2026, 10, 25), minutes=30)
    normal = starts(cal, dt.date(2026, 3, 30), minutes=30)
    assert (len(spring), len(normal), len(autumn)) == (46, 48, 50)  # 23 h, 24 h, 25 h
    assert spring[0] == utc(2026, 3, 28, 23, 0) and spring[-1] == utc(2026, 3, 29, 21, 30)
    # 01:30 UTC is 03:30 CEST: 02:00-03:00 Paris does not exist that night, no gap in UTC
    assert utc(2026, 3, 29, 1, 0) in spring and utc(2026, 3, 29, 1, 30) in spring
    # autumn: 02:30 Paris happens twice (00:30 UTC and 01:30 UTC), both are slots
    locals_ = [s.astimezone(cal_tz()).strftime("%H:%M") for s in autumn]
    assert locals_.count("02:30") == 2


def cal_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Paris")


def test_capacity_counts_overlapping_bookings() -> None:
    cal = OpeningCalendar(CLASSIC)
    monday = dt.date(2026, 1, 12)
    nine, ten = utc(2026, 1, 12, 8, 0), utc(2026, 1, 12, 9, 0)
    one_bay = starts(cal, monday, bookings=[(nine, ten)])
    assert nine not in one_bay and utc(2026, 1, 12, 7, 30) not in one_bay  # would overlap
    assert utc(2026, 1, 12, 7, 0) in one_bay and ten in one_bay
    two_bays = starts(cal, monday, bays=2, bookings=[(nine, ten)])
    assert nine in two_bays
    # two bookings that do not overlap each other never fill two bays
    occupancy = Occupancy([(utc(2026, 1, 12, 8), utc(2026, 1, 12, 9)),
                           (utc(2026, 1, 12, 9), utc(2026, 1, 12, 10))])  # fmt: skip
    assert occupancy.peak(utc(2026, 1, 12, 8), utc(2026, 1, 12, 10)) == 1
    full = [(nine, ten), (nine, ten)]
    assert nine not in starts(cal, monday, bays=2, bookings=full)


def test_free_bays_reported() -> None:
    cal = OpeningCalendar(CLASSIC)
    monday = dt.date(2026, 1, 12)
    nine, ten = utc(2026, 1, 12, 8, 0), utc(2026, 1, 12, 9, 0)
    slot = next(
        s
        for s in free_slots(cal, 3, [(nine, ten)], 60, now=utc(2026, 1, 1), first_day=monday)
        if s.start == nine
    )
    assert slot.free_bays == 2 and slot.end == ten


def test_check_start_errors() -> None:
    cal = OpeningCalendar(CLASSIC)
    now = utc(2026, 1, 12, 9, 0)
    assert check_start(cal, utc(2026, 1, 12, 13, 0), 60, now=now) == utc(2026, 1, 12, 14, 0)
    with pytest.raises(SlotInPastError):
        check_start(cal, utc(2026, 1, 12, 8, 0), 60, now=now)
    with pytest.raises(OutsideOpeningHoursError):
        check_start(cal, utc(2026, 1, 12, 11, 30), 60, now=now)  # 12:30 Paris: lunch
    with pytest.raises(OutsideOpeningHoursError):
        check_start(cal, utc(2026, 1, 12, 16, 30), 60, now=now)  # ends after closing
    with pytest.raises(OutsideOpeningHoursError):
        check_start(cal, utc(2026, 1, 12, 13, 10), 60, now=now)  # off the grid
    with pytest.raises(OutsideOpeningHoursError):
        check_start(cal, utc(2026, 1, 18, 9, 0), 60, now=now)  # Sunday
    with pytest.raises(InvalidInputError):
        check_start(cal, dt.datetime(2026, 1, 12, 13, 0), 60, now=now)  # naive


def test_bad_requests() -> None:
    cal = OpeningCalendar(CLASSIC)
    for kwargs in ({"bays": 0}, {"minutes": 0}, {"days": 0}, {"days": 100}):
        args = {"bays": 1, "minutes": 60, "days": 1} | kwargs
        with pytest.raises(InvalidInputError):
            list(free_slots(cal, args["bays"], [], args["minutes"], now=utc(2026, 1, 1),
                            days=args["days"]))  # fmt: skip
