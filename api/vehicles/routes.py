"""``/v1/vehicles``, ``/v1/vin`` and ``/v1/card-readings``: a user's cars."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from api.core import uploads
from api.core.errors import ApiError, ErrorBody
from api.core.metrics import OCR_SECONDS
from api.core.ratelimit import enforce
from api.deps import (
    CallerDep,
    ClientAddress,
    CurrentUser,
    IdPath,
    LimiterDep,
    SessionDep,
    SettingsDep,
)
from api.vehicles import schemas, service

router = APIRouter(tags=["vehicles"])

_IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "description": "The photo itself as the body (JPEG, PNG, WebP or HEIC), at most 10 MB.",
        "content": {
            t: {"schema": {"type": "string", "format": "binary"}}
            for t in (
                "image/jpeg",
                "image/png",
                "image/webp",
                "image/heic",
                "application/octet-stream",
            )
        },
    }
}
_OCR_ERRORS = {
    503: {"model": ErrorBody, "description": "OCR models unavailable"},
    504: {"model": ErrorBody, "description": "OCR time budget exceeded"},
}


def _vehicle_out(vehicle) -> schemas.VehicleOut:  # noqa: ANN001 - Vehicle row
    return schemas.VehicleOut.model_validate(vehicle)


@router.post("/vehicles", status_code=status.HTTP_201_CREATED, response_model=schemas.VehicleOut)
def create_vehicle(body: schemas.VehicleCreate, user: CurrentUser, session: SessionDep) -> object:
    """Add a vehicle by hand and/or from its VIN (make and model year decoded offline);
    linked to the parts catalogue when it identifies the type."""
    return service.create(session, user, body.model_dump(exclude_unset=True))


@router.get("/vehicles", response_model=list[schemas.VehicleOut])
def list_vehicles(user: CurrentUser, session: SessionDep) -> object:
    """The caller's vehicles."""
    return service.list_vehicles(session, user)


@router.get("/vehicles/{vehicle_id}", response_model=schemas.VehicleOut)
async def read_vehicle(vehicle_id: IdPath, caller: CallerDep) -> object:
    """One of the caller's vehicles."""
    # The app's most frequent read: one thread step, one statement (api.deps.Caller); the
    # row is validated and written once, by FastAPI's response model.
    return await caller.read(service.owned_row, vehicle_id)


@router.patch("/vehicles/{vehicle_id}", response_model=schemas.VehicleOut)
def update_vehicle(
    vehicle_id: IdPath, body: schemas.VehicleUpdate, user: CurrentUser, session: SessionDep
) -> object:
    """Change some fields of one of the caller's vehicles."""
    return service.update(session, user, vehicle_id, body.model_dump(exclude_unset=True))


@router.delete("/vehicles/{vehicle_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_vehicle(vehicle_id: IdPath, user: CurrentUser, session: SessionDep) -> Response:
    """Delete one of the caller's vehicles, with its sessions and diagnoses."""
    service.delete(session, user, vehicle_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/vehicles/{vehicle_id}/identification", response_model=schemas.IdentificationOut)
def identify_vehicle(vehicle_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """The catalogue vehicle types this car may be (PATCH ``vehicle_type_id`` to choose)."""
    vehicle = service.owned(session, user, vehicle_id)
    found = service.candidates(session, user, vehicle)
    return {
        "linked_vehicle_type_id": vehicle.vehicle_type_id,
        "candidates": [
            {"vehicle_type": c.vehicle.__dict__, "score": c.score, "reasons": c.reasons}
            for c in found
        ],
    }


@router.get("/vin/{vin}", response_model=schemas.VinDecoded)
def decode_vin(vin: Annotated[str, Path(pattern=schemas.VIN_PATTERN)], user: CurrentUser) -> object:
    """Decode a VIN offline: make (WMI), possible model years, check digit, plant."""
    return service.decode_vin(vin)


@router.post(
    "/card-readings",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.CardReadingOut,
    openapi_extra=_IMAGE_BODY,
    responses=_OCR_ERRORS,
)
async def read_card(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    address: ClientAddress,
) -> object:
    """Read a registration-card photo (the body): every field with its confidence, for
    the user to confirm or correct (POST .../confirm). Rate-limited per user and address."""
    await run_in_threadpool(
        enforce,
        limiter,
        "ocr",
        [f"user:{user.id}", f"ip:{address}"],
        settings.rate_ocr_per_hour,
        3600,
    )
    data = await uploads.read_capped(request, settings.upload_max_bytes)
    kind = uploads.image_type(data)
    uploads.check_pixels(data, kind, settings.upload_max_pixels)
    with OCR_SECONDS.time():
        result = await _ocr(request, data)
    reading = await run_in_threadpool(service.store_card_reading, session, user, result)
    return _reading_out(reading)


async def _ocr(request: Request, data: bytes) -> dict:
    from ocr.errors import ImageTooLarge, ModelUnavailable, OcrError

    try:
        result = await request.app.state.ocr.read(data)
    except ImageTooLarge as exc:
        raise ApiError(413, "image_too_large", str(exc)) from None
    except ModelUnavailable as exc:
        raise ApiError(503, "ocr_unavailable", str(exc)) from None
    except OcrError as exc:
        code = "".join("_" + c.lower() if c.isupper() else c for c in type(exc).__name__)
        raise ApiError(422, code.lstrip("_"), str(exc)) from None
    except ApiError:
        raise
    except Exception:
        # The OCR pipeline failed on this image in a way it does not type (a bug to fix in
        # ocr/, logged with its traceback); the client gets a clear 422, not a 500.
        logging.getLogger("novaevo.ocr").exception("OCR failed on an uploaded image")
        raise ApiError(422, "unreadable_image", "this image could not be read") from None
    return result.to_dict()


def _reading_out(reading) -> schemas.CardReadingOut:  # noqa: ANN001 - CardReading row
    result = reading.result
    return schemas.CardReadingOut(
        id=reading.id,
        status=result["status"],
        fields=result["fields"],
        uncertain_fields=result["uncertain_fields"],
        warnings=result["warnings"],
        vehicle_id=reading.vehicle_id,
        created_at=reading.created_at,
    )


@router.get("/card-readings/{reading_id}", response_model=schemas.CardReadingOut)
def read_card_reading(reading_id: IdPath, user: CurrentUser, session: SessionDep) -> object:
    """A card reading of the caller."""
    return _reading_out(service.owned_card_reading(session, user, reading_id))


@router.post(
    "/card-readings/{reading_id}/confirm",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.VehicleOut,
)
def confirm_card_reading(
    reading_id: IdPath, body: schemas.CardConfirm, user: CurrentUser, session: SessionDep
) -> object:
    """Make a vehicle of a card reading, with the user's corrections (code -> text)."""
    corrections = {c.code: c.text for c in body.corrections}
    return service.confirm_card(session, user, reading_id, corrections, body.name)
