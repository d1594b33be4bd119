"""Garage accounts: a user claims a garage of the directory with a one-time invite code,
then sees that garage's bookings and no other's (404 for every verb)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from api.garages.accounts import issue_invite
from api.garages.models import GarageInvite, GarageStaff
from tests.api.conftest import User, assert_error
from tests.api.garages.conftest import Driver, add_garage, book, quote_and_slot
from tests.api.garages.test_api import COIL, GARAGE_VERBS, _call

# Garages made here stand away from the world's centre: the directory tests count its
# garages within 10 km.
AWAY = 25.0


def _invite(app, garage_id: int, days: int = 14, now: dt.datetime | None = None) -> str:
    with app.state.sessions() as s:
        return issue_invite(s, garage_id, now or dt.datetime.now(dt.UTC), days)


def _staff_rows(app, user_id: int) -> list[int]:
    with app.state.sessions() as s:
        return list(s.scalars(select(GarageStaff.garage_id).where(GarageStaff.user_id == user_id)))


def _claim(user: User, code: str):
    return user.post("/v1/garage/account", json={"invite_code": code})


def test_an_invite_code_makes_an_account_the_garages_once(app, client, world) -> None:
    garage = add_garage(app, world, "claimed", AWAY)
    mechanic = User(client)
    assert mechanic.get("/v1/garage/account").json() == {"user_id": mechanic.id, "garages": []}
    code = _invite(app, garage)
    r = _claim(mechanic, code)
    assert r.status_code == 201, r.text
    assert [g["id"] for g in r.json()["garages"]] == [garage]
    assert mechanic.get("/v1/garage/account").json() == r.json()
    with app.state.sessions() as s:  # only the digest of the code is stored
        invite = s.scalar(select(GarageInvite).where(GarageInvite.garage_id == garage))
        assert invite.used_by == mechanic.id and code not in invite.code_hash
    # a code works once: another account cannot use it again
    assert_error(_claim(User(client), code), 404, "invalid_invite")


def test_bad_codes_change_nothing(app, client, world) -> None:
    garage = add_garage(app, world, "unclaimed", AWAY)
    user = User(client)
    assert_error(_claim(user, "GAR-not-a-code-at-all"), 404, "invalid_invite")
    assert_error(_claim(user, "short"), 422, "validation_error")
    assert_error(user.post("/v1/garage/account", json={}), 422, "validation_error")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=15)
    assert_error(_claim(user, _invite(app, garage, 14, now=past)), 404, "invalid_invite")
    assert _staff_rows(app, user.id) == []
    fresh = _invite(app, garage)
    assert _claim(user, fresh).status_code == 201
    again = _invite(app, garage)
    assert_error(_claim(user, again), 409, "invalid_state")  # already its staff: code kept
    other = User(client)
    assert _claim(other, again).status_code == 201


def test_invites_are_issued_for_known_garages_and_sane_durations(app) -> None:
    from api.garages.errors import InvalidInputError, NotFoundError

    with pytest.raises(NotFoundError):
        _invite(app, 2_000_000_000)
    with pytest.raises(InvalidInputError):
        _invite(app, 1, days=0)


def test_a_claimed_garage_sees_its_own_bookings_only(app, client, world) -> None:
    mine = add_garage(app, world, "mine", AWAY)
    theirs = world.garages["mid"]
    driver = Driver(client, app, world)
    quote, start = quote_and_slot(driver, theirs, COIL, slot_index=9)
    other_booking = book(driver, theirs, COIL, start, quote).json()["id"]
    quote, start = quote_and_slot(driver, mine, COIL)
    my_booking = book(driver, mine, COIL, start, quote).json()["id"]
    mechanic = User(client)
    assert _claim(mechanic, _invite(app, mine)).status_code == 201
    assert [b["id"] for b in mechanic.get("/v1/garage/bookings").json()] == [my_booking]
    for method, path, body in GARAGE_VERBS:
        assert_error(_call(mechanic, method, path, body, other_booking), 404, "not_found")
        # its own booking is reached (a verb may be refused by the booking's state: 409)
        r = _call(mechanic, method, path, body, my_booking)
        assert r.status_code in (200, 409), (path, r.text)
