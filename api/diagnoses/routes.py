"""``/v1/vehicles/{id}/guided-test-plan``, ``/v1/vehicles/{id}/diagnoses``,
``/v1/diagnoses/{id}`` (answers, repair verification, parts) and ``/v1/dtcs/{code}``.

Thin: each route calls :mod:`api.diagnoses.service` (which calls :mod:`diagnostics`).
The diagnosing routes are plain ``def``: FastAPI runs them in its thread pool, so the
diagnosis' CPU time never blocks the event loop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request, status

from api.deps import CurrentUser, IdPath, SessionDep
from api.diagnoses import schemas, service, views

router = APIRouter(tags=["diagnoses"])
LangQuery = Annotated[schemas.Lang, Query(description="language of every text: en or fr")]
# Named examples: the /docs page offers them in a list ("Try it out" with one click).
SNAPSHOT_EXAMPLES = {
    "misfire": {"summary": "codes read once: a misfire on cylinder 2",
                "value": {"snapshot": schemas.EXAMPLE_SNAPSHOT}},
    "session": {"summary": "a recorded session of this car", "value": {"session_id": 1}},
}  # fmt: skip
GUIDED_EXAMPLES = {
    "misfire": {"summary": "the demo car with a misfire on cylinder 2",
                "value": {"faults": ["misfire:2@0.9"]}},
    "vacuum_leak": {"summary": "the demo car with a vacuum leak and a rough idle",
                    "value": {"faults": ["vacuum_leak@0.8"], "symptoms": ["rough_idle"]}},
    "healthy": {"summary": "a healthy car (or your dongle's)", "value": {}},
}  # fmt: skip


def _out(session: SessionDep, row, lang: str) -> dict:  # noqa: ANN001 - Diagnosis row
    return views.diagnosis_out(row, service.events(session, row.id), lang)


@router.get("/vehicles/{vehicle_id}/guided-test-plan", response_model=schemas.GuidedPlanOut)
def read_guided_test_plan(
    vehicle_id: IdPath,
    user: CurrentUser,
    session: SessionDep,
    diagnosis_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    lang: LangQuery = "en",
) -> object:
    """What the app should read once, poll, and ask the driver phase by phase, as data.
    With ``diagnosis_id`` (a diagnosis of this car made from what was read once) only the
    phases its leading causes need."""
    return service.plan(session, user, vehicle_id, diagnosis_id, lang)


@router.post(
    "/vehicles/{vehicle_id}/diagnoses",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.DiagnosisOut,
)
def create_diagnosis(
    vehicle_id: IdPath,
    body: Annotated[schemas.SnapshotOrSession, Body(openapi_examples=SNAPSHOT_EXAMPLES)],
    user: CurrentUser,
    session: SessionDep,
    lang: LangQuery = "en",
) -> object:
    """Diagnose one of the caller's vehicles from a snapshot (``snapshot``, the schema of
    ``diagnostics/snapshot.schema.json``) or from one of its recorded sessions
    (``session_id``; ``missing`` says what a session could not hold)."""
    snapshot = body.model_dump(mode="json", exclude_unset=True).get("snapshot")  # as sent
    row = service.create(session, user, vehicle_id, snapshot, body.session_id)
    return _out(session, row, lang)


@router.post(
    "/vehicles/{vehicle_id}/diagnoses/guided-test",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=schemas.DiagnosisOut,
)
async def start_guided_test(
    vehicle_id: IdPath,
    body: Annotated[schemas.GuidedTestIn, Body(openapi_examples=GUIDED_EXAMPLES)],
    request: Request,
    user: CurrentUser,
    lang: LangQuery = "en",
) -> object:
    """Run the guided test on the car attached to the server (``novaevo serve --sim``: the
    demo car, with the ``faults`` you choose; ``--dongle``: your car) and diagnose it. The
    answer is at once (``state: running``); poll ``GET /v1/diagnoses/{id}`` to follow the
    phases (``guided_test.prompt`` says what the driver does now) until ``done``."""
    from fastapi.concurrency import run_in_threadpool

    app = request.app
    diagnosis_id = await app.state.guided.start(
        app, user, vehicle_id, body.faults, list(body.symptoms)
    )

    def read() -> dict:
        with app.state.sessions() as session:
            return _out(session, service.owned(session, user, diagnosis_id), lang)

    return await run_in_threadpool(read)


@router.get("/vehicles/{vehicle_id}/diagnoses", response_model=list[schemas.DiagnosisSummaryOut])
def list_diagnoses(
    vehicle_id: IdPath, user: CurrentUser, session: SessionDep, lang: LangQuery = "en"
) -> object:
    """The diagnoses of one of the caller's vehicles, newest first."""
    rows = service.list_for_vehicle(session, user, vehicle_id)
    return [views.summary_out(row, lang) for row in rows]


@router.get("/diagnoses/{diagnosis_id}", response_model=schemas.DiagnosisOut)
def read_diagnosis(
    diagnosis_id: IdPath, user: CurrentUser, session: SessionDep, lang: LangQuery = "en"
) -> object:
    """One of the caller's diagnoses: ranked causes with their evidence, severity,
    confirming tests, part types, labour, explanation; the next best test; the history."""
    return _out(session, service.owned(session, user, diagnosis_id), lang)


@router.post("/diagnoses/{diagnosis_id}/answers", response_model=schemas.DiagnosisOut)
def answer_diagnosis_test(
    diagnosis_id: IdPath,
    body: schemas.AnswerIn,
    user: CurrentUser,
    session: SessionDep,
    lang: LangQuery = "en",
) -> object:
    """Give the outcome of a test (usually ``next_test``): the ranking is updated and the
    answer joins the history."""
    row = service.answer(session, user, diagnosis_id, body.test, body.result)
    return _out(session, row, lang)


@router.post(
    "/diagnoses/{diagnosis_id}/verifications",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.VerificationOut,
)
def verify_repair(
    diagnosis_id: IdPath,
    body: schemas.VerificationIn,
    user: CurrentUser,
    session: SessionDep,
    lang: LangQuery = "en",
) -> object:
    """Did the repair work? Compare the diagnosis with what the car reads after it (a
    snapshot, or a session recorded since); the verdict joins the history."""
    snapshot = body.model_dump(mode="json", exclude_unset=True).get("snapshot")
    row, check, missing, at = service.verify(
        session, user, diagnosis_id, snapshot, body.session_id, body.cause
    )
    data = check.model_dump(mode="json")
    return {
        "diagnosis_id": row.id, "cause": data["cause"], "verdict": data["verdict"],
        "summary": data["summary"][lang], "evidence": views.localize(data["evidence"], lang),
        "after": views.result_out(data["after"], lang), "missing": missing, "at": at,
    }  # fmt: skip


@router.get("/diagnoses/{diagnosis_id}/parts", response_model=schemas.DiagnosisPartsOut)
def list_diagnosis_parts(diagnosis_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """Parts for this diagnosis: per ranked cause, the part types to check and the
    catalogue's parts that fit the vehicle's linked type, with their offers."""
    return service.parts(session, user, diagnosis_id)


@router.get("/dtcs/{code}", response_model=schemas.DtcOut)
def read_dtc(
    code: Annotated[str, Path(pattern=r"^[PCBUpcbu][0-3][0-9A-Fa-f]{3}$", examples=["P0302"])],
    user: CurrentUser,
) -> object:
    """What a trouble code means, in English and French, and the causes of the knowledge
    base that set it (most likely first)."""
    return service.dtc(code)
