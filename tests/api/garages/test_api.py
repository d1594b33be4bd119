"""The garages routes on both databases: search, slots, quotes, bookings and their rules,
garage accounts, authorization (404 for what is not the caller's), bad input."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.garages.models import Booking
from api.garages.service import import_directory
from tests.api.conftest import assert_error
from tests.api.garages.conftest import HEADER, Driver, Staff, add_garage, book, quote_and_slot

COIL = {"part_types": {"ignition_coil": 1}}


def booking_count(app) -> int:
    with Session(app.state.engine) as s:
        return s.scalar(select(func.count()).select_from(Booking))


def test_search_around_a_position_nearest_first(client, world) -> None:
    r = client.get("/v1/garages", params={"latitude": world.latitude, "longitude": world.longitude,
                                          "radius_km": 10})  # fmt: skip
    assert r.status_code == 200, r.text
    mine = [g for g in r.json() if g["ref"].startswith(f"T{world.tag}-")]
    order = ("near", "mid", "far", "classic", "brakes_only")
    assert [g["id"] for g in mine] == [world.garages[k] for k in order]
    assert 0.9 < mine[0]["distance_km"] < 1.1
    brakes = client.get("/v1/garages", params={"latitude": world.latitude,
                                               "longitude": world.longitude, "radius_km": 10,
                                               "service": "engine_repair"}).json()  # fmt: skip
    assert world.garages["brakes_only"] not in {g["id"] for g in brakes}


def test_search_by_postcode_and_bad_positions(client) -> None:
    r = client.get("/v1/garages/postcode/69003", params={"radius_km": 5})
    assert r.status_code == 200
    assert_error(client.get("/v1/garages/postcode/99999"), 404, "unknown_postcode")
    assert_error(client.get("/v1/garages/postcode/abc"), 422, "validation_error")
    assert_error(client.get("/v1/garages"), 422, "validation_error")
    assert_error(client.get("/v1/garages", params={"latitude": 91, "longitude": 0}), 422,
                 "validation_error")  # fmt: skip
    assert_error(client.get("/v1/garages/postcode/75011", params={"service": "x"}), 422,
                 "validation_error")  # fmt: skip


def test_slot_search_sorted_by_distance_price_earliest(driver, world) -> None:
    body = {"vehicle_id": driver.vehicle_id, "latitude": world.latitude,
            "longitude": world.longitude, "radius_km": 7, "days": 3, **COIL}  # fmt: skip
    by = {}
    for sort in ("distance", "price", "earliest"):
        r = driver.post("/v1/garages/slot-search", json={**body, "sort": sort})
        assert r.status_code == 200, r.text
        by[sort] = [g for g in r.json()["results"] if g["garage"]["ref"].startswith("T")]
    ids = {k: [g["garage"]["id"] for g in v] for k, v in by.items()}
    g = world.garages
    assert ids["distance"] == [g["near"], g["mid"], g["far"]]
    assert ids["price"] == [g["mid"], g["far"], g["near"]]  # 50, 70, 80 EUR/h
    starts = [x["slots"][0]["start"] for x in by["earliest"]]
    assert starts == sorted(starts)
    coil = by["price"][0]
    assert coil["minutes"] == 20 and len(coil["slots"]) == 3


def test_quote_lines_brand_choice_and_vat(driver, world) -> None:
    r = driver.post("/v1/quotes", json={"vehicle_id": driver.vehicle_id,
                                        "garage_ids": [world.garages["mid"]], **COIL})  # fmt: skip
    assert r.status_code == 200, r.text
    quote = r.json()[0]["quote"]
    part, labour = quote["lines"]
    # cheapest EUR offer first: BRAVO 39.99; 20 minutes at 50 EUR/h = 16.67
    assert (part["brand"], part["unit_price_cents"]) == (world.coil_brands[1], 3999)
    assert {a["brand"] for a in part["alternatives"]} == set(world.coil_brands)
    assert labour["total_cents"] == 1667 and quote["total_excl_vat_cents"] == 5666
    assert quote["vat_cents"] == 1133 and quote["total_incl_vat_cents"] == 6799
    assert quote["subject_to_inspection"] is True
    alpha = driver.post("/v1/quotes", json={"vehicle_id": driver.vehicle_id,
                                            "garage_ids": [world.garages["mid"]],
                                            "brands": {"ignition_coil": world.coil_brands[0]},
                                            **COIL})  # fmt: skip
    assert alpha.json()[0]["quote"]["lines"][0]["unit_price_cents"] == 4550


def test_quote_from_causes_and_not_offered(driver, world) -> None:
    body = {"vehicle_id": driver.vehicle_id, "causes": [["misfire:2", 0.8]]}
    r = driver.post("/v1/quotes", json={**body, "garage_ids": [world.garages["near"]]})
    assert r.status_code == 200, r.text
    line = r.json()[0]["quote"]["lines"][0]
    assert line["part_type"] == "spark_plug" and line["quantity"] == 4
    r = driver.post("/v1/quotes", json={**body, "garage_ids": [world.garages["brakes_only"]]})
    assert_error(r, 409, "service_not_offered")


def test_book_accept_ics_and_garage_sees_only_its_own(client, app, world) -> None:
    driver = Driver(client, app, world)
    staff = Staff(client, app, world, world.garages["near"])
    stranger = Staff(client, app, world, world.garages["mid"])
    quote, start = quote_and_slot(driver, world.garages["near"], COIL)
    r = book(driver, world.garages["near"], COIL, start, quote, note="noise at idle")
    assert r.status_code == 201, r.text
    booking = r.json()
    assert (
        booking["status"] == "requested" and booking["quote"]["fingerprint"] == quote["fingerprint"]
    )
    bid = booking["id"]
    assert [b["id"] for b in staff.get("/v1/garage/bookings").json()].count(bid) == 1
    assert bid not in [b["id"] for b in stranger.get("/v1/garage/bookings").json()]
    assert staff.get(f"/v1/garage/bookings/{bid}").json()["vehicle"]["make"] == "Renault"
    accepted = staff.post(f"/v1/garage/bookings/{bid}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert_error(staff.post(f"/v1/garage/bookings/{bid}/accept"), 409, "invalid_state")
    ics = driver.get(f"/v1/bookings/{bid}/ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    event = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")[0]
    assert event.decoded("dtstart").astimezone(dt.UTC) == dt.datetime.fromisoformat(start)
    assert str(event["status"]) == "CONFIRMED" and b"TZID=Europe/Paris" in ics.content
    done = staff.post(f"/v1/garage/bookings/{bid}/done")
    assert done.json()["status"] == "done"


def test_the_last_bay_goes_once(client, app, world) -> None:
    a, b = Driver(client, app, world), Driver(client, app, world)
    quote, start = quote_and_slot(a, world.garages["near"], COIL, slot_index=2)
    assert book(a, world.garages["near"], COIL, start, quote).status_code == 201
    before = booking_count(app)
    quote_b, _ = quote_and_slot(b, world.garages["near"], COIL)
    assert_error(book(b, world.garages["near"], COIL, start, quote_b), 409, "slot_taken")
    assert booking_count(app) == before


def test_bad_bookings_write_nothing(client, app, world) -> None:
    driver = Driver(client, app, world)
    classic = world.garages["classic"]
    quote, start = quote_and_slot(driver, world.garages["near"], COIL)
    before = booking_count(app)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).replace(minute=0, second=0,
                                                                     microsecond=0)  # fmt: skip
    assert_error(book(driver, world.garages["near"], COIL, past.isoformat(), quote), 422,
                 "slot_in_past")  # fmt: skip
    # classic: closed 12:00-14:00 Paris; next week's Tuesday 13:00 Paris is lunch
    q_classic = driver.post(
        "/v1/quotes", json={"vehicle_id": driver.vehicle_id, "garage_ids": [classic], **COIL}
    ).json()[0]
    lunch = _next_weekday_paris(1, 13)
    assert_error(book(driver, classic, COIL, lunch, q_classic["quote"]), 422,
                 "outside_opening_hours")  # fmt: skip
    assert_error(book(driver, world.garages["brakes_only"], COIL, start, quote), 409,
                 "service_not_offered")  # fmt: skip
    assert_error(book(driver, world.garages["near"], COIL, start, quote, consent=False), 422,
                 "consent_required")  # fmt: skip
    assert booking_count(app) == before


def _next_weekday_paris(weekday: int, hour: int) -> str:
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    day = dt.datetime.now(paris).date() + dt.timedelta(days=7)
    while day.weekday() != weekday:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=paris).isoformat()


def test_changed_prices_refresh_the_quote_and_ask_again(client, app, world) -> None:
    from parts.models import Offer, Part

    driver = Driver(client, app, world)
    garage = add_garage(app, world, f"prices-{driver.id}", 2.0)
    quote, start = quote_and_slot(driver, garage, COIL)
    with Session(app.state.engine) as s:  # the supplier raises the cheapest coil's price
        part_id = s.scalar(select(Part.id).where(Part.brand == world.coil_brands[1]))
        offer = s.scalar(select(Offer).where(Offer.part_id == part_id))
        old = offer.price_minor
        offer.price_minor = old + 500
        s.commit()
    try:
        before = booking_count(app)
        body = assert_error(book(driver, garage, COIL, start, quote), 409, "quote_changed")
        fresh = body["details"]["quote"]
        assert fresh["fingerprint"] != quote["fingerprint"]
        assert fresh["total_incl_vat_cents"] > quote["total_incl_vat_cents"]
        assert booking_count(app) == before
        assert book(driver, garage, COIL, start, fresh).status_code == 201  # consented again
    finally:
        with Session(app.state.engine) as s:
            s.scalar(select(Offer).where(Offer.part_id == part_id)).price_minor = old
            s.commit()


def test_cancel_and_reschedule_follow_the_garage_rules(client, app, world) -> None:
    driver = Driver(client, app, world)
    # 48 h notice rule: a slot within the next hours can be neither cancelled nor moved
    strict = add_garage(app, world, f"strict-{driver.id}", 2.5, cancel=48)
    quote, start = quote_and_slot(driver, strict, COIL)
    bid = book(driver, strict, COIL, start, quote).json()["id"]
    body = assert_error(driver.post(f"/v1/bookings/{bid}/cancel"), 409, "garage_rule")
    assert body["details"]["hours"] == 48
    later = (dt.datetime.fromisoformat(start) + dt.timedelta(days=5)).isoformat()
    assert_error(driver.post(f"/v1/bookings/{bid}/reschedule", json={"start": later}), 409,
                 "garage_rule")  # fmt: skip
    # 2 h notice: a booking three days ahead can be moved then cancelled
    lenient = add_garage(app, world, f"lenient-{driver.id}", 2.6, cancel=2)
    q2, _ = quote_and_slot(driver, lenient, COIL)
    ahead = dt.datetime.fromisoformat(start) + dt.timedelta(days=3)
    r = book(driver, lenient, COIL, ahead.isoformat(), q2)
    assert r.status_code == 201, r.text
    bid2 = r.json()["id"]
    moved = driver.post(
        f"/v1/bookings/{bid2}/reschedule",
        json={"start": (ahead + dt.timedelta(hours=1)).isoformat()},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["sequence"] == 1 and moved.json()["status"] == "requested"
    assert driver.post(f"/v1/bookings/{bid2}/cancel").json()["status"] == "cancelled"
    assert_error(driver.post(f"/v1/bookings/{bid2}/cancel"), 409, "invalid_state")


def test_quote_increase_needs_driver_approval(client, app, world) -> None:
    driver = Driver(client, app, world)
    garage = add_garage(app, world, f"adjust-{driver.id}", 2.7)
    staff = Staff(client, app, world, garage)
    quote, start = quote_and_slot(driver, garage, COIL)
    bid = book(driver, garage, COIL, start, quote).json()["id"]
    lower = {"lines": [{"kind": "labour", "label": "Labour", "unit_price_cents": 1000,
                        "minutes": 20}]}  # fmt: skip
    r = staff.put(f"/v1/garage/bookings/{bid}/quote", json=lower)
    assert r.status_code == 200 and not r.json()["awaiting_driver_approval"]
    assert r.json()["quote"]["total_incl_vat_cents"] == 1200
    higher = {"lines": [{"kind": "part", "label": "Coil + plug", "quantity": 2,
                         "unit_price_cents": 6000}]}  # fmt: skip
    r = staff.put(f"/v1/garage/bookings/{bid}/quote", json=higher)
    assert (
        r.json()["awaiting_driver_approval"] and r.json()["quote"]["total_incl_vat_cents"] == 1200
    )
    approved = driver.post(f"/v1/bookings/{bid}/quote/approve").json()
    assert approved["quote"]["total_incl_vat_cents"] == 14400 and not approved["pending_quote"]
    assert_error(driver.post(f"/v1/bookings/{bid}/quote/reject"), 409, "invalid_state")


def test_directory_import_rejects_rows_and_rolls_back_when_strict(app, world) -> None:
    import io

    row = '{ref},[TEST] imp,1 rue,36000,X,46.5,1.5,1,"mon 08:00-12:00",{service},60,0,2,2\n'
    good = row.format(ref=f"T{world.tag}-imp", service="diagnosis")
    bad = row.format(ref=f"T{world.tag}-bad", service="teleport")
    from api.garages.errors import ImportFailedError

    with pytest.raises(ImportFailedError) as failed:
        import_directory(app.state.engine, io.StringIO(HEADER + good + bad), strict=True)
    assert failed.value.report.rejected == [(3, "unknown service 'teleport'")]
    with Session(app.state.engine) as s:
        from api.garages.models import Garage

        assert s.scalar(select(Garage.id).where(Garage.ref == f"T{world.tag}-imp")) is None
    report = import_directory(app.state.engine, io.StringIO(HEADER + good + bad))
    assert report.committed and report.created == 1 and [r[0] for r in report.rejected] == [3]


# ----------------------------------------------------------------------- authorization

GARAGE_VERBS = [
    ("get", "/v1/garage/bookings/{id}", None),
    ("get", "/v1/garage/bookings/{id}/diagnosis", None),
    ("get", "/v1/garage/bookings/{id}/ics", None),
    ("post", "/v1/garage/bookings/{id}/accept", None),
    ("post", "/v1/garage/bookings/{id}/decline", None),
    ("post", "/v1/garage/bookings/{id}/done", None),
    ("put", "/v1/garage/bookings/{id}/quote",
     {"lines": [{"kind": "labour", "label": "x", "unit_price_cents": 1}]}),
]  # fmt: skip
DRIVER_VERBS = [
    ("get", "/v1/bookings/{id}", None),
    ("get", "/v1/bookings/{id}/ics", None),
    ("post", "/v1/bookings/{id}/cancel", None),
    ("post", "/v1/bookings/{id}/reschedule", {"start": "2030-01-07T09:00:00+01:00"}),
    ("post", "/v1/bookings/{id}/quote/approve", None),
    ("post", "/v1/bookings/{id}/quote/reject", None),
]


@pytest.fixture(scope="module")
def booked(client, app, world):
    """A booking at 'near' by one driver, with that garage's staff and another garage's."""
    driver = Driver(client, app, world)
    quote, start = quote_and_slot(driver, world.garages["near"], COIL, slot_index=6)
    r = book(driver, world.garages["near"], COIL, start, quote)
    assert r.status_code == 201, r.text
    return {
        "id": r.json()["id"], "driver": driver,
        "staff": Staff(client, app, world, world.garages["near"]),
        "other_staff": Staff(client, app, world, world.garages["far"]),
    }  # fmt: skip


def _call(user, method: str, path: str, body, booking_id: int):
    url = path.format(id=booking_id)
    kwargs = {"json": body} if body is not None else {}
    return getattr(user.client, method)(url, headers=user.headers, **kwargs)


@pytest.mark.parametrize(("method", "path", "body"), GARAGE_VERBS)
def test_another_garage_gets_404(booked, method, path, body) -> None:
    r = _call(booked["other_staff"], method, path, body, booked["id"])
    assert_error(r, 404, "not_found")
    # the driver is not staff either: garage routes are 404 for them too
    assert_error(_call(booked["driver"], method, path, body, booked["id"]), 404, "not_found")


@pytest.mark.parametrize(("method", "path", "body"), DRIVER_VERBS)
def test_another_driver_or_the_garage_gets_404_on_driver_routes(booked, method, path, body):
    for who in ("other_staff", "staff"):  # staff are drivers too, of their own cars only
        assert_error(_call(booked[who], method, path, body, booked["id"]), 404, "not_found")


def test_booking_with_someone_elses_vehicle_is_404(client, app, world, booked) -> None:
    staff = booked["staff"]
    quote, start = quote_and_slot(booked["driver"], world.garages["near"], COIL)
    body = {
        "garage_id": world.garages["near"],
        "vehicle_id": booked["driver"].vehicle_id,
        "start": start,
        "quote_fingerprint": quote["fingerprint"],
        "consent": True,
        **COIL,
    }
    assert_error(staff.post("/v1/bookings", json=body), 404, "not_found")
    for url in ("/v1/quotes", "/v1/garages/slot-search"):
        r = staff.post(url, json={"vehicle_id": booked["driver"].vehicle_id, "postcode": "75011",
                                  **COIL})  # fmt: skip
        assert_error(r, 404, "not_found")


def test_every_booking_route_has_a_not_yours_test(app) -> None:
    covered = {(m.upper(), p.replace("{id}", "{booking_id}")) for m, p, _ in
               GARAGE_VERBS + DRIVER_VERBS}  # fmt: skip
    routes = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if "{booking_id}" in path
        for method in operations
    }
    assert routes == covered


def test_slot_search_sees_new_bookings_and_cancellations(client, app, world) -> None:
    """The searches' cache of bookings follows each garage's version: a booking made or
    cancelled since the last search shows at once."""
    driver = Driver(client, app, world)
    garage = add_garage(app, world, f"cache-{driver.id}", 0.2, cancel=0)
    body = {"vehicle_id": driver.vehicle_id, "latitude": world.latitude,
            "longitude": world.longitude, "radius_km": 0.5, "days": 2, "sort": "distance",
            "per_garage": 1, **COIL}  # fmt: skip

    def first_slot() -> str:
        r = driver.post("/v1/garages/slot-search", json=body)
        assert r.status_code == 200, r.text
        return next(g for g in r.json()["results"] if g["garage"]["id"] == garage)["slots"][0][
            "start"
        ]

    start = first_slot()
    quote, _ = quote_and_slot(driver, garage, COIL)
    r = book(driver, garage, COIL, start, quote)
    assert r.status_code == 201, r.text
    assert first_slot() != start
    assert driver.post(f"/v1/bookings/{r.json()['id']}/cancel").status_code == 200
    assert first_slot() == start


def test_earliest_top_k_equals_sorting_every_garage(app, world, driver) -> None:
    """The threshold search by earliest slot gives the same garages as computing every
    garage's first free slot and sorting them all."""
    from api.garages import service
    from api.garages.quotes import work_for_part_types

    now = dt.datetime.now(dt.UTC)
    items = work_for_part_types({"ignition_coil": 1})
    with Session(app.state.engine) as s:
        near = service.garages_near(s, world.latitude, world.longitude, 12,
                                    services=["engine_repair"])  # fmt: skip
        every = []
        for n in near:
            bookings = service.active_bookings(s, [n.garage.id], now, now + dt.timedelta(days=4))
            first = service._first_slots(n.garage, 20, bookings.get(n.garage.id, []), now, 3, 1)
            if first:
                every.append((first[0].start, n.distance_km, n.garage.id))
        for limit in (1, 2, 3):
            found = service.search_slots(s, near, items, {}, now=now, days=3, per_garage=1,
                                         sort="earliest", limit=limit)  # fmt: skip
            assert [g.nearby.garage.id for g in found] == [e[2] for e in sorted(every)[:limit]]
