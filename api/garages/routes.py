"""``/v1/garages``, ``/v1/quotes``, ``/v1/bookings`` (drivers) and ``/v1/garage/bookings``
(garage accounts). Thin: each route checks the caller and calls the service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status
from fastapi import Path as PathParam
from fastapi.routing import APIRoute
from pydantic import Field

from api.core.errors import ApiError
from api.deps import CurrentUser, IdPath, SessionDep
from api.garages import accounts, bookings, schemas, service
from api.garages.errors import GarageError
from api.garages.ics import BookingEvent, booking_ics
from api.garages.quotes import QuoteLine, WorkItem, work_for_service
from api.garages.services import SERVICES, get_service
from parts.errors import NotFoundError as PartsNotFound
from parts.errors import PartsError


class GarageRoute(APIRoute):
    """Turns the domain's typed errors into the API's one error shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def translated(request: Request) -> Response:
            try:
                return await handler(request)
            except GarageError as exc:
                raise ApiError(exc.status, exc.code, exc.message, exc.details or None) from exc
            except PartsNotFound as exc:
                raise ApiError(404, "not_found", str(exc)) from exc
            except PartsError as exc:
                raise ApiError(422, "invalid_input", str(exc)) from exc

        return translated


router = APIRouter(tags=["garages"], route_class=GarageRoute)
Radius = Annotated[float, Query(gt=0, le=200)]
#: the service codes, as an enum in the schema (a packaged one for the per-garage slots)
AnyService = Literal[tuple(SERVICES)]  # type: ignore[valid-type]
PackagedService = Literal[tuple(c for c, s in SERVICES.items() if not s.repair)]  # type: ignore[valid-type]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _garage_out(session: SessionDep, garage: Any, distance: float | None = None):
    offered = service.services_of(session, [garage.id]).get(garage.id, {})
    return schemas.GarageOut.of(garage, offered, distance)


# ------------------------------------------------------------------------------ directory


