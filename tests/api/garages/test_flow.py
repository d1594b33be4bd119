"""The whole flow through the HTTP API, on both databases: sign up, add the demo car,
diagnose it on the simulator with a fault, get quotes for what is wrong with it, book,
the garage (an account that claimed it with an invite code) accepts and reads the shared
diagnosis, the driver downloads the .ics.

Everything goes over HTTP but two operator steps: the garage is imported through the
directory importer, and its invite code is issued as ``novaevo garages invite`` does. The
server has the simulated car attached (``novaevo serve --sim``), its guided test at 1/20
of the plan's times and the simulator's fast timing, so the flow takes a few seconds.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid

import icalendar

from api.garages.accounts import issue_invite
from tests.api.conftest import PASSWORD
from tests.api.garages.conftest import add_garage

FAULT = "misfire:2@0.9"


def _sign_up(client) -> dict:
    email = f"flow{uuid.uuid4().hex[:10]}@example.com"
    r = client.post("/v1/auth/signup", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    tokens = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
    return {"id": r.json()["id"], "headers": {"Authorization": f"Bearer {tokens['access_token']}"}}


def _diagnose_on_the_simulator(client, h: dict, vehicle_id: int) -> dict:
    r = client.post(f"/v1/vehicles/{vehicle_id}/diagnoses/guided-test", headers=h,
                    json={"faults": [FAULT], "symptoms": ["rough_idle"]})  # fmt: skip
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 60
    while (body := client.get(f"/v1/diagnoses/{r.json()['id']}", headers=h).json())[
        "state"
    ] == "running":
        assert time.monotonic() < deadline, "the guided test did not end"
        time.sleep(0.1)
    assert body["state"] == "done", body["error"]
    return body


def test_from_sign_up_to_the_calendar_file(sim_client, app, world) -> None:
    client = sim_client
    driver = _sign_up(client)
    h = driver["headers"]
    car = client.post("/v1/vehicles", headers=h, json={
        "name": "Demo car", "vin": "VF1BR0E0F12345678", "cylinders": 4, "year": 2015,
        "vehicle_type_id": world.vehicle_type_id})  # fmt: skip
    assert car.status_code == 201, car.text
    vehicle_id = car.json()["id"]

    diagnosis = _diagnose_on_the_simulator(client, h, vehicle_id)
    result = diagnosis["diagnosis"]
    assert result["status"] == "fault_found" and "P0302" in result["codes"]
    top = result["causes"][0]
    assert top["cause"].endswith(":2") and top["part_types"]
    work = {"diagnosis_id": diagnosis["id"], "top_causes": 1}

    parts = client.get(f"/v1/diagnoses/{diagnosis['id']}/parts", headers=h).json()
    assert any(s["parts"] for s in parts["suggestions"])  # the world's coils and plugs fit

    garage = add_garage(app, world, f"flow-{uuid.uuid4().hex[:6]}", 0.4)
    search = client.post("/v1/garages/slot-search", headers=h, json={
        "vehicle_id": vehicle_id, "latitude": world.latitude, "longitude": world.longitude,
        "radius_km": 0.6, "days": 7, "sort": "earliest", **work})  # fmt: skip
    assert search.status_code == 200, search.text
    found = next(g for g in search.json()["results"] if g["garage"]["id"] == garage)
    start = found["slots"][0]["start"]
    quotes = client.post("/v1/quotes", headers=h, json={
        "vehicle_id": vehicle_id, "garage_ids": [garage], **work})  # fmt: skip
    assert quotes.status_code == 200, quotes.text
    quote = quotes.json()[0]["quote"]
    assert quote["subject_to_inspection"] and quote["total_incl_vat_cents"] > 0
    assert {line["reason"] for line in quote["lines"]} == {top["cause"]}
    assert quote["total_incl_vat_cents"] == found["total_incl_vat_cents"]
    booking = client.post("/v1/bookings", headers=h, json={
        "garage_id": garage, "vehicle_id": vehicle_id, "start": start,
        "quote_fingerprint": quote["fingerprint"], "consent": True, **work})  # fmt: skip
    assert booking.status_code == 201, booking.text
    bid = booking.json()["id"]
    assert booking.json()["diagnosis_id"] == diagnosis["id"]

    mechanic = _sign_up(client)
    with app.state.sessions() as s:
        code = issue_invite(s, garage, dt.datetime.now(dt.UTC))
    claimed = client.post("/v1/garage/account", headers=mechanic["headers"],
                          json={"invite_code": code})  # fmt: skip
    assert claimed.status_code == 201, claimed.text
    assert [g["id"] for g in claimed.json()["garages"]] == [garage]
    inbox = client.get("/v1/garage/bookings", headers=mechanic["headers"]).json()
    assert [b["id"] for b in inbox] == [bid] and inbox[0]["vehicle"]["vin"] == "VF1BR0E0F12345678"
    shared = client.get(f"/v1/garage/bookings/{bid}/diagnosis", headers=mechanic["headers"])
    assert shared.json()["diagnosis"]["causes"][0]["cause"] == top["cause"]
    assert "posterior" not in shared.json()["diagnosis"]
    # the garage reads the shared copy, never the driver's diagnosis itself
    own = client.get(f"/v1/diagnoses/{diagnosis['id']}", headers=mechanic["headers"])
    assert own.status_code == 404
    accepted = client.post(f"/v1/garage/bookings/{bid}/accept", headers=mechanic["headers"])
    assert accepted.json()["status"] == "accepted"

    ics = client.get(f"/v1/bookings/{bid}/ics", headers=h)
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    event = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")[0]
    assert event.decoded("dtstart").astimezone(dt.UTC) == dt.datetime.fromisoformat(start)
    assert str(event["status"]) == "CONFIRMED" and b"DTSTART;TZID=Europe/Paris" in ics.content
