"""The whole flow through the HTTP API, on both databases: sign up, add the demo car, get
quotes for what is wrong with it, book, the garage accepts, the driver downloads the .ics.

The diagnosis is the real engine (``diagnostics.diagnose``) on a snapshot the simulator
read from a car with a clogged air filter (firmware_sim's case generator, seed 3), but it
runs in the test process, not over HTTP: the API has no diagnosis route yet (issue 14's
diagnoses). Its ranked causes go to the quote and booking routes as ``causes``; once the
route exists, ``diagnosis_id`` takes their place (see api/garages/diagnoses.py). The garage
account is linked to its garage by the service (an operator's command,
``novaevo garages link-account``), not over HTTP.
"""

from __future__ import annotations

import datetime as dt
import uuid

import icalendar
from sqlalchemy.orm import Session

from api.garages.bookings import link_staff
from tests.api.conftest import PASSWORD
from tests.api.garages.conftest import add_garage


def _diagnosed_causes() -> list[list]:
    """The real diagnosis of a simulated car with a clogged air filter: ranked causes."""
    from diagnostics import diagnose
    from firmware_sim import generate_case

    case = generate_case(3)
    assert [f["id"] for f in case["truth"]["faults"]] == ["clogged_air_filter"]
    diagnosis = diagnose(case["snapshot"])
    return [[c.cause, round(c.probability, 4)] for c in diagnosis.causes[:5]]


def _air_filter_in_catalogue(app, world) -> None:
    """An air filter that fits the world's vehicle type, with a price."""
    from parts.models import Fitment, Offer, Part, Supplier

    with Session(app.state.engine) as s:
        supplier = s.query(Supplier).filter(Supplier.code == f"GT{world.tag}").one()
        number = uuid.uuid4().hex[:8].upper()
        part = Part(brand=f"GT{world.tag}-ALPHA", brand_norm=f"GT{world.tag}-ALPHA",
                    article_number=number, number_norm=number, part_type_code="air_filter",
                    name="[TEST] air filter", attributes={}, search_text="")  # fmt: skip
        s.add(part)
        s.flush()
        s.add(Fitment(vehicle_type_id=world.vehicle_type_id, part_id=part.id, position="",
                      quantity=1, qualifiers=""))  # fmt: skip
        s.add(Offer(supplier_id=supplier.id, part_id=part.id, price_minor=1290,
                    currency="EUR", stock=3, delivery_days=1))  # fmt: skip
        s.commit()


def _sign_up(client) -> dict:
    email = f"flow{uuid.uuid4().hex[:10]}@example.com"
    r = client.post("/v1/auth/signup", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    tokens = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
    return {"id": r.json()["id"], "headers": {"Authorization": f"Bearer {tokens['access_token']}"}}


def test_from_sign_up_to_the_calendar_file(client, app, world) -> None:
    driver = _sign_up(client)
    h = driver["headers"]
    car = client.post("/v1/vehicles", headers=h, json={
        "name": "Demo car", "vin": "VF1BR0E0F12345678", "cylinders": 4, "year": 2015,
        "vehicle_type_id": world.vehicle_type_id})  # fmt: skip
    assert car.status_code == 201, car.text
    vehicle_id = car.json()["id"]
    work = {"causes": _diagnosed_causes(), "top_causes": 1}
    assert work["causes"][0][0] == "clogged_air_filter"
    _air_filter_in_catalogue(app, world)
    garage = add_garage(app, world, f"flow-{uuid.uuid4().hex[:6]}", 0.4)
    search = client.post("/v1/garages/slot-search", headers=h, json={
        "vehicle_id": vehicle_id, "latitude": world.latitude, "longitude": world.longitude,
        "radius_km": 0.6, "days": 7, "sort": "earliest", **work})  # fmt: skip
    assert search.status_code == 200, search.text
    found = next(g for g in search.json()["results"] if g["garage"]["id"] == garage)
    start = found["slots"][0]["start"]
    quotes = client.post("/v1/quotes", headers=h, json={
        "vehicle_id": vehicle_id, "garage_ids": [garage], **work})  # fmt: skip
    quote = quotes.json()[0]["quote"]
    assert [line["kind"] for line in quote["lines"]] == ["part", "labour"]
    assert quote["lines"][0]["part_type"] == "air_filter" and quote["subject_to_inspection"]
    assert quote["total_incl_vat_cents"] == found["total_incl_vat_cents"]
    booking = client.post("/v1/bookings", headers=h, json={
        "garage_id": garage, "vehicle_id": vehicle_id, "start": start,
        "quote_fingerprint": quote["fingerprint"], "consent": True, **work})  # fmt: skip
    assert booking.status_code == 201, booking.text
    bid = booking.json()["id"]

    mechanic = _sign_up(client)
    with Session(app.state.engine) as s:
        link_staff(s, mechanic["id"], garage)
    inbox = client.get("/v1/garage/bookings", headers=mechanic["headers"]).json()
    assert [b["id"] for b in inbox] == [bid] and inbox[0]["vehicle"]["vin"] == "VF1BR0E0F12345678"
    accepted = client.post(f"/v1/garage/bookings/{bid}/accept", headers=mechanic["headers"])
    assert accepted.json()["status"] == "accepted"

    ics = client.get(f"/v1/bookings/{bid}/ics", headers=h)
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    event = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")[0]
    assert event.decoded("dtstart").astimezone(dt.UTC) == dt.datetime.fromisoformat(start)
    assert str(event["status"]) == "CONFIRMED" and b"DTSTART;TZID=Europe/Paris" in ics.content
