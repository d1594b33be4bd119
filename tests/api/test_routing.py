"""The flattened, prefix-indexed route table (api.core.routing) answers exactly as FastAPI's
own nested table: same schema, same route for every request, same errors."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match, Mount

import api.app
from api.core.routing import RouteIndex, flatten_routes, request_key
from api.deps import CurrentUser, IdPath, SessionDep
from api.settings import Settings
from api.vehicles import service
from tests.api.conftest import User, assert_error, make_settings


def _settings() -> Settings:
    return Settings(ocr_preload=False, database_url="sqlite://", log_level="WARNING")


def test_the_schema_is_the_nested_apps_schema(monkeypatch) -> None:
    flat = api.app.create_app(_settings()).openapi()
    monkeypatch.setattr(api.app, "flatten_routes", lambda app: None)
    monkeypatch.setattr(api.app, "install_route_index", lambda app: None)
    nested_app = api.app.create_app(_settings())
    assert not isinstance(nested_app.router.middleware_stack, RouteIndex)
    # same paths in the same order, same operation ids, parameters, bodies, responses
    assert list(flat["paths"]) == list(nested_app.openapi()["paths"])
    assert flat == nested_app.openapi()


def _full_scan(routes: list, scope: dict):
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
    return None


def _scope(method: str, path: str) -> dict:
    kind = "websocket" if method == "WS" else "http"
    return {"type": kind, "method": method, "path": path, "root_path": "", "headers": []}


def test_every_route_is_found_and_the_same_as_the_full_scans() -> None:
    app = api.app.create_app(_settings())
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    routes = list(app.router.routes)
    checked = 0
    for route in routes:
        path = re.sub(r"\{[^}]+\}", "1", route.path)  # every parameter of ours takes a 1
        for method in getattr(route, "methods", None) or {"WS"}:
            scope = _scope(method, path)
            found = index.lookup(dict(scope))
            assert found is not None, f"{method} {path} not indexed"
            assert found[0] is _full_scan(routes, scope), f"{method} {path}"
            checked += 1
    assert checked > 60
    # what the index does not decide goes to the router's own scan
    assert index.lookup(_scope("GET", "/nowhere/at/all")) is None
    assert index.lookup(_scope("PUT", "/v1/vehicles/1")) is None  # a 405: the router says so
    assert index.lookup({"type": "lifespan"}) is None


def test_request_keys() -> None:
    assert request_key("/v1/vehicles/12/sessions") == ("v1", "vehicles")
    assert request_key("/v1/vehicles") == ("v1", "vehicles")
    assert request_key("/health") == ("health",)


def test_errors_of_unmatched_requests_keep_their_shape(client) -> None:
    assert_error(client.put("/v1/vehicles/1"), 405, "method_not_allowed")
    assert_error(client.get("/v1/no-such-thing"), 404, "not_found")
    assert_error(client.get("/nowhere"), 404, "not_found")
    assert client.get("/health").status_code == 200


def test_a_route_added_after_start_up_is_reachable_and_still_owner_checked(
    database_url, tmp_path
) -> None:
    app = api.app.create_app(make_settings(database_url, tmp_path))
    with TestClient(app, raise_server_exceptions=False) as client:
        owner, other = User(client), User(client)
        vehicle_id = owner.post("/v1/vehicles", json={"name": "mine"}).json()["id"]
        assert client.get(f"/v1/vehicles/{vehicle_id}/plate-colour").status_code == 404

        @app.get("/v1/vehicles/{vehicle_id}/plate-colour")
        def plate_colour(vehicle_id: IdPath, user: CurrentUser, session: SessionDep) -> dict:
            return {"name": service.owned(session, user, vehicle_id).name}

        late = app.router.routes[-1]
        assert late.path == "/v1/vehicles/{vehicle_id}/plate-colour"
        assert owner.get(f"/v1/vehicles/{vehicle_id}/plate-colour").json() == {"name": "mine"}
        assert_error(other.get(f"/v1/vehicles/{vehicle_id}/plate-colour"), 404, "not_found")
        assert_error(client.get(f"/v1/vehicles/{vehicle_id}/plate-colour"), 401, "unauthorized")
        found = app.router.middleware_stack.lookup(
            _scope("GET", f"/v1/vehicles/{vehicle_id}/plate-colour")
        )
        assert found is not None and found[0] is late  # indexed once the table grew


def test_an_included_router_of_an_unknown_kind_is_refused() -> None:
    app = FastAPI()
    sub = APIRouter()
    sub.routes.append(Mount("/static", app=FastAPI()))
    app.include_router(sub, prefix="/files")
    with pytest.raises(TypeError, match="cannot flatten an included Mount"):
        flatten_routes(app)
