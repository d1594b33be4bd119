"""Bookings: book a slot with a consented quote, cancel and reschedule under the garage's
rules, the garage's accept / decline / done and quote adjustment, the driver's approval.

Authorization lives in the queries: :func:`driver_booking` only finds the caller's own
bookings, :func:`staff_booking` only the bookings of a garage the caller works for; any
other id is a 404, never a 403, so nothing tells an existing booking from a missing one.

Every write is one transaction; every check comes before the first write, and a refused
request rolls back, so nothing is ever half-written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.garages import service
from api.garages.diagnoses import load_diagnosis
from api.garages.errors import (
    ConsentRequiredError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    QuoteChangedError,
    RuleViolationError,
    SlotTakenError,
)
from api.garages.hours import PARIS
from api.garages.models import ACTIVE_STATES, Booking, Garage, GarageStaff
from api.garages.quotes import (
    Quote,
    QuoteLine,
    WorkItem,
    adjusted_quote,
    work_for_causes,
    work_for_part_types,
    work_for_service,
)
from api.garages.slots import Occupancy, check_start


@dataclass
class WorkRequest:
    """What the driver wants done: exactly one of a service code, part types with
    quantities, ranked causes, or a stored diagnosis (its top causes)."""

    service: str | None = None
    part_types: dict[str, int] | None = None
    causes: list[tuple[str, float]] | None = None
    diagnosis_id: int | None = None
    top_causes: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored with the booking)."""
        return {"service": self.service, "part_types": self.part_types,
                "causes": self.causes, "diagnosis_id": self.diagnosis_id,
                "top_causes": self.top_causes}  # fmt: skip


@dataclass
class ResolvedWork:
    """The work items of a request, and the diagnosis copy to share (if any)."""

    items: list[WorkItem]
    diagnosis_id: int | None = None
    diagnosis: dict[str, Any] | None = None
    vehicle: dict[str, Any] = field(default_factory=dict)


def owned_vehicle(session: Session, user_id: int, vehicle_id: int):  # noqa: ANN201 - Vehicle
    """The caller's vehicle ``vehicle_id``. Raises: NotFoundError (missing or not theirs)."""
    from api.vehicles.models import Vehicle

    vehicle = session.scalar(
        select(Vehicle).where(Vehicle.id == vehicle_id, Vehicle.owner_id == user_id)
    )
    if vehicle is None:
        raise NotFoundError(f"vehicle {vehicle_id} not found")
    return vehicle


def resolve_work(session: Session, user_id: int, vehicle, request: WorkRequest) -> ResolvedWork:  # noqa: ANN001
    """Turn a work request into items. Raises: InvalidInputError (not exactly one kind of
    request), UnknownServiceError, NotFoundError (diagnosis not the caller's)."""
    given = [request.service, request.part_types, request.causes, request.diagnosis_id]
    if sum(x is not None for x in given) != 1:
        raise InvalidInputError("give exactly one of service, part_types, causes or diagnosis_id")
    if not 1 <= request.top_causes <= 5:
        raise InvalidInputError("top_causes must be 1..5")
    shown = vehicle_view(vehicle)
    if request.service is not None:
        return ResolvedWork(work_for_service(request.service, vehicle.cylinders), vehicle=shown)
    if request.part_types is not None:
        return ResolvedWork(work_for_part_types(request.part_types), vehicle=shown)
    if request.causes is not None:
        items = work_for_causes(request.causes, top=request.top_causes,
                                cylinders=vehicle.cylinders)  # fmt: skip
        return ResolvedWork(items, vehicle=shown)
    facts = load_diagnosis(session, user_id, vehicle.id, request.diagnosis_id or 0)
    items = work_for_causes(facts.causes, top=request.top_causes, cylinders=vehicle.cylinders)
    return ResolvedWork(items, facts.diagnosis_id, facts.shared, shown)


def vehicle_view(vehicle) -> dict[str, Any]:  # noqa: ANN001 - api.vehicles.models.Vehicle
    """What a garage may see of the booked vehicle (nothing of the driver's others)."""
    return {
        "make": vehicle.make, "model": vehicle.model, "year": vehicle.year,
        "plate": vehicle.plate, "vin": vehicle.vin, "fuel": vehicle.fuel,
        "engine_type": vehicle.engine_type, "mileage_km": vehicle.mileage_km,
    }  # fmt: skip


