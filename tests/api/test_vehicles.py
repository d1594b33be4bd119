"""Vehicles: by hand, from a VIN, from a registration-card photo; the catalogue link."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from api.vehicles.models import CardReading
from parts.models import KnownVehicle, VehicleType
from tests.api.conftest import assert_error


@pytest.fixture(scope="module")
def clio_type(app) -> int:
    """A catalogue vehicle type with a CNIT and a type code (one per backend)."""
    with app.state.sessions() as s:
        existing = s.query(VehicleType).filter_by(cnit="M10RENVP000E123").first()
        if existing:
            return existing.id
        vt = VehicleType(
            make="RENAULT",
            make_norm="RENAULT",
            model="Clio IV",
            variant="1.2 16V",
            engine_code="D4F",
            capacity_cc=1149,
            power_kw=54,
            fuel="ES",
            year_from=2012,
            year_to=2019,
            type_code="5RDAN2",
            cnit="M10RENVP000E123",
        )
        s.add(vt)
        s.commit()
        return vt.id


def test_create_by_hand_read_update_delete(user) -> None:
    r = user.post(
        "/v1/vehicles",
        json={
            "name": "Van",
            "make": "Citroen",
            "year": 2011,
            "fuel": "diesel",
            "plate": "ab 123 cd",
        },
    )
    assert r.status_code == 201, r.text
    vehicle = r.json()
    assert vehicle["plate"] == "AB-123-CD" and vehicle["vehicle_type_id"] is None
    url = f"/v1/vehicles/{vehicle['id']}"
    assert user.get(url).json()["name"] == "Van"
    r = user.patch(url, json={"mileage_km": 120_000, "name": "Old van"})
    assert r.json()["mileage_km"] == 120_000 and r.json()["year"] == 2011
    assert [v["id"] for v in user.get("/v1/vehicles").json()] == [vehicle["id"]]
    assert user.delete(url).status_code == 204
    assert_error(user.get(url), 404, "not_found")


def test_bad_vehicle_input_is_a_clear_422(user) -> None:
    cases = [
        ({"vin": "VF1BR0E0F1234567O"}, "validation_error"),
        ({"plate": "not a plate"}, "validation_error"),
        ({"year": 1800}, "validation_error"),
    ]
    for body, code in cases:
        assert_error(user.post("/v1/vehicles", json=body), 422, code)
    unknown_type = {"vehicle_type_id": 2_000_000_000}
    assert_error(user.post("/v1/vehicles", json=unknown_type), 404, "unknown_vehicle_type")
    assert user.get("/v1/vehicles").json() == []  # nothing half-written


def test_one_plate_per_owner_but_the_same_plate_for_two_owners(user, other) -> None:
    assert user.post("/v1/vehicles", json={"plate": "EF-456-GH"}).status_code == 201
    assert_error(user.post("/v1/vehicles", json={"plate": "ef456gh"}), 409, "plate_taken")
    assert other.post("/v1/vehicles", json={"plate": "EF-456-GH"}).status_code == 201


def test_create_from_a_vin_decodes_it_offline(user) -> None:
    r = user.post("/v1/vehicles", json={"vin": "vf1br0e0ff2345678"})  # 10th: F = 2015
    assert r.status_code == 201, r.text
    v = r.json()
    assert v["vin"] == "VF1BR0E0FF2345678" and v["make"] == "RENAULT"
    assert v["year"] == 2015 and v["vin_info"]["wmi"] == "VF1"
    decoded = user.get("/v1/vin/VF1BR0E0FF2345678").json()
    assert decoded["make"] == "RENAULT" and 2015 in decoded["model_years"]


def test_a_card_code_links_the_catalogue_type_and_the_plate_is_remembered_per_owner(
    app, user, other, clio_type
) -> None:
    from api.accounts.models import User as UserRow
    from api.vehicles import service

    with app.state.sessions() as s:
        owner = s.get(UserRow, user.id)
        v = service.create(
            s, owner, {"plate": "GH-789-JK"}, card={"D.2.1": "M10RENVP000E123", "D.1": "RENAULT"}
        )
        assert v.vehicle_type_id == clio_type
        known = s.query(KnownVehicle).filter_by(plate="GH-789-JK").all()
        assert [(k.owner, k.vehicle_type_id) for k in known] == [(f"user:{user.id}", clio_type)]
    ident = user.get(f"/v1/vehicles/{v.id}/identification").json()
    assert ident["linked_vehicle_type_id"] == clio_type
    assert ident["candidates"][0]["vehicle_type"]["id"] == clio_type
    # the other user's car with the same plate learns nothing from it
    theirs = other.post("/v1/vehicles", json={"plate": "GH-789-JK"}).json()
    assert theirs["vehicle_type_id"] is None
    assert other.get(f"/v1/vehicles/{theirs['id']}/identification").json()["candidates"] == []


def test_the_user_may_choose_the_catalogue_type(user, clio_type) -> None:
    v = user.post("/v1/vehicles", json={"vin": "VF1BR0E0F12345678"}).json()
    r = user.patch(f"/v1/vehicles/{v['id']}", json={"vehicle_type_id": clio_type})
    assert r.json()["vehicle_type_id"] == clio_type


# --- registration-card photos ---------------------------------------------------------


def _png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (width, height), 255).save(buf, "PNG")
    return buf.getvalue()


def _upload(user, data: bytes, content_type: str = "image/png"):
    return user.post("/v1/card-readings", content=data, headers={"Content-Type": content_type})


def test_card_upload_refuses_what_is_not_an_image_by_content(user) -> None:
    # the header says PNG, the content is a PDF: the content wins
    assert_error(_upload(user, b"%PDF-1.7 not an image"), 415, "unsupported_media_type")
    assert_error(_upload(user, b""), 415, "unsupported_media_type")
    assert_error(_upload(user, b"\x89PNG\r\n\x1a\n" + b"\0" * 50), 422, "not_an_image")


def test_card_upload_size_is_counted_on_the_stream(database_url, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.api.conftest import User, make_settings

    app = create_app(make_settings(database_url, tmp_path, upload_max_bytes=4096))
    with TestClient(app, raise_server_exceptions=False) as c:
        u = User(c)

        def body():  # a chunked body: no Content-Length to trust
            yield b"\xff\xd8\xff" + b"\0" * 2000
            yield b"\0" * 4000

        r = u.post("/v1/card-readings", content=body(), headers={"Content-Type": "image/jpeg"})
        assert_error(r, 413, "payload_too_large")


def test_card_upload_refuses_too_many_pixels_before_decoding(database_url, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.api.conftest import User, make_settings

    app = create_app(make_settings(database_url, tmp_path, upload_max_pixels=100_000))
    with TestClient(app, raise_server_exceptions=False) as c:
        r = _upload(User(c), _png(1000, 101))
        body = assert_error(r, 413, "image_too_large")
        assert body["details"]["width"] == 1000


@pytest.fixture(scope="session")
def card_photo() -> tuple[bytes, dict]:
    """A generated card (fixed seed) and its ground truth."""
    from ocr import synth

    card = synth.make_card(np.random.default_rng(7))
    return synth.scan_bytes(card.image), card.truth


def _sqlite_app(tmp_path, **overrides):
    from api.app import create_app
    from api.database import make_engine, upgrade
    from tests.api.conftest import make_settings

    url = f"sqlite:///{tmp_path / 'ocr.sqlite3'}"
    upgrade(make_engine(url))
    return create_app(make_settings(url, tmp_path, **overrides))


@pytest.fixture(scope="session")
def ocr_upload(tmp_path_factory, card_reader, card_photo) -> dict:
    """One real upload through the route (one OCR read per test session: ~10 s): the
    reading returned, and what the other user got for it. The app has been started and
    shut down once before (as an ASGI test client per request does): its OCR thread
    must come back with the second start."""
    from fastapi.testclient import TestClient

    from tests.api.conftest import User

    app = _sqlite_app(tmp_path_factory.mktemp("ocr"))
    app.state.ocr._reader = card_reader
    with TestClient(app, raise_server_exceptions=False):
        pass
    with TestClient(app, raise_server_exceptions=False) as c:
        owner, stranger = User(c), User(c)
        r = _upload(owner, card_photo[0])
        assert r.status_code == 201, r.text
        reading = r.json()
        return {
            "reading": reading,
            "owner_reads": owner.get(f"/v1/card-readings/{reading['id']}").json(),
            "stranger": stranger.get(f"/v1/card-readings/{reading['id']}"),
            "result": app.state.sessions().get(CardReading, reading["id"]).result,
        }


def test_a_card_photo_is_read_with_a_confidence_per_field(ocr_upload, card_photo) -> None:
    truth, reading = card_photo[1], ocr_upload["reading"]
    for code in ("A", "E", "D.1", "D.2.1"):
        assert reading["fields"][code]["text"].replace("-", "") == truth[code].replace("-", "")
        assert 0 < reading["fields"][code]["confidence"] <= 1
    assert reading["vehicle_id"] is None
    assert ocr_upload["owner_reads"]["id"] == reading["id"]
    assert_error(ocr_upload["stranger"], 404, "not_found")


def test_a_confirmed_card_reading_becomes_a_vehicle(
    app, user, other, ocr_upload, card_photo
) -> None:
    """On both backends, from the real OCR result of the upload above."""
    from api.accounts.models import User as UserRow
    from api.vehicles import service

    truth = card_photo[1]
    with app.state.sessions() as s:
        reading = service.store_card_reading(s, s.get(UserRow, user.id), ocr_upload["result"])
    url = f"/v1/card-readings/{reading.id}/confirm"
    assert_error(other.post(url, json={}), 404, "not_found")
    assert_error(other.get(f"/v1/card-readings/{reading.id}"), 404, "not_found")
    r = user.post(
        url, json={"corrections": [{"code": "A", "text": "ZZ-999-ZZ"}], "name": "from the card"}
    )
    assert r.status_code == 201, r.text
    vehicle = r.json()
    assert vehicle["plate"] == "ZZ-999-ZZ" and vehicle["vin"] == truth["E"]
    assert vehicle["make"] == truth["D.1"] and vehicle["name"] == "from the card"
    assert vehicle["card"]["D.2.1"] == truth["D.2.1"]
    assert user.get(f"/v1/card-readings/{reading.id}").json()["vehicle_id"] == vehicle["id"]
    assert_error(user.post(url, json={}), 409, "already_confirmed")


def test_ocr_has_a_time_budget(tmp_path, card_reader, card_photo) -> None:
    from fastapi.testclient import TestClient

    from tests.api.conftest import User

    app = _sqlite_app(tmp_path, ocr_timeout_s=0.05)
    app.state.ocr._reader = card_reader
    with TestClient(app, raise_server_exceptions=False) as c:
        assert_error(_upload(User(c), card_photo[0]), 504, "ocr_timeout")


def test_ocr_is_rate_limited_per_user(tmp_path) -> None:
    from fastapi.testclient import TestClient

    from tests.api.conftest import User

    with TestClient(_sqlite_app(tmp_path, rate_ocr_per_hour=2), raise_server_exceptions=False) as c:
        u = User(c)
        codes = [_upload(u, b"not an image").status_code for _ in range(3)]
    assert codes == [415, 415, 429]
