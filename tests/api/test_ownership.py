"""Every object is reachable only by its owner: generated from the route table.

For every versioned route with a path parameter and every verb it has, another user
calling it with the owner's ids gets a 404 (the same answer as for an id that does not
exist), and then the owner calling it does not. A new route whose path parameter is not
in ``FACTORIES`` (or ``PUBLIC_PARAMS``), or whose body has no entry in ``BODIES``, makes
``test_every_route_is_covered`` fail: add its case here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from api.app import create_app
from api.settings import Settings
from tests.api.conftest import User, assert_error


def _vehicle(owner: User, ids: dict) -> int:
    return owner.post("/v1/vehicles", json={"name": "owned"}).json()["id"]


def _session(owner: User, ids: dict) -> int:
    r = owner.post(f"/v1/vehicles/{ids['vehicle_id']}/sessions", json={})
    return r.json()["id"]


def _api_key(owner: User, ids: dict) -> int:
    return owner.post("/v1/api-keys", json={"name": "owned"}).json()["id"]


def _card_reading(owner: User, ids: dict) -> int:
    from api.accounts.models import User as UserRow
    from api.vehicles import service

    app = owner.client.app
    with app.state.sessions() as s:
        result = {
            "status": "ok",
            "fields": {
                "D.1": {
                    "value": "RENAULT",
                    "text": "RENAULT",
                    "confidence": 0.99,
                    "uncertain": False,
                }
            },
            "uncertain_fields": [],
            "warnings": [],
        }
        return service.store_card_reading(s, s.get(UserRow, owner.id), result).id


def _diagnosis(owner: User, ids: dict) -> int:
    r = owner.post(f"/v1/vehicles/{ids['vehicle_id']}/diagnoses", json={"snapshot": SNAPSHOT})
    assert r.status_code == 201, r.text
    return r.json()["id"]


# A car with a misfire on cylinder 2: the diagnosis names causes and has a next test.
SNAPSHOT = {"schema_version": 1, "mil_on": True, "symptoms": ["rough_idle"],
            "ecus": [{"address": "7E8", "stored": ["P0302"]}]}  # fmt: skip


def _next_answer(owner: User, ids: dict) -> dict:
    """An answer the owner may give: the diagnosis' next test, its first outcome."""
    test = owner.get(f"/v1/diagnoses/{ids['diagnosis_id']}").json()["diagnosis"]["next_test"]
    return {"test": test["id"], "result": test["outcomes"][0]}


# path parameter -> how the owner makes such an object (in this order: later ones may use
# the ids of earlier ones)
FACTORIES: dict[str, Callable[[User, dict], int]] = {
    "vehicle_id": _vehicle,
    "session_id": _session,
    "key_id": _api_key,
    "reading_id": _card_reading,
    "diagnosis_id": _diagnosis,
}
# path parameters that name no one's object (a VIN decoded offline, a DTC, a garage of the
# public directory, a postcode)
PUBLIC_PARAMS = {"vin", "code", "garage_id", "postcode"}


def covered_elsewhere() -> set[tuple[str, str]]:
    """Operations whose "not yours" cases live in their domain's own tests, because they
    need that domain's world (garages: a booking seen by its driver, its garage, another
    garage). Their verb lists are read here, so a route they forget still fails below."""
    from tests.api.garages.test_api import DRIVER_VERBS, GARAGE_VERBS
    from tests.api.test_diagnoses import GUIDED_TEST_ROUTE

    return {
        (m.upper(), p.replace("{id}", "{booking_id}")) for m, p, _ in GARAGE_VERBS + DRIVER_VERBS
    } | {GUIDED_TEST_ROUTE}


# request bodies of the routes that take one (operation id -> body, or a function of the
# owner and the ids that makes it), valid for the owner
BODIES: dict[str, dict | Callable[[User, dict], dict]] = {
    "update_vehicle": {"mileage_km": 1000},
    "create_session": {"name": "x"},
    "upload_chunk": {"readings": [[0.0, "RPM", 800.0, "rpm"]]},
    "confirm_card_reading": {"corrections": []},
    "create_diagnosis": {"snapshot": SNAPSHOT},
    "answer_diagnosis_test": _next_answer,
    "verify_repair": {"snapshot": {"schema_version": 1, "mil_on": False}},
}