@router.get("/garages", response_model=list[schemas.GarageOut])
def search_garages(
    session: SessionDep,
    latitude: Annotated[float, Query(ge=-90, le=90, examples=[45.76])],
    longitude: Annotated[float, Query(ge=-180, le=180, examples=[4.85])],
    radius_km: Radius = 30.0,
    service_code: Annotated[AnyService | None, Query(alias="service")] = None,
    make: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> object:
    """Garages within ``radius_km`` of a position, nearest first (optionally only those
    offering ``service`` and working on ``make``)."""
    return _nearby(session, latitude, longitude, radius_km, service_code, make, limit)


@router.get("/garages/postcode/{postcode}", response_model=list[schemas.GarageOut])
def search_garages_by_postcode(
    session: SessionDep,
    postcode: Annotated[str, PathParam(pattern=r"^[0-9]{5}$", examples=["69003"])],
    radius_km: Radius = 30.0,
    service_code: Annotated[AnyService | None, Query(alias="service")] = None,
    make: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> object:
    """Garages within ``radius_km`` of a French postcode (404 ``unknown_postcode`` when we
    have no position for it), nearest first."""
    lat, lon = service.resolve_position(session, None, None, postcode)
    return _nearby(session, lat, lon, radius_km, service_code, make, limit)


def _nearby(session, lat, lon, radius_km, service_code, make, limit):  # noqa: ANN001, ANN202
    wanted = [service_code] if service_code else []
    near = service.garages_near(session, lat, lon, radius_km, services=wanted, make=make)
    return _views(session, [(n.garage.id, n.distance_km) for n in near[:limit]])


def _views(session: SessionDep, shown: list[tuple[int, float | None]]) -> list[schemas.GarageOut]:
    """The full description of the garages shown (one query for all), in order."""
    views = service.garage_views(session, [gid for gid, _ in shown])
    return [schemas.GarageOut.of(*views[gid], distance) for gid, distance in shown]


@router.get("/garages/services", response_model=list[dict[str, Any]])
def list_garage_services() -> object:
    """The services vocabulary: stable codes, labels, standard minutes."""
    return [
        {"code": s.code, "label": s.label, "label_fr": s.label_fr, "minutes": s.minutes,
         "repair": s.repair, "parts": [list(p) for p in s.parts], "note": s.note}
        for s in SERVICES.values()
    ]  # fmt: skip


@router.get("/garages/{garage_id}", response_model=schemas.GarageOut)
def read_garage(garage_id: IdPath, session: SessionDep) -> object:
    """One garage: hours, services, rules."""
    return _garage_out(session, service.get_garage(session, garage_id))


@router.get("/garages/{garage_id}/slots", response_model=list[schemas.SlotOut])
def list_garage_slots(
    garage_id: IdPath,
    session: SessionDep,
    service_code: Annotated[PackagedService, Query(alias="service")],
    days: Annotated[int, Query(ge=1, le=62)] = 14,
) -> object:
    """Every free start over the next ``days`` days for a packaged service at one garage."""
    items = work_for_service(service_code)  # refuses unknown codes and repair services
    garage = service.get_garage(session, garage_id)
    offered = service.services_of(session, [garage.id]).get(garage.id, {})
    service.require_services(garage, offered, items)
    minutes = offered[service_code] or get_service(service_code).minutes
    slots = service.garage_slots(session, garage, minutes, now=_now(), days=days)
    return [schemas.SlotOut.of(s) for s in slots]


class SlotSearchIn(schemas.WorkIn):
    """Slots for a job around a position or postcode over the next ``days`` days."""

    vehicle_id: Annotated[int, Field(ge=1, le=2_147_483_647)]
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    postcode: Annotated[str, Field(max_length=10)] | None = None
    radius_km: Annotated[float, Field(gt=0, le=200)] = 30.0
    days: Annotated[int, Field(ge=1, le=62)] = 14
    sort: str = Field("earliest", pattern="^(distance|price|earliest)$")
    per_garage: Annotated[int, Field(ge=1, le=20)] = 3
    limit: Annotated[int, Field(ge=1, le=100)] = 20


@router.post("/garages/slot-search", response_model=schemas.SlotSearchOut)
def search_slots(body: SlotSearchIn, user: CurrentUser, session: SessionDep) -> object:
    """For the caller's vehicle and a job (service, parts, causes or diagnosis): garages
    around a place with their price and first free slots, by distance, price or earliest."""
    vehicle = bookings.owned_vehicle(session, user.id, body.vehicle_id)
    work = bookings.resolve_work(session, user.id, vehicle, _work_request(body))
    lat, lon = service.resolve_position(session, body.latitude, body.longitude, body.postcode)
    needed = sorted({i.service for i in work.items})
    near = service.garages_near(session, lat, lon, body.radius_km, services=needed,
                                make=vehicle.make)  # fmt: skip
    candidates = service.part_candidates(session, vehicle.vehicle_type_id, vehicle.year,
                                         work.items)  # fmt: skip
    found = service.search_slots(session, near, work.items, candidates, now=_now(),
                                 days=body.days, per_garage=body.per_garage, sort=body.sort,
                                 limit=body.limit, brands=body.brands)  # fmt: skip
    shown = found
    views = _views(session, [(g.nearby.garage.id, g.nearby.distance_km) for g in shown])
    return schemas.SlotSearchOut(
        latitude=lat, longitude=lon, radius_km=body.radius_km, sort=body.sort,
        garages_considered=len(near),
        results=[
            schemas.GarageSlotsOut(
                garage=view, total_incl_vat_cents=g.quote.total_incl_vat_cents,
                minutes=g.quote.minutes, slots=[schemas.SlotOut.of(s) for s in g.slots],
            )
            for g, view in zip(shown, views, strict=True)
        ],
    )  # fmt: skip


def _work_request(body: schemas.WorkIn) -> bookings.WorkRequest:
    return bookings.WorkRequest(
        body.service, body.part_types,
        [(c, p) for c, p in body.causes] if body.causes is not None else None,
        body.diagnosis_id, body.top_causes,
    )  # fmt: skip


# -------------------------------------------------------------------------------- quotes


@router.post("/quotes", response_model=list[schemas.GarageQuoteOut])
def create_quotes(body: schemas.QuoteRequest, user: CurrentUser, session: SessionDep) -> object:
    """Quotes for the caller's vehicle, cheapest first: at ``garage_ids``, or at the garages
    around a position / postcode that offer the work. Subject to inspection."""
    vehicle = bookings.owned_vehicle(session, user.id, body.vehicle_id)
    work = bookings.resolve_work(session, user.id, vehicle, _work_request(body))
    candidates = service.part_candidates(session, vehicle.vehicle_type_id, vehicle.year,
                                         work.items)  # fmt: skip
    garages = _quoted_garages(session, body, work.items)
    quotes = []
    for garage, offered, distance in garages:
        service.require_services(garage, offered, work.items)
        quote = service.quote_at(garage, offered, work.items, candidates, body.brands)
        quotes.append((quote, garage, offered, distance))
    quotes.sort(key=lambda q: (q[0].total_incl_vat_cents, q[3] or 0.0))
    shown = quotes[: body.limit]
    views = _views(session, [(g.id, d) for _, g, _, d in shown])
    return [
        schemas.GarageQuoteOut(garage=view, quote=q.to_dict())
        for (q, _, _, _), view in zip(shown, views, strict=True)
    ]


def _quoted_garages(session: SessionDep, body: schemas.QuoteRequest, items: list[WorkItem]):
    if body.garage_ids:
        garages = [service.get_garage(session, gid) for gid in dict.fromkeys(body.garage_ids)]
        offered = service.services_of(session, [g.id for g in garages])
        return [(g, offered.get(g.id, {}), None) for g in garages]
    lat, lon = service.resolve_position(session, body.latitude, body.longitude, body.postcode)
    needed = sorted({i.service for i in items})
    near = service.garages_near(session, lat, lon, body.radius_km, services=needed)
    return [(n.garage, n.services, n.distance_km) for n in near]


# ------------------------------------------------------------------------------ bookings


@router.post("/bookings", status_code=status.HTTP_201_CREATED, response_model=schemas.BookingOut)
def create_booking(body: schemas.BookingIn, user: CurrentUser, session: SessionDep) -> object:
    """Book a slot with the quote the driver consented to (``quote_fingerprint``).

    409 ``slot_taken`` when the last bay went to someone else; 409 ``quote_changed`` with the
    refreshed quote in ``details.quote`` when prices moved (consent to it and retry).
    """
    return bookings.create_booking(
        session, user.id, garage_id=body.garage_id, vehicle_id=body.vehicle_id,
        work_request=_work_request(body), start=body.start,
        quote_fingerprint=body.quote_fingerprint, consent=body.consent, now=_now(),
        brands=body.brands, note=body.note,
    )  # fmt: skip


@router.get("/bookings", response_model=list[schemas.BookingOut])
def list_my_bookings(user: CurrentUser, session: SessionDep) -> object:
    """The caller's bookings, latest first."""
    return bookings.driver_bookings(session, user.id)


@router.get("/bookings/{booking_id}", response_model=schemas.BookingOut)
def read_my_booking(booking_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """One of the caller's bookings."""
    return bookings.driver_booking(session, user.id, booking_id)


@router.post("/bookings/{booking_id}/cancel", response_model=schemas.BookingOut)
def cancel_booking(booking_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """Cancel (409 ``garage_rule`` when closer to the start than the garage allows)."""
    return bookings.cancel(session, user.id, booking_id, _now())


@router.post("/bookings/{booking_id}/reschedule", response_model=schemas.BookingOut)
def reschedule_booking(
    booking_id: IdPath, body: schemas.RescheduleIn, user: CurrentUser, session: SessionDep
) -> object:
    """Move to another start (same quote; the garage accepts again)."""
    return bookings.reschedule(session, user.id, booking_id, body.start, _now())


@router.post("/bookings/{booking_id}/quote/approve", response_model=schemas.BookingOut)
def approve_booking_quote(booking_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """Approve the garage's increased quote."""
    return bookings.approve_quote(session, user.id, booking_id, _now())


@router.post("/bookings/{booking_id}/quote/reject", response_model=schemas.BookingOut)
def reject_booking_quote(booking_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """Refuse the garage's increased quote (the consented one stays)."""
    return bookings.reject_quote(session, user.id, booking_id, _now())


ICS_RESPONSE = {200: {"content": {"text/calendar": {}}, "description": "an iCalendar file"}}


@router.get("/bookings/{booking_id}/ics", response_class=Response, responses=ICS_RESPONSE)
def download_booking_ics(booking_id: IdPath, user: CurrentUser, session: SessionDep) -> Response:
    """The booking as an ``.ics`` file (Europe/Paris times)."""
    return _ics(session, bookings.driver_booking(session, user.id, booking_id))


def _ics(session: SessionDep, booking: Any) -> Response:
    garage = service.get_garage(session, booking.garage_id)
    lines = "\n".join(
        f"- {line['label']}: {line['total_cents'] / 100:.2f} EUR" for line in booking.quote["lines"]
    )
    total = booking.quote["total_incl_vat_cents"] / 100
    event = BookingEvent(
        booking.id, service.aware(booking.start_at), service.aware(booking.end_at),
        garage.name, f"{garage.address}, {garage.postcode} {garage.city}",
        f"Garage appointment: {', '.join(booking.quote['services'])}",
        f"{lines}\nTotal {total:.2f} EUR incl. VAT. {booking.quote['notice']}",
        booking.status, booking.sequence,
    )  # fmt: skip
    return Response(
        booking_ics(event), media_type="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="booking-{booking.id}.ics"'},
    )  # fmt: skip


# ------------------------------------------------------------------------ garage accounts


@router.post("/garage/account", status_code=status.HTTP_201_CREATED,
             response_model=schemas.GarageAccountOut)  # fmt: skip
def claim_garage_account(
    body: schemas.ClaimGarageIn, user: CurrentUser, session: SessionDep
) -> object:
    """Make the caller's account act for a garage of the directory, with the one-time
    invite code the garage received (``novaevo garages invite REF``). 404
    ``invalid_invite`` for a wrong, used or expired code (nothing changes)."""
    accounts.claim_invite(session, user.id, body.invite_code, _now())
    return _account(session, user.id)


@router.get("/garage/account", response_model=schemas.GarageAccountOut)
def read_garage_account(user: CurrentUser, session: SessionDep) -> object:
    """The garages the caller acts for (empty for a driver's account)."""
    return _account(session, user.id)


def _account(session: SessionDep, user_id: int) -> schemas.GarageAccountOut:
    garages = accounts.staff_garages(session, user_id)
    return schemas.GarageAccountOut(
        user_id=user_id, garages=_views(session, [(g.id, None) for g in garages])
    )


@router.get("/garage/bookings", response_model=list[schemas.BookingOut])
def list_garage_bookings(
    user: CurrentUser,
    session: SessionDep,
    status_filter: Annotated[
        str | None, Query(alias="status", pattern="^(requested|accepted|declined|cancelled|done)$")
    ] = None,
) -> object:
    """The bookings of the garages the caller works for."""
    return bookings.staff_bookings(session, user.id, status_filter)


@router.get("/garage/bookings/{booking_id}", response_model=schemas.BookingOut)
def read_garage_booking(booking_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """One booking of the caller's garage."""
    return bookings.staff_booking(session, user.id, booking_id)


@router.get("/garage/bookings/{booking_id}/diagnosis", response_model=schemas.SharedDiagnosisOut)
def read_shared_diagnosis(booking_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """The diagnosis the driver shared with the caller's garage for this booking."""
    booking = bookings.staff_booking(session, user.id, booking_id)
    return schemas.SharedDiagnosisOut(
        booking_id=booking.id, diagnosis_id=booking.diagnosis_id, diagnosis=booking.diagnosis,
        work=booking.work, vehicle=booking.vehicle,
    )  # fmt: skip


@router.post("/garage/bookings/{booking_id}/accept", response_model=schemas.BookingOut)
def accept_booking(booking_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """Accept a requested booking."""
    return bookings.garage_decides(session, user.id, booking_id, "accept", _now())


@router.post("/garage/bookings/{booking_id}/decline", response_model=schemas.BookingOut)
def decline_booking(booking_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """Decline a booking (frees the bay)."""
    return bookings.garage_decides(session, user.id, booking_id, "decline", _now())


@router.post("/garage/bookings/{booking_id}/done", response_model=schemas.BookingOut)
def complete_booking(booking_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """Mark an accepted booking's job done."""
    return bookings.garage_decides(session, user.id, booking_id, "done", _now())


@router.put("/garage/bookings/{booking_id}/quote", response_model=schemas.BookingOut)
def adjust_booking_quote(
    booking_id: IdPath, body: schemas.AdjustQuoteIn, user: CurrentUser, session: SessionDep
) -> object:
    """Revise the quote after inspection: a lower total applies at once, a higher one waits
    for the driver's approval (``awaiting_driver_approval``)."""
    lines = [
        QuoteLine(
            line.kind,
            line.label,
            line.quantity,
            line.unit_price_cents,
            line.quantity * line.unit_price_cents,
            line.service or "adjustment",
            minutes=line.minutes,
        )  # fmt: skip
        for line in body.lines
    ]
    return bookings.adjust_quote(session, user.id, booking_id, lines, _now())


@router.get("/garage/bookings/{booking_id}/ics", response_class=Response,
            responses=ICS_RESPONSE)  # fmt: skip
def download_garage_booking_ics(
    booking_id: IdPath, user: CurrentUser, session: SessionDep
) -> Response:
    """The booking as an ``.ics`` file, for the garage's calendar."""
    return _ics(session, bookings.staff_booking(session, user.id, booking_id))
