"""``/v1/vehicles/{id}/sessions``, ``/v1/sessions``, ``/v1/decode``, ``/v1/torque``:
recordings of a car, decoding, Torque Pro's web upload (the DTC look-up is in
:mod:`api.diagnoses.routes`)."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response, status
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

from api.core.errors import ApiError
from api.deps import CurrentUser, IdPath, SessionDep, SettingsDep
from api.sessions import schemas, service

router = APIRouter(tags=["sessions"])


async def _body_digest(request: Request) -> str:
    # A retry sends the same bytes: their digest tells a retry from a reused key.
    return hashlib.sha256(await request.body()).hexdigest()


BodyDigest = Annotated[str, Depends(_body_digest)]

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Unique per upload: a retry with the same key returns the first result",
    ),
]


@router.post(
    "/vehicles/{vehicle_id}/sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.SessionOut,
)
def create_session(
    vehicle_id: IdPath, body: schemas.SessionCreate, user: CurrentUser, session: SessionDep
) -> object:
    """Start a recording of one of the caller's vehicles."""
    return service.create(session, user, vehicle_id, body.name, body.protocol, body.headers)


@router.get("/vehicles/{vehicle_id}/sessions", response_model=list[schemas.SessionOut])
def list_sessions(vehicle_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """The recordings of one of the caller's vehicles, newest first."""
    return service.list_for_vehicle(session, user, vehicle_id)


@router.get("/sessions/{session_id}", response_model=schemas.SessionOut)
def read_session(session_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """One of the caller's recordings."""
    return service.owned(session, user, session_id)


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_session(session_id: IdPath, user: CurrentUser, session: SessionDep) -> Response:
    """Delete one of the caller's recordings and its readings."""
    service.delete(session, user, session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/sessions/{session_id}/uploads",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.UploadResult,
    responses={
        200: {
            "model": schemas.UploadResult,
            "description": "a retry: the first result, nothing stored",
        }
    },
)
def upload_chunk(
    session_id: IdPath,
    body: schemas.UploadIn,
    key: IdempotencyKey,
    digest: BodyDigest,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> object:
    """Add a chunk (raw adapter lines, decoded here, and/or the app's readings) to a
    recording, atomically. Same ``Idempotency-Key`` again: the first result, status 200."""
    rows = len(body.lines or ()) + len(body.readings or ())
    if rows > settings.session_upload_max_lines:
        raise ApiError(
            413,
            "payload_too_large",
            f"at most {settings.session_upload_max_lines:,} lines + readings",
        )
    result, replayed = service.upload(
        session, user, session_id, key, body.lines, body.readings, digest
    )
    if replayed:
        return JSONResponse(result, status_code=200, headers={"Idempotent-Replayed": "true"})
    return JSONResponse(result, status_code=201)


@router.get(
    "/sessions/{session_id}/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV, one reading a line"}},
)
def export_session(session_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """The recording as CSV: ``t,ecu,name,value,unit,text`` (``text`` holds DTCs)."""
    lines = service.csv_lines(session, user, session_id)
    first = next(lines)  # authorization happens here, before the 200 starts
    return StreamingResponse(
        _chain(first, lines),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="session-{session_id}.csv"'},
    )


def _chain(first: str, rest):  # noqa: ANN001, ANN202 - str iterator
    yield first
    yield from rest


@router.post("/decode", response_model=schemas.DecodeOut)
def decode_lines(body: schemas.DecodeIn, user: CurrentUser) -> object:
    """Decode raw ELM327 lines (stateless): values as columns, DTCs, notices."""
    return JSONResponse(service.decode(body.lines, body.protocol, body.headers))


@router.get(
    "/torque",
    response_model=None,
    responses={200: {"content": {"text/plain": {"example": "OK!"}}, "description": "sample taken"}},
)
def torque_upload(request: Request, session: SessionDep, settings: SettingsDep) -> object:
    """Torque Pro's "web upload": one GET per sample (``session``, ``id``, ``time``,
    ``k<pid>=value``), authenticated by an API key with a vehicle (``X-API-Key`` or the
    ``key`` query parameter); answered ``OK!``."""
    from api.accounts.service import authenticate
    from api.core.errors import ApiError

    params = dict(request.query_params)
    secret = request.headers.get("x-api-key") or params.pop("key", None)
    if not secret:
        raise ApiError(401, "unauthorized", "Torque uploads need an API key")
    principal = authenticate(session, settings, None, secret)
    service.torque_sample(session, principal.api_key, params)
    return PlainTextResponse("OK!")
