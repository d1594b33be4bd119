"""Diagnoses through the HTTP API, on SQLite and PostgreSQL: from a snapshot, a session or
the guided test on the simulated car; answers, repair verification, parts, DTC look-up;
every bad input answered with the error shape and nothing written."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from api.diagnoses.models import Diagnosis, DiagnosisEvent
from tests.api.conftest import User, assert_error

# The guided-test route needs a server with a car attached: its "not yours" case is here.
GUIDED_TEST_ROUTE = ("POST", "/v1/vehicles/{vehicle_id}/diagnoses/guided-test")

MISFIRE = {"schema_version": 1, "mil_on": True, "symptoms": ["rough_idle"],
           "ecus": [{"address": "7E8", "stored": ["P0302"]}]}  # fmt: skip


def _vehicle(user: User, **fields) -> int:
    r = user.post("/v1/vehicles", json={"name": "test car", "cylinders": 4, **fields})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _diagnose(user: User, vehicle_id: int, body: dict, lang: str = "en"):
    return user.post(f"/v1/vehicles/{vehicle_id}/diagnoses", params={"lang": lang}, json=body)


def _counts(app, vehicle_id: int) -> tuple[int, int]:
    """(diagnoses, history events) stored for a vehicle."""
    with app.state.sessions() as s:
        rows = s.scalar(select(func.count()).where(Diagnosis.vehicle_id == vehicle_id))
        events = s.scalar(
            select(func.count())
            .select_from(DiagnosisEvent)
            .join(Diagnosis, Diagnosis.id == DiagnosisEvent.diagnosis_id)
            .where(Diagnosis.vehicle_id == vehicle_id)
        )
    return rows, events


# ------------------------------------------------------------------------------ snapshot


def test_a_snapshot_is_diagnosed_stored_and_listed(user) -> None:
    vid = _vehicle(user, fuel="petrol")
    r = _diagnose(user, vid, {"snapshot": MISFIRE})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["state"] == "done" and body["source"] == "snapshot" and body["lang"] == "en"
    result = body["diagnosis"]
    assert result["codes"] == ["P0302"] and result["causes"]
    assert any(c["cause"].endswith(":2") for c in result["causes"])
    cause = result["causes"][0]
    assert isinstance(cause["name"], str) and isinstance(cause["explanation"], str)
    assert cause["part_types"] and cause["labour_hours"][0] <= cause["labour_hours"][1]
    assert result["next_test"]["outcomes"]
    assert [e["kind"] for e in body["history"]] == ["created"]
    # the car's record filled the snapshot's vehicle block
    assert user.get(f"/v1/diagnoses/{body['id']}").json() == body
    listed = user.get(f"/v1/vehicles/{vid}/diagnoses").json()
    assert [d["id"] for d in listed] == [body["id"]]
    assert listed[0]["summary"] == result["summary"]


def test_the_lang_parameter_gives_french_texts(user) -> None:
    vid = _vehicle(user)
    did = _diagnose(user, vid, {"snapshot": MISFIRE}).json()["id"]
    en = user.get(f"/v1/diagnoses/{did}", params={"lang": "en"}).json()["diagnosis"]
    fr = user.get(f"/v1/diagnoses/{did}", params={"lang": "fr"}).json()["diagnosis"]
    assert en["summary"] != fr["summary"]
    assert en["causes"][0]["cause"] == fr["causes"][0]["cause"]
    assert en["causes"][0]["explanation"] != fr["causes"][0]["explanation"]
    assert_error(user.get(f"/v1/diagnoses/{did}", params={"lang": "de"}), 422, "validation_error")


@pytest.mark.parametrize(
    "body",
    [
        {"snapshot": {**MISFIRE, "schema_version": 2}},  # another schema version
        {"snapshot": {"mil_on": True}},  # no version at all
        {"snapshot": {**MISFIRE, "ecus": [{"address": "7E8", "stored": ["X123"]}]}},
        {"snapshot": {**MISFIRE, "phases": {"idle": {"t": [0, 1], "series": {"RPM": [800]}}}}},
        {"snapshot": {**MISFIRE, "vehicle": {"fuel": "diesel", "engine_type": "petrol_di"}}},
        {"snapshot": {**MISFIRE, "rpm": 800}},  # a misspelt field
        {"snapshot": MISFIRE, "session_id": 1},  # both sources
        {},  # neither
        {"snapshot": "not an object"},
    ],
)
def test_a_bad_snapshot_is_a_422_and_nothing_is_written(app, user, body) -> None:
    vid = _vehicle(user)
    assert_error(_diagnose(user, vid, body), 422, "validation_error")
    assert _counts(app, vid) == (0, 0)


def test_an_empty_snapshot_is_insufficient_data_not_an_error(user) -> None:
    r = _diagnose(user, _vehicle(user), {"snapshot": {"schema_version": 1}})
    assert r.status_code == 201
    assert r.json()["diagnosis"]["status"] == "insufficient_data"
    assert r.json()["diagnosis"]["causes"] == []


# ------------------------------------------------------------------------------- session


def _session_with_drive(user: User, vehicle_id: int) -> int:
    sid = user.post(f"/v1/vehicles/{vehicle_id}/sessions", json={"name": "drive"}).json()["id"]
    readings = []
    for t in range(40):  # 20 s warm idle, then 20 s driving
        driving = t >= 20
        readings += [
            [float(t), "RPM", 2100.0 if driving else 780.0 + (t % 3) * 40, "rpm"],
            [float(t), "SPEED", 60.0 if driving else 0.0, "km/h"],
            [float(t), "COOLANT_TEMP", 90.0, "degC"],
            [float(t), "SHORT_FUEL_TRIM_1", 2.0, "%"],
        ]
    # a raw Mode 03 answer: one stored code, P0302
    body = {"lines": [[0.5, "7E8 04 43 01 03 02"]], "readings": readings}
    r = user.post(f"/v1/sessions/{sid}/uploads", json=body, headers={"Idempotency-Key": "k1"})
    assert r.status_code == 201, r.text
    assert r.json()["dtcs"] == ["P0302"]
    return sid


def test_a_session_is_diagnosed_and_says_what_it_lacked(user) -> None:
    vid = _vehicle(user)
    sid = _session_with_drive(user, vid)
    r = _diagnose(user, vid, {"session_id": sid})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["source"] == "session" and body["session_id"] == sid
    assert body["diagnosis"]["codes"] == ["P0302"]
    missing = {m["what"] for m in body["missing"]}
    assert {"freeze_frame", "readiness", "mode06", "phase:hold_2500"} <= missing
    assert "phase:idle" not in missing and "phase:drive" not in missing
    assert "trouble_codes" not in missing


def test_a_session_of_another_vehicle_or_user_is_refused_and_nothing_written(
    app, user, other
) -> None:
    vid, second = _vehicle(user), _vehicle(user, name="second")
    sid = _session_with_drive(user, second)
    body = assert_error(_diagnose(user, vid, {"session_id": sid}), 422,
                        "session_of_another_vehicle")  # fmt: skip
    assert body["details"] == {"session_vehicle_id": second}
    theirs = _vehicle(other)
    assert_error(_diagnose(other, theirs, {"session_id": sid}), 404, "not_found")
    empty = user.post(f"/v1/vehicles/{vid}/sessions", json={}).json()["id"]
    assert_error(_diagnose(user, vid, {"session_id": empty}), 422, "empty_session")
    assert _counts(app, vid) == (0, 0) and _counts(app, theirs) == (0, 0)


# ------------------------------------------------------------------------------- answers


def test_an_answer_updates_the_ranking_and_keeps_the_history(user) -> None:
    did = _diagnose(user, _vehicle(user), {"snapshot": MISFIRE}).json()["id"]
    before = user.get(f"/v1/diagnoses/{did}").json()
    test = before["diagnosis"]["next_test"]
    r = user.post(f"/v1/diagnoses/{did}/answers",
                  json={"test": test["id"], "result": test["outcomes"][0]})  # fmt: skip
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["version"] == before["version"] + 1
    assert after["diagnosis"]["answers"] == [{"test": test["id"], "result": test["outcomes"][0]}]
    assert [e["kind"] for e in after["history"]] == ["created", "answer"]
    assert after["history"][1]["test"] == test["id"]
    assert after["history"][0]["top_causes"] == before["history"][0]["top_causes"]
    assert after["history"][1]["top_causes"] != after["history"][0]["top_causes"]
    again = user.post(f"/v1/diagnoses/{did}/answers",
                      json={"test": test["id"], "result": test["outcomes"][1]})  # fmt: skip
    assert_error(again, 409, "already_answered")


def test_bad_answers_are_refused_and_nothing_changes(app, user) -> None:
    vid = _vehicle(user)
    did = _diagnose(user, vid, {"snapshot": MISFIRE}).json()["id"]
    before = user.get(f"/v1/diagnoses/{did}").json()
    test = before["diagnosis"]["next_test"]
    url = f"/v1/diagnoses/{did}/answers"
    body = assert_error(user.post(url, json={"test": "no_such_test", "result": "yes"}), 422,
                        "unknown_test")  # fmt: skip
    assert body["details"] == {"next_test": test["id"]}
    body = assert_error(user.post(url, json={"test": test["id"], "result": "maybe"}), 422,
                        "invalid_answer")  # fmt: skip
    assert body["details"] == {"outcomes": test["outcomes"]}
    assert_error(user.post(url, json={"test": "Bad Id!", "result": "x"}), 422, "validation_error")
    assert_error(user.post(url, json={"test": test["id"]}), 422, "validation_error")
    assert user.get(f"/v1/diagnoses/{did}").json() == before
    assert _counts(app, vid) == (1, 1)


# -------------------------------------------------------------------------- verification


def test_a_repair_is_verified_against_an_after_snapshot(user) -> None:
    vid = _vehicle(user)
    did = _diagnose(user, vid, {"snapshot": MISFIRE}).json()["id"]
    still = user.post(f"/v1/diagnoses/{did}/verifications", json={"snapshot": MISFIRE})
    assert still.status_code == 201, still.text
    assert still.json()["verdict"] == "not_confirmed"
    assert any("P0302" in e["text"] for e in still.json()["evidence"])
    cleared = {"schema_version": 1, "mil_on": False, "ecus": [{"address": "7E8"}]}
    r = user.post(f"/v1/diagnoses/{did}/verifications", params={"lang": "fr"},
                  json={"snapshot": cleared})  # fmt: skip
    assert r.status_code == 201 and r.json()["verdict"] in ("confirmed", "inconclusive")
    assert "Réparation" in r.json()["summary"] or "Pas assez" in r.json()["summary"]
    history = user.get(f"/v1/diagnoses/{did}").json()["history"]
    assert [e["kind"] for e in history] == ["created", "verification", "verification"]
    assert history[1]["verdict"] == "not_confirmed"


def test_bad_verifications_are_refused_and_nothing_written(app, user) -> None:
    vid = _vehicle(user)
    did = _diagnose(user, vid, {"snapshot": MISFIRE}).json()["id"]
    url = f"/v1/diagnoses/{did}/verifications"
    assert_error(user.post(url, json={"snapshot": {"schema_version": 3}}), 422, "validation_error")
    assert_error(user.post(url, json={"snapshot": MISFIRE, "cause": "no_such_cause"}), 422,
                 "unknown_cause")  # fmt: skip
    healthy = _diagnose(user, vid, {"snapshot": {"schema_version": 1}}).json()["id"]
    assert_error(user.post(f"/v1/diagnoses/{healthy}/verifications", json={"snapshot": MISFIRE}),
                 422, "no_cause")  # fmt: skip
    assert _counts(app, vid) == (2, 2)


# ----------------------------------------------------------------------- parts and DTCs


def test_parts_for_a_diagnosis_of_a_linked_vehicle_with_offers(app, user) -> None:
    from tests.api.garages.conftest import _catalogue

    vehicle_type, brands = _catalogue(app, user.id.__str__() + "D")
    vid = _vehicle(user, vehicle_type_id=vehicle_type)
    did = _diagnose(user, vid, {"snapshot": MISFIRE}).json()["id"]
    r = user.get(f"/v1/diagnoses/{did}/parts")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["vehicle_type_id"] == vehicle_type and body["message"] is None
    coils = [s for s in body["suggestions"] if s["part_type"] == "ignition_coil"]
    assert coils and {p["brand"] for p in coils[0]["parts"]} == set(brands)
    assert all(p["offers"][0]["currency"] == "EUR" for p in coils[0]["parts"])
    scores = [s["score"] for s in body["suggestions"]]
    assert scores == sorted(scores, reverse=True)
    assert any(s["quoted"] for s in body["suggestions"])


def test_parts_for_an_unlinked_vehicle_say_how_to_link_it(user) -> None:
    did = _diagnose(user, _vehicle(user), {"snapshot": MISFIRE}).json()["id"]
    body = user.get(f"/v1/diagnoses/{did}/parts").json()
    assert body["suggestions"] == [] and "identification" in body["message"]


def test_dtc_look_up_names_the_knowledge_bases_causes(user) -> None:
    body = user.get("/v1/dtcs/p0302").json()
    assert body["code"] == "P0302" and "misfire" in body["description_en"].lower()
    assert "cylindre 2" in body["description_fr"]
    causes = [c["cause"] for c in body["causes"]]
    assert {"misfire:2", "ignition_coil:2"} <= set(causes)
    assert all(isinstance(c["name_fr"], str) and c["name_fr"] for c in body["causes"])
    ps = [c["probability"] for c in body["causes"]]
    assert ps == sorted(ps, reverse=True)
    lean = user.get("/v1/dtcs/P0171").json()
    assert "vacuum_leak" in [c["cause"] for c in lean["causes"]]
    reserved = user.get("/v1/dtcs/U3FFF").json()  # no cause; texts say what the range is
    assert reserved["causes"] == [] and reserved["description_fr"] and reserved["description_en"]
    assert_error(user.get("/v1/dtcs/P03020"), 422, "validation_error")


def test_the_guided_test_plan_is_data_in_the_asked_language(user) -> None:
    vid = _vehicle(user, fuel="petrol", year=2015)
    plan = user.get(f"/v1/vehicles/{vid}/guided-test-plan", params={"lang": "fr"}).json()
    assert plan["snapshot_schema_version"] == 1 and "RPM" in plan["poll_pids"]
    assert [p["id"] for p in plan["phases"]][0] == "cold_start"
    assert "ralenti" in plan["phases"][0]["prompt"]
    assert plan["vehicle"] == {"fuel": "petrol", "year": 2015, "cylinders": 4}
    did = _diagnose(user, vid, {"snapshot": MISFIRE}).json()["id"]
    narrowed = user.get(f"/v1/vehicles/{vid}/guided-test-plan", params={"diagnosis_id": did})
    assert 1 <= len(narrowed.json()["phases"]) <= len(plan["phases"])
    other_vid = _vehicle(user, name="other")
    wrong = user.get(f"/v1/vehicles/{other_vid}/guided-test-plan", params={"diagnosis_id": did})
    assert_error(wrong, 404, "not_found")


# --------------------------------------------------------------------------- guided test


def _wait_done(client, headers: dict, diagnosis_id: int, timeout_s: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = client.get(f"/v1/diagnoses/{diagnosis_id}", headers=headers).json()
        if body["state"] != "running":
            return body
        time.sleep(0.1)
    raise AssertionError(f"guided test {diagnosis_id} still running after {timeout_s} s")


def test_the_guided_test_runs_on_the_simulated_car(sim_client, user) -> None:
    vid = _vehicle(user)
    url = f"/v1/vehicles/{vid}/diagnoses/guided-test"
    r = sim_client.post(url, headers=user.headers, json={"faults": ["misfire:2@0.9"]})
    assert r.status_code == 202, r.text
    assert r.json()["state"] == "running" and r.json()["diagnosis"] is None
    body = _wait_done(sim_client, user.headers, r.json()["id"])
    assert body["state"] == "done", body["error"]
    assert body["guided_test"]["faults"] == ["misfire:2@0.9"]
    assert body["guided_test"]["phases_run"] and body["guided_test"]["prompt"] is None
    assert "P0302" in body["diagnosis"]["codes"]
    assert body["diagnosis"]["causes"][0]["cause"].endswith(":2")
    assert [e["kind"] for e in body["history"]] == ["created"]


def test_guided_test_bad_input_and_no_car(app, client, sim_client, user, other) -> None:
    vid = _vehicle(user)
    url = f"/v1/vehicles/{vid}/diagnoses/guided-test"
    bad = sim_client.post(url, headers=user.headers, json={"faults": ["no_such_fault"]})
    assert_error(bad, 422, "invalid_fault")
    bad = sim_client.post(url, headers=user.headers, json={"faults": ["Misfire 2"]})
    assert_error(bad, 422, "validation_error")
    assert_error(client.post(url, headers=user.headers, json={}), 409, "no_car_attached")
    # another user's vehicle: 404, on a server with or without a car
    assert_error(sim_client.post(url, headers=other.headers, json={}), 404, "not_found")
    assert_error(client.post(url, headers=other.headers, json={}), 409, "no_car_attached")
    assert _counts(app, vid) == (0, 0)


def test_a_running_diagnosis_cannot_be_answered_verified_or_quoted_yet(app, user) -> None:
    from api.accounts.models import User as UserRow
    from api.diagnoses import service

    vid = _vehicle(user)
    with app.state.sessions() as s:
        row, _ = service.start_guided(s, s.get(UserRow, user.id), vid, "simulator", [])
    shown = user.get(f"/v1/diagnoses/{row.id}").json()
    assert shown["state"] == "running" and shown["diagnosis"] is None
    answer = user.post(f"/v1/diagnoses/{row.id}/answers",
                       json={"test": "fan_check", "result": "fan_off"})  # fmt: skip
    assert_error(answer, 409, "diagnosis_not_ready")
    verify = user.post(f"/v1/diagnoses/{row.id}/verifications", json={"snapshot": MISFIRE})
    assert_error(verify, 409, "diagnosis_not_ready")
    assert_error(user.get(f"/v1/diagnoses/{row.id}/parts"), 409, "diagnosis_not_ready")
    assert _counts(app, vid) == (1, 0)


@pytest.mark.parametrize(
    "snapshot",
    [
        # impossible and missing values: flagged as data quality, not refused
        {"schema_version": 1, "phases": {"idle": {"t": [0, 1, 2], "series": {
            "RPM": [-5, None, 90000], "COOLANT_TEMP": [400, 400, 400]}}}},
        {"schema_version": 1, "phases": {"drive": {"t": [], "series": {}}}},
        {"schema_version": 1, "ecus": [{"address": "7e8", "stored": ["p0171", "u0100"],
                                        "permanent": ["C1234"]}], "mil_on": False},
        {"schema_version": 1, "mode06": [{"mid": "a1", "tid": "0b", "value": None}],
         "readiness": {"since_clear": {"MISFIRE": {"available": True, "complete": False}}},
         "freeze_frames": [{"dtc": "P0000", "values": {"RPM": 0}}]},
    ],
)  # fmt: skip
def test_odd_but_valid_snapshots_are_diagnosed(user, snapshot) -> None:
    r = _diagnose(user, _vehicle(user), {"snapshot": snapshot})
    assert r.status_code == 201, r.text
    assert r.json()["diagnosis"]["status"] in (
        "fault_found", "no_fault_found", "unknown_fault", "insufficient_data")  # fmt: skip


def test_a_guided_test_whose_worker_died_reads_as_failed(app, user) -> None:
    import datetime as dt

    from api.accounts.models import User as UserRow
    from api.diagnoses import service

    vid = _vehicle(user)
    with app.state.sessions() as s:
        row, _ = service.start_guided(s, s.get(UserRow, user.id), vid, "simulator", [])
        row.updated_at = dt.datetime.now(dt.UTC) - service.STALE_RUNNING - dt.timedelta(seconds=1)
        s.commit()
    body = user.get(f"/v1/diagnoses/{row.id}").json()
    assert body["state"] == "failed" and "interrupted" in body["error"]


def test_a_cold_car_s_warm_up_step_is_shown_to_whoever_polls(app, user) -> None:
    """The runner starts ``warm_up`` on a cold engine (a step, not a phase of the plan):
    the recording driver shows its prompt instead of failing the test."""
    import asyncio
    import threading

    from api.accounts.models import User as UserRow
    from api.diagnoses import service
    from api.diagnoses.guided import _driver
    from diagnostics.plan import WARM_UP

    vid = _vehicle(user)
    with app.state.sessions() as s:
        row, _ = service.start_guided(s, s.get(UserRow, user.id), vid, "simulator", [])
    driver = _driver(app, row.id, simulated=False, stop=threading.Event())
    asyncio.run(driver.start("warm_up", client=None))
    guided = user.get(f"/v1/diagnoses/{row.id}").json()["guided_test"]
    assert guided["phase"] == "warm_up" and guided["prompt"] == WARM_UP["prompt"]["en"]


def test_quotes_from_a_diagnosis_need_the_callers_finished_diagnosis_of_that_car(
    app, user, other
) -> None:
    from api.accounts.models import User as UserRow
    from api.diagnoses import service

    vid, second = _vehicle(user), _vehicle(user, name="second")
    did = _diagnose(user, vid, {"snapshot": MISFIRE}).json()["id"]
    healthy = _diagnose(user, vid, {"snapshot": {"schema_version": 1}}).json()["id"]
    with app.state.sessions() as s:
        running, _ = service.start_guided(s, s.get(UserRow, user.id), vid, "simulator", [])

    def quote(who: User, vehicle: int, diagnosis: int):
        return who.post("/v1/quotes", json={"vehicle_id": vehicle, "garage_ids": [1],
                                             "diagnosis_id": diagnosis})  # fmt: skip

    assert_error(quote(user, second, did), 404, "not_found")  # another car's diagnosis
    theirs = _vehicle(other)
    assert_error(quote(other, theirs, did), 404, "not_found")  # another user's
    assert_error(quote(user, vid, running.id), 409, "invalid_state")
    assert_error(quote(user, vid, healthy), 409, "invalid_state")


def test_stopping_the_server_ends_a_running_guided_test_as_failed(
    app, database_url, tmp_path, user
) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.api.conftest import make_settings

    vid = _vehicle(user)
    # the plan's real phase lengths: the test would take up to two minutes
    slow = create_app(make_settings(database_url, tmp_path, live_device="sim", sim_timing="fast"))
    with TestClient(slow) as c:
        r = c.post(f"/v1/vehicles/{vid}/diagnoses/guided-test", headers=user.headers, json={})
        assert r.status_code == 202, r.text
        time.sleep(1.0)
        started = time.monotonic()
    assert time.monotonic() - started < 15  # shutdown did not wait for the 2-minute test
    body = user.get(f"/v1/diagnoses/{r.json()['id']}").json()
    assert body["state"] == "failed" and "stopped" in body["error"]


def test_deleting_a_session_keeps_its_diagnosis_and_a_vehicle_takes_its_diagnoses(
    app, user
) -> None:
    vid = _vehicle(user)
    sid = _session_with_drive(user, vid)
    did = _diagnose(user, vid, {"session_id": sid}).json()["id"]
    assert user.delete(f"/v1/sessions/{sid}").status_code == 204
    kept = user.get(f"/v1/diagnoses/{did}").json()
    assert kept["session_id"] is None and kept["diagnosis"]["codes"] == ["P0302"]
    assert user.delete(f"/v1/vehicles/{vid}").status_code == 204
    assert_error(user.get(f"/v1/diagnoses/{did}"), 404, "not_found")
    assert _counts(app, vid) == (0, 0)


def test_concurrent_answers_never_overwrite_each_other(user) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from diagnostics.kb import default_kb

    did = _diagnose(user, _vehicle(user), {"snapshot": MISFIRE}).json()["id"]
    tests = list(default_kb().tests.items())[:6]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(
            lambda t: user.post(f"/v1/diagnoses/{did}/answers",
                                json={"test": t[0], "result": t[1].outcomes[0]}),
            tests,
        ))  # fmt: skip
    ok = [r for r in answers if r.status_code == 200]
    for r in answers:
        if r.status_code != 200:
            assert_error(r, 409, "conflict")
    final = user.get(f"/v1/diagnoses/{did}").json()
    assert ok and final["version"] == 1 + len(ok)
    assert len(final["diagnosis"]["answers"]) == len(ok) == len(final["history"]) - 1


def test_a_repair_is_verified_against_a_session_of_the_same_car_only(app, user) -> None:
    vid, second = _vehicle(user), _vehicle(user, name="second")
    did = _diagnose(user, vid, {"snapshot": MISFIRE}).json()["id"]
    after = _session_with_drive(user, vid)  # the code is still there
    r = user.post(f"/v1/diagnoses/{did}/verifications", json={"session_id": after})
    assert r.status_code == 201, r.text
    assert r.json()["verdict"] == "not_confirmed"
    assert "mode06" in {m["what"] for m in r.json()["missing"]}
    elsewhere = _session_with_drive(user, second)
    wrong = user.post(f"/v1/diagnoses/{did}/verifications", json={"session_id": elsewhere})
    assert_error(wrong, 422, "session_of_another_vehicle")
    assert _counts(app, vid) == (1, 2)


def test_the_guided_test_on_an_attached_dongle_one_at_a_time(database_url, tmp_path, user):
    """``--dongle URL``: here a simulated dongle on a real TCP port, reached as any dongle
    (no simulator orders: the runner's prompt driver)."""
    from fastapi.testclient import TestClient

    import firmware_sim
    from api.app import create_app
    from tests.api.conftest import make_settings

    vid = _vehicle(user)
    url = f"/v1/vehicles/{vid}/diagnoses/guided-test"
    with firmware_sim.Simulator(transport="tcp", faults=["misfire:3@0.9"], start_s=300) as car:
        settings = make_settings(database_url, tmp_path, live_device=car.url,
                                 guided_time_scale=0.05)  # fmt: skip
        with TestClient(create_app(settings)) as c:
            assert_error(c.post(url, headers=user.headers, json={"faults": ["misfire:2"]}),
                         422, "faults_need_simulator")  # fmt: skip
            first = c.post(url, headers=user.headers, json={})
            assert first.status_code == 202, first.text
            assert first.json()["guided_test"]["device"] == car.url
            assert_error(c.post(url, headers=user.headers, json={}), 409, "car_busy")
            body = _wait_done(c, user.headers, first.json()["id"])
            assert body["state"] == "done", body["error"]
            assert "P0303" in body["diagnosis"]["codes"]
            again = c.post(url, headers=user.headers, json={})  # free again
            assert again.status_code == 202, again.text
            _wait_done(c, user.headers, again.json()["id"])