def quote_for_booking(
    session: Session,
    garage: Garage,
    vehicle,
    work: ResolvedWork,
    brands: dict[str, str] | None,  # noqa: ANN001
) -> Quote:
    """The quote of ``garage`` for this work, from the catalogue's current prices."""
    offered = service.services_of(session, [garage.id]).get(garage.id, {})
    service.require_services(garage, offered, work.items)
    candidates = service.part_candidates(session, vehicle.vehicle_type_id, vehicle.year,
                                         work.items)  # fmt: skip
    return service.quote_at(garage, offered, work.items, candidates, brands)


def create_booking(
    session: Session,
    user_id: int,
    *,
    garage_id: int,
    vehicle_id: int,
    work_request: WorkRequest,
    start: dt.datetime,
    quote_fingerprint: str,
    consent: bool,
    now: dt.datetime,
    brands: dict[str, str] | None = None,
    note: str = "",
) -> Booking:
    """Book ``start`` at a garage for the caller's vehicle with the quote they consented to.

    Raises (nothing written in every case): ConsentRequiredError; NotFoundError (vehicle,
    garage or diagnosis); ServiceNotOfferedError; SlotInPastError / OutsideOpeningHoursError;
    QuoteChangedError (``details["quote"]``: the refreshed quote to consent to); SlotTakenError.
    """
    vehicle = owned_vehicle(session, user_id, vehicle_id)
    garage = service.get_garage(session, garage_id)
    if not consent:
        raise ConsentRequiredError("the driver must consent to the quote lines to book")
    work = resolve_work(session, user_id, vehicle, work_request)
    quote = quote_for_booking(session, garage, vehicle, work, brands)
    end = _checked_times(garage, start, quote.minutes, now)
    if quote.fingerprint != quote_fingerprint:
        raise QuoteChangedError(
            "the quote no longer matches the catalogue's prices: here is the refreshed one, "
            "consent to it again to book",
            {"quote": quote.to_dict()},
        )
    start = start.astimezone(dt.UTC)
    _take_bay(session, garage, start, end)
    booking = Booking(
        garage_id=garage.id, driver_id=user_id, vehicle_id=vehicle.id,
        diagnosis_id=work.diagnosis_id, diagnosis=work.diagnosis, vehicle=work.vehicle,
        work={**work_request.to_dict(), "brands": brands or {}},
        start_at=start, end_at=end, status="requested", quote=quote.to_dict(),
        pending_quote=None, consent_at=now, note=note[:2000], sequence=0,
        created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(booking)
    session.commit()
    return booking


def _checked_times(garage: Garage, start: dt.datetime, minutes: int, now: dt.datetime):
    notice = dt.timedelta(hours=garage.booking_notice_hours)
    return check_start(service.calendar_of(garage), start, max(1, minutes), now=now,
                       min_notice=notice)  # fmt: skip


def _take_bay(
    session: Session, garage: Garage, start: dt.datetime, end: dt.datetime,
    exclude: int | None = None,
) -> None:  # fmt: skip
    """Serialise on the garage row, then make sure a bay is free for ``[start, end)``.

    The UPDATE is the lock (row lock on PostgreSQL, write lock on SQLite) and comes before
    the count, so concurrent requests count each other's committed bookings.
    Raises: SlotTakenError (after rolling back, which releases the lock).
    """
    _bump(session, garage.id)
    taken = service.active_bookings(session, [garage.id], start, end, exclude).get(garage.id, [])
    if Occupancy(taken).peak(start, end) >= garage.bays:
        session.rollback()
        local = start.astimezone(PARIS)
        raise SlotTakenError(
            f"every bay of {garage.name} is taken at some point of {local:%Y-%m-%d %H:%M} "
            "(Paris) for this job: pick another slot",
            {"garage_id": garage.id, "start": start.isoformat()},
        )


def _bump(session: Session, garage_id: int) -> None:
    """Bump the garage's ``booking_lock``: the row lock that serialises its bookings, and
    the version that invalidates the slot searches' cache of its bookings."""
    session.execute(
        update(Garage).where(Garage.id == garage_id)
        .values(booking_lock=Garage.booking_lock + 1)
        .execution_options(synchronize_session=False)
    )  # fmt: skip


# ------------------------------------------------------------------------ driver's side


def driver_booking(session: Session, user_id: int, booking_id: int) -> Booking:
    """The caller's booking ``booking_id``. Raises: NotFoundError (missing or not theirs)."""
    booking = session.scalar(
        select(Booking).where(Booking.id == booking_id, Booking.driver_id == user_id)
    )
    if booking is None:
        raise NotFoundError(f"booking {booking_id} not found")
    return booking


def driver_bookings(session: Session, user_id: int) -> list[Booking]:
    """The caller's bookings, latest start first."""
    return list(session.scalars(
        select(Booking).where(Booking.driver_id == user_id)
        .order_by(Booking.start_at.desc(), Booking.id.desc())
    ))  # fmt: skip


def _require_notice(booking: Booking, garage: Garage, now: dt.datetime, what: str) -> None:
    deadline = service.aware(booking.start_at) - dt.timedelta(hours=garage.cancel_notice_hours)
    if now > deadline:
        raise RuleViolationError(
            f"{garage.name} does not allow to {what} less than {garage.cancel_notice_hours} "
            "hours before the appointment",
            {"rule": "cancel_notice_hours", "hours": garage.cancel_notice_hours,
             "deadline": deadline.isoformat()},
        )  # fmt: skip


def _require_state(booking: Booking, allowed: tuple[str, ...], what: str) -> None:
    if booking.status not in allowed:
        raise InvalidStateError(
            f"booking {booking.id} is {booking.status}: cannot {what} it",
            {"status": booking.status, "allowed_from": list(allowed)},
        )


def cancel(session: Session, user_id: int, booking_id: int, now: dt.datetime) -> Booking:
    """The driver cancels. Raises: NotFoundError, InvalidStateError, RuleViolationError."""
    booking = driver_booking(session, user_id, booking_id)
    _require_state(booking, ACTIVE_STATES, "cancel")
    _require_notice(booking, service.get_garage(session, booking.garage_id), now, "cancel")
    _set(booking, now, status="cancelled", sequence=booking.sequence + 1)
    _bump(session, booking.garage_id)
    session.commit()
    return booking


def reschedule(
    session: Session, user_id: int, booking_id: int, start: dt.datetime, now: dt.datetime
) -> Booking:
    """The driver moves the booking to ``start`` (same quote; the garage accepts again).

    Raises: NotFoundError, InvalidStateError, RuleViolationError (too late to move),
    SlotInPastError, OutsideOpeningHoursError, SlotTakenError.
    """
    booking = driver_booking(session, user_id, booking_id)
    _require_state(booking, ACTIVE_STATES, "reschedule")
    garage = service.get_garage(session, booking.garage_id)
    _require_notice(booking, garage, now, "reschedule")
    end = _checked_times(garage, start, int(booking.quote["minutes"]), now)
    start = start.astimezone(dt.UTC)
    _take_bay(session, garage, start, end, exclude=booking.id)
    _set(booking, now, start_at=start, end_at=end, status="requested",
         sequence=booking.sequence + 1)  # fmt: skip
    session.commit()
    return booking


def approve_quote(session: Session, user_id: int, booking_id: int, now: dt.datetime) -> Booking:
    """The driver approves the garage's increased quote. Raises: NotFoundError,
    InvalidStateError (nothing to approve, or the booking is over)."""
    booking = driver_booking(session, user_id, booking_id)
    _require_pending(booking)
    _set(booking, now, quote=booking.pending_quote, pending_quote=None, consent_at=now)
    session.commit()
    return booking


def reject_quote(session: Session, user_id: int, booking_id: int, now: dt.datetime) -> Booking:
    """The driver refuses the increase: the consented quote stays. Raises as approve."""
    booking = driver_booking(session, user_id, booking_id)
    _require_pending(booking)
    _set(booking, now, pending_quote=None)
    session.commit()
    return booking


def _require_pending(booking: Booking) -> None:
    _require_state(booking, ACTIVE_STATES, "change the quote of")
    if booking.pending_quote is None:
        raise InvalidStateError(f"booking {booking.id} has no quote waiting for approval")


def _set(booking: Booking, now: dt.datetime, **values: Any) -> None:
    for name, value in values.items():
        setattr(booking, name, value)
    booking.updated_at = now


# ------------------------------------------------------------------------ garage's side


def staff_garage_ids(session: Session, user_id: int) -> list[int]:
    """The garages the caller works for."""
    return list(session.scalars(select(GarageStaff.garage_id).where(
        GarageStaff.user_id == user_id)))  # fmt: skip


def link_staff(session: Session, user_id: int, garage_id: int) -> None:
    """Make a user an account of a garage (idempotent). Raises: NotFoundError (garage)."""
    service.get_garage(session, garage_id)
    if session.get(GarageStaff, (user_id, garage_id)) is None:
        session.add(GarageStaff(user_id=user_id, garage_id=garage_id))
    session.commit()


def staff_booking(session: Session, user_id: int, booking_id: int) -> Booking:
    """Booking ``booking_id`` if it is at a garage the caller works for, else NotFoundError."""
    booking = session.scalar(
        select(Booking)
        .join(GarageStaff, GarageStaff.garage_id == Booking.garage_id)
        .where(Booking.id == booking_id, GarageStaff.user_id == user_id)
    )
    if booking is None:
        raise NotFoundError(f"booking {booking_id} not found")
    return booking


def staff_bookings(session: Session, user_id: int, status: str | None = None) -> list[Booking]:
    """The bookings of the caller's garages, earliest start first."""
    query = (
        select(Booking)
        .join(GarageStaff, GarageStaff.garage_id == Booking.garage_id)
        .where(GarageStaff.user_id == user_id)
        .order_by(Booking.start_at, Booking.id)
    )
    if status is not None:
        query = query.where(Booking.status == status)
    return list(session.scalars(query))


_TRANSITIONS = {
    "accept": (("requested",), "accepted"),
    "decline": (ACTIVE_STATES, "declined"),
    "done": (("accepted",), "done"),
}


def garage_decides(
    session: Session, user_id: int, booking_id: int, action: str, now: dt.datetime
) -> Booking:
    """``accept``, ``decline`` or mark ``done`` a booking of the caller's garage.

    Raises: NotFoundError, InvalidStateError.
    """
    allowed, new_status = _TRANSITIONS[action]
    booking = staff_booking(session, user_id, booking_id)
    _require_state(booking, allowed, action)
    _set(booking, now, status=new_status, sequence=booking.sequence + 1)
    if new_status != "accepted":  # a declined or finished job frees its bay
        _bump(session, booking.garage_id)
    session.commit()
    return booking


def adjust_quote(
    session: Session, user_id: int, booking_id: int, lines: list[QuoteLine], now: dt.datetime
) -> Booking:
    """The garage revises the quote. A lower or equal total applies at once; a higher one
    waits in ``pending_quote`` for the driver's approval.

    Raises: NotFoundError, InvalidStateError, InvalidInputError (bad lines).
    """
    booking = staff_booking(session, user_id, booking_id)
    _require_state(booking, ACTIVE_STATES, "adjust the quote of")
    garage = service.get_garage(session, booking.garage_id)
    minutes = sum(line.minutes or 0 for line in lines if line.kind == "labour")
    new = adjusted_quote(garage.id, garage.vat_bp, lines, minutes or booking.quote["minutes"],
                         booking.quote["services"])  # fmt: skip
    if new.total_incl_vat_cents > booking.quote["total_incl_vat_cents"]:
        _set(booking, now, pending_quote=new.to_dict())
    else:
        _set(booking, now, quote=new.to_dict(), pending_quote=None)
    session.commit()
    return booking


def readable_booking(session: Session, user_id: int, booking_id: int) -> Booking:
    """The booking if the caller is its driver or works for its garage, else NotFoundError."""
    try:
        return driver_booking(session, user_id, booking_id)
    except NotFoundError:
        return staff_booking(session, user_id, booking_id)
