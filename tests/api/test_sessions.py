"""Sessions: chunked uploads (raw lines decoded by obdcore and/or readings), idempotency,
CSV export, stateless decoding, DTC look-up, Torque Pro's web upload."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import pytest

from tests.api.conftest import assert_error

SAMPLE = Path(__file__).resolve().parents[2] / "obdcore" / "samples" / "sample_session.txt"


def sample_lines() -> list:
    """The bundled sample ELM327 session, one line every 0.1 s, as upload rows."""
    lines = SAMPLE.read_bytes().decode().split("\r")  # the adapter ends lines with CR
    return [[round(i * 0.1, 1), line] for i, line in enumerate(lines)]


@pytest.fixture
def vehicle(user) -> dict:
    return user.post("/v1/vehicles", json={"name": "test car"}).json()


@pytest.fixture
def drive(user, vehicle) -> dict:
    r = user.post(f"/v1/vehicles/{vehicle['id']}/sessions", json={"name": "drive"})
    assert r.status_code == 201, r.text
    return r.json()


def _upload(user, drive, body, key=None):
    return user.post(
        f"/v1/sessions/{drive['id']}/uploads",
        json=body,
        headers={"Idempotency-Key": key or uuid.uuid4().hex},
    )


def test_raw_lines_are_decoded_and_stored(user, drive) -> None:
    r = _upload(user, drive, {"lines": sample_lines()})
    assert r.status_code == 201, r.text
    result = r.json()
    from obdcore import Decoder

    expected = len(Decoder(protocol="6", headers=True).decode_batch(SAMPLE.read_bytes()))
    assert result["dtcs"] == ["P0171", "P0174", "P0300"] and result["readings"] == expected
    assert user.get(f"/v1/sessions/{drive['id']}").json()["reading_count"] == result["readings"]
    rows = list(
        csv.DictReader(io.StringIO(user.get(f"/v1/sessions/{drive['id']}/export.csv").text))
    )
    assert len(rows) == result["readings"]
    rpm = [row for row in rows if row["name"] == "RPM"]
    assert rpm[0]["value"] == "800.0" and rpm[0]["unit"] == "rpm" and rpm[0]["ecu"] == "7E8"
    # the time of a reading is the time of the line that completed the answer
    index = next(
        i
        for i, x in enumerate([text for _, text in sample_lines()])
        if x.startswith("7E8 21 05 7B")
    )
    assert float(rpm[0]["t"]) == pytest.approx(index * 0.1)
    assert {row["text"] for row in rows if row["unit"] == "dtc"} == {"P0171", "P0174", "P0300"}


def test_chunks_and_app_decoded_readings(user, drive) -> None:
    first = _upload(
        user,
        drive,
        {"readings": [[1.0, "SPEED", 42.0, "km/h"]]},
    )
    second = _upload(user, drive, {"readings": [[2.0, "SPEED", 50.0, "km/h"]]})
    assert first.status_code == second.status_code == 201
    assert user.get(f"/v1/sessions/{drive['id']}").json()["reading_count"] == 2


def test_a_retry_with_the_same_key_returns_the_first_result(user, drive) -> None:
    body = {"lines": sample_lines()}
    first = _upload(user, drive, body, key="chunk-1")
    again = _upload(user, drive, body, key="chunk-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    count = user.get(f"/v1/sessions/{drive['id']}").json()["reading_count"]
    assert count == first.json()["readings"]
    other_body = {"readings": [[0, "RPM", 1.0, "rpm"]]}
    assert_error(_upload(user, drive, other_body, key="chunk-1"), 409, "idempotency_key_reused")


def test_bad_uploads_are_refused_and_store_nothing(user, drive) -> None:
    url = f"/v1/sessions/{drive['id']}/uploads"
    assert_error(user.post(url, json={"lines": sample_lines()}), 422, "validation_error")
    for body in (
        {},
        {"readings": [[-1, "RPM", 1, ""]]},
        {"readings": [[1, "RPM", "NaN", ""]]},
        {"readings": [[1, "RPM", 1]]},
        {"lines": []},
        {"lines": [[1]]},
    ):
        assert_error(_upload(user, drive, body), 422, "validation_error")
    assert user.get(f"/v1/sessions/{drive['id']}").json()["reading_count"] == 0


def test_sessions_are_listed_per_vehicle_and_deleted(user, vehicle, drive) -> None:
    listed = user.get(f"/v1/vehicles/{vehicle['id']}/sessions").json()
    assert [s["id"] for s in listed] == [drive["id"]]
    assert user.delete(f"/v1/sessions/{drive['id']}").status_code == 204
    assert_error(user.get(f"/v1/sessions/{drive['id']}"), 404, "not_found")


def test_deleting_the_vehicle_deletes_its_sessions(user, vehicle, drive) -> None:
    _upload(user, drive, {"lines": sample_lines()})
    assert user.delete(f"/v1/vehicles/{vehicle['id']}").status_code == 204
    assert_error(user.get(f"/v1/sessions/{drive['id']}"), 404, "not_found")


def test_stateless_decode_matches_the_decoder(user) -> None:
    from obdcore import Decoder

    lines = [text for _, text in sample_lines()]
    r = user.post("/v1/decode", json={"lines": lines})
    assert r.status_code == 200, r.text
    body = r.json()
    batch = Decoder(protocol="6", headers=True).decode_batch("\r".join(lines))
    assert body["value"] == batch.value.tolist() and body["line"] == batch.line.tolist()
    assert [body["names"][f] for f in body["field"]][:2] == ["RPM", "SPEED"]
    assert {d["code"] for d in body["dtcs"]} == {"P0171", "P0174", "P0300"}
    assert_error(
        user.post(
            "/v1/decode",
            json={
                "lines": [],
            },
        ),
        422,
        "validation_error",
    )
    assert_error(
        user.post("/v1/decode", json={"lines": ["41 0C"], "protocol": "Z"}), 422, "validation_error"
    )


def test_dtc_lookup(user) -> None:
    body = user.get("/v1/dtcs/p0171").json()
    assert body["code"] == "P0171" and "lean" in body["description_en"].lower()
    assert_error(user.get("/v1/dtcs/X1234"), 422, "validation_error")


def test_torque_web_upload_lands_in_the_keys_vehicle(client, user, vehicle) -> None:
    key = user.post("/v1/api-keys", json={"name": "torque", "vehicle_id": vehicle["id"]}).json()[
        "key"
    ]
    start = 1_733_000_000_000
    base = {"session": str(start), "id": "abc123", "eml": "x@example.com", "v": "8", "key": key}
    # Torque first sends its profile and units: accepted, nothing stored
    assert (
        client.get("/v1/torque", params={**base, "profileName": "Car", "userUnit0c": "rpm"}).text
        == "OK!"
    )
    for i, rpm in enumerate((812.0, 1500.0)):
        r = client.get(
            "/v1/torque",
            params={
                **base,
                "time": str(start + 1000 * i),
                "k0c": str(rpm),
                "k0d": "30",
                "kff1005": "2.35",
            },
        )
        assert r.status_code == 200 and r.text == "OK!"
    # a retried sample is not stored twice
    client.get("/v1/torque", params={**base, "time": str(start + 1000), "k0c": "1500.0"})
    sessions = user.get(f"/v1/vehicles/{vehicle['id']}/sessions").json()
    assert len(sessions) == 1 and sessions[0]["source"] == "torque"
    assert sessions[0]["external_id"] == str(start) and sessions[0]["reading_count"] == 6
    rows = list(
        csv.DictReader(io.StringIO(user.get(f"/v1/sessions/{sessions[0]['id']}/export.csv").text))
    )
    assert [(r["t"], r["name"], r["value"]) for r in rows if r["name"] == "RPM"] == [
        ("0.0", "RPM", "812.0"),
        ("1.0", "RPM", "1500.0"),
    ]
    assert {r["name"] for r in rows} == {"RPM", "SPEED", "torque_ff1005"}


def test_torque_needs_a_key_with_a_vehicle(client, user) -> None:
    assert_error(client.get("/v1/torque", params={"session": "1", "k0c": "1"}), 401, "unauthorized")
    assert_error(
        client.get("/v1/torque", params={"session": "1", "key": "nve_nope"}), 401, "unauthorized"
    )
    key = user.post("/v1/api-keys", json={"name": "no car"}).json()["key"]
    r = client.get("/v1/torque", params={"session": "1", "time": "5", "k0c": "1", "key": key})
    assert_error(r, 400, "api_key_without_vehicle")
