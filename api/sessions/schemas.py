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


Times = Annotated[
    list[Annotated[float, Field(ge=0, le=10_000_000, allow_inf_nan=False)]],
    Field(max_length=MAX_ROWS, description="seconds since the session start"),
]


class RawLines(BaseModel):
    """Lines as the adapter printed them, as two columns of the same length: the time each
    line arrived and its text."""

    t: Times
    text: list[Annotated[str, Field(max_length=512)]] = Field(max_length=MAX_ROWS)

    @model_validator(mode="after")
    def _same_length(self) -> RawLines:
        if len(self.t) != len(self.text):
            raise ValueError("t and text must have the same length")
        return self


class DecodedReadings(BaseModel):
    """Values the app decoded itself (obdcore PID names, SI units), as columns of the same
    length; ``unit`` and ``ecu`` may be omitted."""

    t: Times
    name: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(max_length=MAX_ROWS)
    value: list[Annotated[float, Field(allow_inf_nan=False)]] = Field(max_length=MAX_ROWS)
    unit: list[Annotated[str, Field(max_length=16)]] | None = Field(None, max_length=MAX_ROWS)
    ecu: list[Annotated[int, Field(ge=0, le=0x1FFFFFFF)]] | None = Field(None, max_length=MAX_ROWS)

    @model_validator(mode="after")
    def _same_length(self) -> DecodedReadings:
        n = len(self.t)
        if any(
            col is not None and len(col) != n
            for col in (self.name, self.value, self.unit, self.ecu)
        ):
            raise ValueError("every column must have the length of t")
        return self


class UploadIn(BaseModel):
    """One chunk of a session: raw adapter lines (decoded here) and/or readings decoded by
    the app. Columns rather than objects: a one-hour drive is tens of thousands of rows."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "lines": {"t": [0.0, 0.2], "text": ["7E8 04 41 0C 1A F8", "7E8 03 41 0D 32"]},
                    "readings": {"t": [0.5], "name": ["SPEED"], "value": [42.0], "unit": ["km/h"]},
                }
            ]
        }
    )

    lines: RawLines | None = None
    readings: DecodedReadings | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> UploadIn:
        if not (self.lines and self.lines.t) and not (self.readings and self.readings.t):
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
