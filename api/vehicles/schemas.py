"""Request and response bodies of the vehicles routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# The exact inputs parts.normalize accepts, as JSON-Schema patterns (no look-arounds), so
# that the schema and the server agree on every VIN and plate: 17 characters without I, O,
# Q; a SIV plate AA-123-AA (no SS group) or an FNI plate 1234 AB 75, any case, with or
# without separators.
VIN_PATTERN = r"^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$"
_SIV_LETTERS = (
    r"([A-HJ-NP-RT-Za-hj-np-rt-z][A-HJ-NP-TV-Za-hj-np-tv-z]|[Ss][A-HJ-NP-RTV-Za-hj-np-rtv-z])"
)
PLATE_PATTERN = (
    rf"^({_SIV_LETTERS}[- ]?[0-9]{{3}}[- ]?{_SIV_LETTERS}"
    r"|[0-9]{1,4}[- ]?[A-Za-z]{1,3}[- ]?([0-9]{2}|2[ABab]|97[1-6]))$"
)
CardCode = Annotated[str, Field(pattern=r"^[A-Z](\.[0-9]{1,2})?$", max_length=5)]
CardText = Annotated[str, Field(max_length=120)]
Fuel = Literal["petrol", "diesel", "electric", "hybrid", "lpg", "other"]
EngineType = Literal["petrol_port", "petrol_di", "petrol_turbo", "diesel"]


class VehicleFields(BaseModel):
    """What a user may say about a car (every field optional)."""

    name: str | None = Field(None, max_length=80, examples=["Clio de Marie"])
    vin: str | None = Field(None, pattern=VIN_PATTERN, examples=["VF1BR0E0F12345678"])
    plate: str | None = Field(None, pattern=PLATE_PATTERN, examples=["AB-123-CD"])
    make: str | None = Field(None, max_length=64)
    model: str | None = Field(None, max_length=80)
    year: int | None = Field(None, ge=1950, le=2100)
    fuel: Fuel | None = None
    engine_type: EngineType | None = None
    engine_litres: float | None = Field(None, gt=0, le=20)
    cylinders: int | None = Field(None, ge=1, le=16)
    mileage_km: int | None = Field(None, ge=0, le=5_000_000)
    vehicle_type_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="parts catalogue vehicle type, when known"
    )


class VehicleCreate(VehicleFields):
    """A new vehicle, by hand and/or from its VIN (decoded offline)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Demo car", "vin": "VF1BR0E0F12345678"}]}
    )


class VehicleUpdate(VehicleFields):
    """Fields to change (absent fields are kept; ``null`` clears)."""


class VinDecoded(BaseModel):
    """What the VIN says by itself (offline tables)."""

    vin: str
    wmi: str
    make: str | None
    model_years: list[int]
    check_digit_ok: bool
    plant: str | None


class VehicleTypeOut(BaseModel):
    """A parts-catalogue vehicle type."""

    id: int
    make: str
    model: str
    variant: str
    engine_code: str
    capacity_cc: int | None
    power_kw: int | None
    fuel: str
    year_from: int
    year_to: int | None


class CandidateOut(BaseModel):
    """A catalogue vehicle type that may be this car, with a score and the reasons."""

    vehicle_type: VehicleTypeOut
    score: float
    reasons: list[str]


class VehicleOut(BaseModel):
    """A vehicle as its owner sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    vin: str | None
    plate: str | None
    make: str | None
    model: str | None
    year: int | None
    fuel: str | None
    engine_type: str | None
    engine_litres: float | None
    cylinders: int | None
    mileage_km: int | None
    vehicle_type_id: int | None
    vin_info: dict[str, Any] | None
    card: dict[str, Any] | None
    created_at: dt.datetime
    updated_at: dt.datetime


class IdentificationOut(BaseModel):
    """The catalogue candidates for a vehicle (from its card fields, else its VIN)."""

    linked_vehicle_type_id: int | None
    candidates: list[CandidateOut]


class CardFieldOut(BaseModel):
    """One field read on the card: its value, the text read, the confidence in [0, 1]."""

    value: Any
    text: str
    confidence: float
    uncertain: bool


class CardReadingOut(BaseModel):
    """What OCR read on a registration card, for the user to confirm or correct."""

    id: int
    status: str
    fields: dict[str, CardFieldOut]
    uncertain_fields: list[str]
    warnings: list[str]
    vehicle_id: int | None
    created_at: dt.datetime


class Correction(BaseModel):
    """The right text of one card field."""

    code: CardCode = Field(examples=["A"])
    text: CardText = Field(examples=["AB-123-CD"])


class CardConfirm(BaseModel):
    """Corrections to the fields read and a name for the vehicle."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"corrections": [{"code": "A", "text": "AB-123-CD"}], "name": "Clio"}]
        }
    )

    corrections: list[Correction] = Field(default_factory=list, max_length=60)
    name: str | None = Field(None, max_length=80)
