"""An iCalendar (RFC 5545) file per booking, through the maintained ``icalendar`` library.

Times are written in Europe/Paris (``DTSTART;TZID=Europe/Paris``) with a VTIMEZONE stating
the EU rule in force since 1996 (last Sunday of March 02:00 -> 03:00, last Sunday of
October 03:00 -> 02:00) as two yearly RRULEs, so a calendar shows the right wall-clock time
on both sides of a daylight-saving change, every year (the library's own derivation from
zoneinfo lists each change up to 2038 instead). The UID is stable per booking, and
SEQUENCE grows with every reschedule, so a calendar updates the event instead of adding
a second one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import icalendar

from api.garages.hours import PARIS, UTC

PRODID = "-//NovaEvo//garages//FR"


@dataclass(frozen=True)
class BookingEvent:
    """What the calendar entry shows."""

    booking_id: int
    start: dt.datetime  # aware
    end: dt.datetime  # aware
    garage_name: str
    garage_address: str
    summary: str
    description: str
    status: str  # requested | accepted | ...
    sequence: int = 0
    domain: str = "novaevo.local"


def booking_ics(event: BookingEvent, *, now: dt.datetime | None = None) -> bytes:
    """The ``.ics`` bytes of one booking (a VCALENDAR with one VEVENT and its VTIMEZONE)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    vevent = icalendar.Event()
    vevent.add("uid", f"booking-{event.booking_id}@{event.domain}")
    vevent.add("dtstamp", (now or dt.datetime.now(UTC)).astimezone(UTC))
    vevent.add("dtstart", event.start.astimezone(PARIS))
    vevent.add("dtend", event.end.astimezone(PARIS))
    vevent.add("summary", event.summary)
    vevent.add("location", f"{event.garage_name}, {event.garage_address}")
    vevent.add("description", event.description)
    vevent.add("status", "CANCELLED" if event.status in ("cancelled", "declined") else
               "CONFIRMED" if event.status in ("accepted", "done") else "TENTATIVE")  # fmt: skip
    vevent.add("sequence", event.sequence)
    cal.add_component(paris_timezone())
    cal.add_component(vevent)
    return cal.to_ical()


def paris_timezone() -> icalendar.Timezone:
    """The Europe/Paris VTIMEZONE (CET/CEST, EU rule since 1996)."""
    tz = icalendar.Timezone()
    tz.add("tzid", "Europe/Paris")
    for kind, name, start, month, offset_from, offset_to in (
        (icalendar.TimezoneDaylight, "CEST", dt.datetime(1996, 3, 31, 2), 3, 1, 2),
        (icalendar.TimezoneStandard, "CET", dt.datetime(1996, 10, 27, 3), 10, 2, 1),
    ):
        part = kind()
        part.add("tzname", name)
        part.add("dtstart", start)
        part.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        part.add("tzoffsetfrom", dt.timedelta(hours=offset_from))
        part.add("tzoffsetto", dt.timedelta(hours=offset_to))
        tz.add_component(part)
    return tz