class Op:
    """One verb on one path of the OpenAPI schema (the published route table)."""

    def __init__(self, method: str, path: str, op: dict) -> None:
        self.method, self.path, self.name = method.upper(), path, op["operationId"]
        self.params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
        self.has_body = "requestBody" in op

    def __repr__(self) -> str:
        return f"{self.method} {self.path}"


def _operations() -> list[Op]:
    app = create_app(Settings(ocr_preload=False, database_url="sqlite://", log_level="WARNING"))
    return [
        Op(method, path, op)
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/v1/")
        for method, op in item.items()
    ]


OPERATIONS = _operations()


def test_the_route_table_is_read() -> None:
    names = {op.name for op in OPERATIONS}
    assert {"read_vehicle", "delete_vehicle", "upload_chunk", "revoke_api_key"} <= names


def test_every_route_is_covered() -> None:
    missing, elsewhere = [], covered_elsewhere()
    for op in OPERATIONS:
        if (op.method, op.path) in elsewhere:
            continue
        for name in op.params:
            if name not in FACTORIES and name not in PUBLIC_PARAMS:
                missing.append(f"{op}: no factory for {{{name}}}")
        if op.params and op.has_body and op.name not in BODIES:
            missing.append(f"{op}: no body in BODIES for {op.name}")
    assert not missing, "routes without a 'not yours' case:\n" + "\n".join(missing)


OWNED = [
    op
    for op in OPERATIONS
    if any(p in FACTORIES for p in op.params) and (op.method, op.path) not in covered_elsewhere()
]


@pytest.mark.parametrize("op", OWNED, ids=[repr(op) for op in OWNED])
def test_another_users_object_is_a_404_for_every_verb(client, op: Op) -> None:
    owner, stranger = User(client), User(client)
    ids: dict = {}
    for name, make in FACTORIES.items():
        ids[name] = make(owner, ids)
    url = op.path.format(**ids, vin="VF1BR0E0F12345678", code="P0171")
    kwargs = {"headers": {"Idempotency-Key": uuid.uuid4().hex}}
    if op.name in BODIES:
        body = BODIES[op.name]
        kwargs["json"] = body(owner, ids) if callable(body) else body
    assert_error(getattr(stranger, op.method.lower())(url, **kwargs), 404, "not_found")
    # the same request by the owner reaches the object (so the 404 above meant "not yours")
    r = getattr(owner, op.method.lower())(url, **kwargs)
    assert r.status_code < 400, (r.status_code, r.text)


LISTS = [("/v1/vehicles", "vehicle_id"), ("/v1/api-keys", "key_id")]
# lists under one of the caller's objects: the stranger asks for the owner's one
NESTED_LISTS = [("/v1/vehicles/{vehicle_id}/diagnoses", "diagnosis_id"),
                ("/v1/vehicles/{vehicle_id}/sessions", "session_id")]  # fmt: skip


@pytest.mark.parametrize(("url", "kind"), LISTS)
def test_lists_show_only_the_callers_objects(client, url: str, kind: str) -> None:
    owner, stranger = User(client), User(client)
    ids: dict = {}
    for name, make in FACTORIES.items():
        ids[name] = make(owner, ids)
    assert ids[kind] in [x["id"] for x in owner.get(url).json()]
    assert stranger.get(url).json() == []


@pytest.mark.parametrize(("url", "kind"), NESTED_LISTS)
def test_nested_lists_show_only_the_callers_objects(client, url: str, kind: str) -> None:
    owner, stranger = User(client), User(client)
    ids: dict = {}
    for name, make in FACTORIES.items():
        ids[name] = make(owner, ids)
    assert ids[kind] in [x["id"] for x in owner.get(url.format(**ids)).json()]
    mine = stranger.post("/v1/vehicles", json={"name": "mine"}).json()["id"]
    assert stranger.get(url.format(vehicle_id=mine)).json() == []
    assert_error(stranger.get(url.format(**ids)), 404, "not_found")
