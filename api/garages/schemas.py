"""Request and response bodies of the garages routes (pydantic 2)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.garages.hours import PARIS, WeeklyHours

Cents = Annotated[int, Field(ge=0, le=100_000_000)]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_:]+$")]


class _KeysAsPropertyNames:
    """pydantic states a dict's key pattern as ``patternProperties``, which leaves keys
    that do not match unconstrained: a client reading the schema may send them and get a
    422. ``propertyNames`` + ``additionalProperties`` say what the server accepts."""

    def __get_pydantic_json_schema__(self, core_schema, handler) -> dict:  # noqa: ANN001
        schema = handler(core_schema)
        patterns = schema.pop("patternProperties", None)
        if patterns:
            ((pattern, value),) = patterns.items()
            schema["propertyNames"] = {**schema.get("propertyNames", {}), "pattern": pattern}
            schema["additionalProperties"] = value
        return schema


def CodeKeyed(value):  # noqa: ANN001, ANN201, N802 - a type factory, named like a type
    """``dict[Code, value]`` with the key pattern stated in its JSON Schema."""
    return Annotated[dict[Code, value], _KeysAsPropertyNames()]


class GarageOut(BaseModel):
    """A garage of the directory."""

    id: int
    ref: str
    name: str
    address: str
    postcode: str
    city: str
    latitude: float
    longitude: float
    bays: int
    hours: dict[str, list[list[str]]] = Field(
        examples=[{"mon": [["08:00", "12:00"], ["14:00", "18:00"]]}]
    )
    hours_text: str = Field(examples=["mon-fri 08:00-12:00,14:00-18:00; sat 08:00-12:00"])
    open_on_public_holidays: bool
    closed_dates: list[str]
    labour_rate_cents: int = Field(description="per hour, before VAT", examples=[6550])
    vat_bp: int = Field(description="VAT in basis points (2000 = 20 %)")
    makes: list[str] = Field(description="makes it works on; empty: every make")
    services: dict[str, int | None] = Field(description="code -> its own minutes or null")
    cancel_notice_hours: int
    booking_notice_hours: int
    phone: str
    demo: bool
    distance_km: float | None = None

    @classmethod
    def of(cls, garage: Any, services: dict[str, int | None], distance: float | None = None):
        """From an ORM garage and its services."""
        data = {name: getattr(garage, name) for name in cls.model_fields
                if name not in ("hours_text", "services", "distance_km")}  # fmt: skip
        data["hours_text"] = WeeklyHours.from_json(garage.hours).to_text()
        return cls(**data, services=services, distance_km=distance)


class WorkIn(BaseModel):
    """What to quote: exactly one of ``service``, ``part_types``, ``causes``, ``diagnosis_id``."""

    model_config = ConfigDict(extra="forbid")

    service: Code | None = Field(None, examples=["brake_pads"])
    part_types: CodeKeyed(Annotated[int, Field(ge=1, le=16)]) | None = Field(
        None, examples=[{"ignition_coil": 1}], max_length=10
    )
    causes: list[tuple[Code, Annotated[float, Field(ge=0, le=1)]]] | None = Field(
        None, examples=[[["misfire:2", 0.7]]], max_length=20
    )
    diagnosis_id: Annotated[int, Field(ge=1, le=2_147_483_647)] | None = None
    top_causes: Annotated[int, Field(ge=1, le=5)] = 1
    brands: CodeKeyed(Annotated[str, Field(max_length=64)]) = Field(
        default_factory=dict, examples=[{"ignition_coil": "DEMO-ALPHA"}], max_length=10
    )


class QuoteRequest(WorkIn):
    """A quote for the caller's vehicle at the given garages (or at those around a place)."""

    vehicle_id: Annotated[int, Field(ge=1, le=2_147_483_647)]
    garage_ids: list[Annotated[int, Field(ge=1, le=2_147_483_647)]] | None = Field(
        None, max_length=50
    )
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    postcode: Annotated[str, Field(max_length=10)] | None = None
    radius_km: Annotated[float, Field(gt=0, le=200)] = 30.0
    limit: Annotated[int, Field(ge=1, le=50)] = 10


class QuoteLineOut(BaseModel):
    """A line of a quote (cents before VAT)."""

    kind: Literal["part", "labour", "note"]
    label: str
    quantity: int
    unit_price_cents: int
    total_cents: int
    service: str
    part_type: str | None = None
    part_id: int | None = None
    brand: str | None = None
    article_number: str | None = None
    supplier: str | None = None
    minutes: int | None = None
    reason: str = ""
    alternatives: list[dict[str, Any]] = Field(
        default_factory=list, description="other brands that fit, with their price"
    )


