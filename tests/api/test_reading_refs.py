"""A reading always belongs to an existing session and upload, on both databases: on
PostgreSQL these references are checked per statement by triggers (migration 0103), on
SQLite by foreign keys; deleting a session, or the vehicle, deletes its readings."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from api.sessions.models import Reading

LINES = [[0.0, "7E8 04 41 0C 1A F8"], [0.5, "7E8 03 41 0D 32"]]


def _uploaded(user) -> tuple[int, int, int]:
    vehicle = user.post("/v1/vehicles", json={"name": "refs"}).json()["id"]
    drive = user.post(f"/v1/vehicles/{vehicle}/sessions", json={}).json()["id"]
    r = user.post(
        f"/v1/sessions/{drive}/uploads", json={"lines": LINES}, headers={"Idempotency-Key": "k1"}
    )
    assert r.status_code == 201, r.text
    return vehicle, drive, r.json()["upload_id"]


def _readings(app, drive: int) -> int:
    with app.state.engine.connect() as conn:
        return conn.scalar(select(func.count()).where(Reading.session_id == drive))


def _row(drive: int, upload: int) -> dict:
    return dict(session_id=drive, upload_id=upload, t=1.0, ecu=0x7E8, name="RPM", value=1.0,
                unit="rpm")  # fmt: skip


@pytest.mark.parametrize("missing", ["session", "upload"])
def test_a_reading_of_a_missing_session_or_upload_is_refused(app, user, missing) -> None:
    _, drive, upload = _uploaded(user)
    row = _row(drive + 1_000_000 if missing == "session" else drive, upload)
    if missing == "upload":
        row["upload_id"] = upload + 1_000_000
    with pytest.raises(IntegrityError), app.state.engine.begin() as conn:
        conn.execute(insert(Reading), [_row(drive, upload), row])
    assert _readings(app, drive) == 2  # the statement wrote nothing


def test_deleting_a_session_or_its_vehicle_deletes_its_readings(app, user) -> None:
    _, drive, _ = _uploaded(user)
    assert _readings(app, drive) == 2
    assert user.delete(f"/v1/sessions/{drive}").status_code == 204
    assert _readings(app, drive) == 0
    vehicle, drive, _ = _uploaded(user)
    assert user.delete(f"/v1/vehicles/{vehicle}").status_code == 204
    assert _readings(app, drive) == 0
