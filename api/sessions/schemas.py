"""Request and response bodies of the sessions, decode and Torque routes."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

Protocol = Field("6", pattern=r"^A?[1-9A-C]$", description="ELM327 protocol number (ATDPN)")


class SessionCreate(BaseModel):
    """A new recording of a vehicle; ``protocol``/``headers`` say how to decode raw lines."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Morning drive"}]})

    name: str = Field("", max_length=120)
    protocol: str = Protocol
    headers: bool = True


class SessionOut(BaseModel):
    """A recorded session."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    vehicle_id: int
    name: str
    source: str
    external_id: str | None
    protocol: str | None
    headers: bool
    reading_count: int
    created_at: dt.datetime


class RawLine(BaseModel):
    """One line the adapter printed, with the time (s since the session start) it arrived."""

    t: float = Field(ge=0, le=10_000_000, allow_inf_nan=False)
    text: str = Field(max_length=512)


class DecodedReading(BaseModel):
    """One value the app decoded itself (obdcore PID names, SI units)."""

    t: float = Field(ge=0, le=10_000_000, allow_inf_nan=False)
    name: str = Field(min_length=1, max_length=64, examples=["RPM"])
    value: float = Field(allow_inf_nan=False)
    unit: str = Field("", max_length=16)
    ecu: int | None = Field(None, ge=0, le=0x1FFFFFFF)


class UploadIn(BaseModel):
    """One chunk of a session: raw adapter lines and/or readings decoded by the app."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "lines": [{"t": 0.0, "text": "7E8 04 41 0C 1A F8"}],
                    "readings": [{"t": 0.5, "name": "SPEED", "value": 42.0, "unit": "km/h"}],
                }
            ]
        }
    )

    lines: list[RawLine] = Field(default_factory=list, max_length=500_000)
    readings: list[DecodedReading] = Field(default_factory=list, max_length=500_000)

    @model_validator(mode="after")
    def _not_empty(self) -> UploadIn:
        if not self.lines and not self.readings:
            raise ValueError("give lines and/or readings")
        return self


class UploadResult(BaseModel):
    """What one upload stored (returned again, unchanged, for a retry with the same key)."""

    upload_id: int
    session_id: int
    lines: int
    readings: int
    dtcs: list[str]
    notices: int


class DecodeIn(BaseModel):
    """Raw adapter output to decode (stateless)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"lines": ["7E8 04 41 0C 1A F8", "7E8 03 41 0D 32"]}]}
    )

    lines: list[str] = Field(min_length=1, max_length=500_000)
    protocol: str = Protocol
    headers: bool = True


class DecodeOut(BaseModel):
    """Decoded values as columns (one entry per reading): ``field`` indexes ``names``/``units``;
    ``line`` is the index of the input line that completed the answer."""

    names: list[str]
    units: list[str]
    line: list[int]
    ecu: list[int]
    field: list[int]
    value: list[float]
    dtcs: list[dict]
    notices: list[dict]


class DtcOut(BaseModel):
    """What a diagnostic trouble code means."""

    code: str
    description_en: str | None
    description_fr: str | None
    causes: list[str]