class QuoteOut(BaseModel):
    """A garage's quote; ``fingerprint`` is what a booking consents to."""

    garage_id: int
    currency: str
    lines: list[QuoteLineOut]
    parts_cents: int
    labour_cents: int
    total_excl_vat_cents: int
    vat_bp: int
    vat_cents: int
    total_incl_vat_cents: int
    minutes: int
    services: list[str]
    subject_to_inspection: bool
    notice: str
    fingerprint: str


class GarageQuoteOut(BaseModel):
    """A quote with its garage."""

    garage: GarageOut
    quote: QuoteOut


class SlotOut(BaseModel):
    """A free start for the job."""

    start: dt.datetime = Field(description="UTC")
    end: dt.datetime = Field(description="UTC")
    local_start: dt.datetime = Field(description="Europe/Paris")
    free_bays: int

    @classmethod
    def of(cls, slot: Any) -> SlotOut:
        """From a :class:`api.garages.slots.Slot`."""
        return cls(start=slot.start, end=slot.end, local_start=slot.start.astimezone(PARIS),
                   free_bays=slot.free_bays)  # fmt: skip


class GarageSlotsOut(BaseModel):
    """A garage of a slot search: distance, price of the job, first free slots."""

    garage: GarageOut
    total_incl_vat_cents: int
    minutes: int
    slots: list[SlotOut]


class SlotSearchOut(BaseModel):
    """The result of a slot search."""

    latitude: float
    longitude: float
    radius_km: float
    sort: str
    garages_considered: int
    results: list[GarageSlotsOut]


class BookingIn(WorkIn):
    """Book a slot: the work, the slot, the fingerprint of the quote consented to."""

    garage_id: Annotated[int, Field(ge=1, le=2_147_483_647)]
    vehicle_id: Annotated[int, Field(ge=1, le=2_147_483_647)]
    start: dt.datetime = Field(examples=["2026-12-07T09:00:00+01:00"])
    quote_fingerprint: Annotated[str, Field(min_length=64, max_length=64)]
    consent: bool = Field(description="the driver agrees to the quote lines (must be true)")
    note: Annotated[str, Field(max_length=2000)] = ""


class RescheduleIn(BaseModel):
    """A new start for a booking."""

    start: dt.datetime


class AdjustedLineIn(BaseModel):
    """A line of a garage's revised quote."""

    kind: Literal["part", "labour", "note"]
    label: Annotated[str, Field(min_length=1, max_length=200)]
    quantity: Annotated[int, Field(ge=1, le=1000)] = 1
    unit_price_cents: Cents
    minutes: Annotated[int, Field(ge=0, le=1440)] | None = None
    service: Annotated[str, Field(max_length=40)] = ""


class AdjustQuoteIn(BaseModel):
    """A garage's revised quote (after inspection)."""

    lines: list[AdjustedLineIn] = Field(min_length=1, max_length=50)


class BookingOut(BaseModel):
    """A booking, as its driver or its garage sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    garage_id: int
    vehicle_id: int
    diagnosis_id: int | None
    status: str
    start_at: dt.datetime
    end_at: dt.datetime
    local_start: dt.datetime
    quote: QuoteOut
    pending_quote: QuoteOut | None
    awaiting_driver_approval: bool
    vehicle: dict[str, Any]
    work: dict[str, Any]
    consent_at: dt.datetime
    note: str
    sequence: int

    @model_validator(mode="before")
    @classmethod
    def _from_orm(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        start = _utc(value.start_at)
        return {
            **{name: getattr(value, name) for name in (
                "id", "garage_id", "vehicle_id", "diagnosis_id", "status", "quote",
                "pending_quote", "vehicle", "work", "note", "sequence")},
            "start_at": start, "end_at": _utc(value.end_at),
            "consent_at": _utc(value.consent_at), "local_start": start.astimezone(PARIS),
            "awaiting_driver_approval": value.pending_quote is not None,
        }  # fmt: skip


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class SharedDiagnosisOut(BaseModel):
    """The diagnosis a driver shared with the garage of a booking (read-only copy)."""

    booking_id: int
    diagnosis_id: int | None
    diagnosis: dict[str, Any] | None
    work: dict[str, Any]
    vehicle: dict[str, Any]


class ClaimGarageIn(BaseModel):
    """The one-time invite code a garage received."""

    model_config = ConfigDict(extra="forbid")

    invite_code: str = Field(min_length=8, max_length=64, examples=["GAR-3q2X9yVb0kQm7TzL4wPf1sJd"])


class GarageAccountOut(BaseModel):
    """The garages an account acts for."""

    user_id: int
    garages: list[GarageOut]


class ImportReportOut(BaseModel):
    """The outcome of a directory import."""

    rows_read: int
    created: int
    updated: int
    rejected: list[tuple[int, str]]
    committed: bool
