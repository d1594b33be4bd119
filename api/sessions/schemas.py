"""Request and response bodies of the sessions, decode and Torque routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_ROWS = 500_000
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


T = Annotated[float, Field(ge=0, le=10_000_000, allow_inf_nan=False)]
LineText = Annotated[str, Field(max_length=512)]
Name = Annotated[str, Field(min_length=1, max_length=64)]
Value = Annotated[float, Field(allow_inf_nan=False)]
Unit = Annotated[str, Field(max_length=16)]


class UploadIn(BaseModel):
    """One chunk of a session: raw adapter lines (decoded here) and/or readings decoded by
    the app (obdcore PID names, SI units). Rows are short arrays rather than objects, so
    that a one-hour drive (tens of thousands of rows) stays small and fast to check:
    a line is ``[t, text]``, a reading ``[t, name, value, unit]``; ``t`` in seconds since
    the session start."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [{"required": ["lines"]}, {"required": ["readings"]}],
            "examples": [
                {
                    "lines": [[0.0, "7E8 04 41 0C 1A F8"], [0.2, "7E8 03 41 0D 32"]],
                    "readings": [[0.5, "SPEED", 42.0, "km/h"]],
                }
            ],
        }
    )

    lines: list[tuple[T, LineText]] = Field(None, min_length=1, max_length=MAX_ROWS)
    readings: list[tuple[T, Name, Value, Unit]] = Field(None, min_length=1, max_length=MAX_ROWS)

    @model_validator(mode="after")
    def _not_empty(self) -> UploadIn:
        if self.lines is None and self.readings is None:
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
