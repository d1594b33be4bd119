"""The vehicle snapshot (input of a diagnosis) and the diagnosis (its output), as pydantic models.

A *snapshot* is everything one visit to a car read through the dongle: the vehicle, the codes
per ECU, freeze frames, readiness, Mode 06 results, supported PIDs, the live series of each
guided-test phase, and the symptoms the driver reported. Its JSON form is versioned
(``schema_version``, currently 1) and documented here field by field; the JSON Schema
file ``diagnostics/snapshot.schema.json`` is generated from :class:`Snapshot` (a test keeps it
current: ``python -m diagnostics.snapshot > diagnostics/snapshot.schema.json``).

Values are SI, named by obdcore's PID names (``obdcore/data/pids.csv``). Every field but
``schema_version`` is optional: partial snapshots are normal. Validation checks *types and
shapes* (a malformed code, a string where a number goes, series of unequal lengths); physically
impossible *values* (negative rpm, 400 C coolant) are not refused here: the diagnosis flags
them as data-quality findings, because a broken sensor is itself evidence.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

SCHEMA_VERSION = 1

PHASES = ("cold_start", "idle", "hold_2500", "snap_throttle", "drive")
SYMPTOMS = (
    "rough_idle",
    "hesitation",
    "stalling",
    "hard_start",
    "poor_fuel_economy",
    "fuel_smell",
    "white_smoke",
    "blue_smoke",
    "black_smoke",
    "overheating_gauge",
    "noise_knocking",
    "noise_whining",
    "loss_of_power",
    "check_engine_flashing",
)
Symptom = Literal[
    "rough_idle",
    "hesitation",
    "stalling",
    "hard_start",
    "poor_fuel_economy",
    "fuel_smell",
    "white_smoke",
    "blue_smoke",
    "black_smoke",
    "overheating_gauge",
    "noise_knocking",
    "noise_whining",
    "loss_of_power",
    "check_engine_flashing",
]
EngineType = Literal["petrol_port", "petrol_di", "petrol_turbo", "diesel"]

# Finite numbers only (NaN/inf cannot come from a car); checked in pydantic's core, not a loop.
Number = Annotated[float, Field(allow_inf_nan=False)]

_DTC = re.compile(r"^[PCBU][0-3][0-9A-F]{3}$")
_ECU = re.compile(r"^(?:[0-9A-F]{2}|[0-9A-F]{3}|[0-9A-F]{8})$")
_HEX2 = re.compile(r"^[0-9A-F]{2}$")
_PID_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class SnapshotError(ValueError):
    """A snapshot that cannot be read: bad JSON, wrong types, another schema version.

    ``problems`` lists one human-readable line per problem (``where: what``).
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


def normalise_dtc(code: Any) -> str:
    """``"p0171"`` -> ``"P0171"``. Raises ValueError for anything that is not a 5-char DTC."""
    if not isinstance(code, str):
        raise ValueError(f"a trouble code is a string such as 'P0171', not {type(code).__name__}")
    text = code.strip().upper()
    if not _DTC.match(text):
        raise ValueError(
            f"malformed trouble code {code[:20]!r}: expected a letter P/C/B/U, a digit 0-3 "
            "and three hex digits (e.g. P0171)"
        )
    return text


class _Model(BaseModel):
    # Unknown keys are refused: a misspelt field would otherwise be silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=False, strict=False)


def _finite(value: float | None, where: str) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"{where} must be a finite number, not {value}")
    return value


class Vehicle(_Model):
    """What is known of the car; every field optional."""

    vin: str | None = Field(None, max_length=17, description="VIN as read (Mode 09 or card)")
    fuel: Literal["petrol", "diesel"] | None = None
    engine_type: EngineType | None = None
    engine_litres: float | None = Field(None, gt=0, le=10, description="displacement in L")
    cylinders: int | None = Field(None, ge=1, le=16)
    year: int | None = Field(None, ge=1970, le=2100)
    mileage_km: float | None = Field(None, ge=0, le=3_000_000)

    @model_validator(mode="after")
    def _fuel_matches_engine(self) -> Vehicle:
        if self.fuel and self.engine_type:
            diesel_engine = self.engine_type == "diesel"
            if diesel_engine != (self.fuel == "diesel"):
                raise ValueError(f"fuel {self.fuel!r} contradicts engine_type {self.engine_type!r}")
        return self


class EcuCodes(_Model):
    """The trouble codes one ECU reported (Mode 03 stored, 07 pending, 0A permanent)."""

    address: str = Field(description="CAN id as hex (7E8) or 29-bit id, or legacy address")
    name: str | None = None
    stored: list[str] = Field(default_factory=list)
    pending: list[str] = Field(default_factory=list)
    permanent: list[str] = Field(default_factory=list)

    @field_validator("address", mode="before")
    @classmethod
    def _address(cls, value: Any) -> str:
        text = str(value).strip().upper() if isinstance(value, str) else value
        if not isinstance(text, str) or not _ECU.match(text):
            raise ValueError(f"ECU address must be hex such as '7E8', not {value!r}")
        return text

    @field_validator("stored", "pending", "permanent", mode="before")
    @classmethod
    def _codes(cls, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError("a list of trouble codes such as ['P0171']")
        return [normalise_dtc(code) for code in value]


class FreezeFrame(_Model):
    """One freeze frame: the PID values the ECU saved when ``dtc`` was confirmed."""

    ecu: str = "7E8"
    frame: int = Field(0, ge=0, le=255)
    dtc: str | None = None
    values: dict[str, Number] = Field(default_factory=dict)

    @field_validator("dtc", mode="before")
    @classmethod
    def _dtc(cls, value: Any) -> str | None:
        return None if value in (None, "", "P0000") else normalise_dtc(value)

    @field_validator("values")
    @classmethod
    def _values(cls, value: dict[str, float]) -> dict[str, float]:
        for name in value:
            _check_pid_name(name)
        return value


class MonitorState(_Model):
    """One readiness monitor."""

    available: bool
    complete: bool


class Readiness(_Model):
    """Readiness monitors since the codes were cleared (PID 01) and this drive cycle (PID 41)."""

    since_clear: dict[str, MonitorState] = Field(default_factory=dict)
    this_cycle: dict[str, MonitorState] | None = None


class Mode06Result(_Model):
    """One on-board monitor test result (Mode 06), scaled to its unit."""

    ecu: str = "7E8"
    mid: str
    tid: str
    name: str | None = None
    value: float | None = Field(None, description="null when the test has no result yet")
    min: float | None = None
    max: float | None = None
    unit: str | None = None
    status: Literal["pass", "fail", "no_result"] | None = None

    @field_validator("mid", "tid", mode="before")
    @classmethod
    def _hex(cls, value: Any) -> str:
        text = value.strip().upper() if isinstance(value, str) else value
        if not isinstance(text, str) or not _HEX2.match(text):
            raise ValueError(f"two hex digits such as 'A3', not {value!r}")
        return text

    @model_validator(mode="after")
    def _numbers(self) -> Mode06Result:
        for where in ("value", "min", "max"):
            _finite(getattr(self, where), where)
        return self


class Phase(_Model):
    """The live series of one guided-test phase, sampled at about 1 Hz.

    ``t`` = seconds from the phase start; ``series[PID]`` has one value per ``t`` (``None``
    where the car did not answer that poll).
    """

    duration_s: float | None = Field(None, ge=0)
    t: list[Number] = Field(default_factory=list)
    series: dict[str, list[Number | None]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _same_lengths(self) -> Phase:
        for name, values in self.series.items():
            _check_pid_name(name)
            if self.t and len(values) != len(self.t):
                raise ValueError(
                    f"series {name} has {len(values)} values but t has {len(self.t)} times"
                )
        return self


class Phases(_Model):
    """The phases a guided test may run; any of them may be missing."""

    cold_start: Phase | None = None
    idle: Phase | None = None
    hold_2500: Phase | None = None
    snap_throttle: Phase | None = None
    drive: Phase | None = None


def _check_pid_name(name: str) -> None:
    if not _PID_NAME.match(name):
        raise ValueError(f"{name!r} is not a PID name such as 'RPM' (obdcore/data/pids.csv)")


class Snapshot(_Model):
    """Everything read from one car, schema version 1 (see the module docstring)."""

    schema_version: Literal[1] = Field(description="1; another version is refused")
    vehicle: Vehicle | None = None
    mil_on: bool | None = None
    ecus: list[EcuCodes] = Field(default_factory=list)
    freeze_frames: list[FreezeFrame] = Field(default_factory=list)
    readiness: Readiness | None = None
    time_since_clear_s: float | None = Field(None, ge=0)
    warmups_since_clear: int | None = Field(None, ge=0)
    distance_since_clear_km: float | None = Field(None, ge=0)
    mode06: list[Mode06Result] = Field(default_factory=list)
    supported_pids: list[str] = Field(default_factory=list)
    phases: Phases = Field(default_factory=Phases)
    symptoms: list[Symptom] = Field(default_factory=list)

    @field_validator("supported_pids", mode="before")
    @classmethod
    def _pids(cls, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError("a list of PID numbers as hex such as ['0C', '0D']")
        out = []
        for pid in value:
            text = pid.strip().upper() if isinstance(pid, str) else pid
            if not isinstance(text, str) or not _HEX2.match(text):
                raise ValueError(f"PID numbers are two hex digits such as '0C', not {pid!r}")
            out.append(text)
        return out

    @field_validator("phases", mode="before")
    @classmethod
    def _no_null_phases(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("ecus", "freeze_frames", "mode06", "symptoms", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    def codes(self, kinds: tuple[str, ...] = ("stored", "pending", "permanent")) -> set[str]:
        """All trouble codes of all ECUs of the given kinds."""
        return {code for ecu in self.ecus for kind in kinds for code in getattr(ecu, kind)}

    def phase(self, name: str) -> Phase | None:
        """The phase called ``name`` or None."""
        return getattr(self.phases, name)


def load_snapshot(source: dict | str | bytes | Path) -> Snapshot:
    """Validate a snapshot given as a dict, JSON text/bytes, or a path to a JSON file.

    Raises :class:`SnapshotError` with one line per problem (never a pydantic traceback).
    """
    data = _as_dict(source)
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SnapshotError(
            f"snapshot schema_version {version!r} is not supported: this NovaEvo reads "
            f"schema_version {SCHEMA_VERSION}"
            + (" (the field is missing)" if "schema_version" not in data else "")
        )
    try:
        return Snapshot.model_validate(data)
    except ValidationError as error:
        problems = [_problem_line(item) for item in error.errors()]
        raise SnapshotError(
            f"invalid snapshot ({len(problems)} problem(s)): " + "; ".join(problems[:5]),
            problems,
        ) from None


def _as_dict(source: dict | str | bytes | Path) -> dict:
    if isinstance(source, Path):
        try:
            source = source.read_bytes()
        except OSError as error:
            raise SnapshotError(f"cannot read snapshot file {source}: {error.strerror}") from None
    if isinstance(source, (str, bytes)):
        try:
            source = json.loads(source)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise SnapshotError(f"snapshot is not valid JSON: {error}") from None
    if not isinstance(source, dict):
        raise SnapshotError(f"a snapshot is a JSON object, not {type(source).__name__}")
    return source


def _problem_line(item: dict) -> str:
    where = ".".join(str(part) for part in item["loc"]) or "snapshot"
    message = item["msg"].removeprefix("Value error, ")
    return f"{where}: {message}"


# --------------------------------------------------------------------------- diagnosis output

Severity = Literal["drive", "check_soon", "stop_now"]
SEVERITY_ORDER = {"drive": 0, "check_soon": 1, "stop_now": 2}


class Text(BaseModel):
    """A sentence in English and French."""

    en: str
    fr: str


class EvidenceItem(BaseModel):
    """One fact read from the snapshot that speaks for or against a cause, with its numbers."""

    source: Literal[
        "code",
        "live",
        "freeze_frame",
        "mode06",
        "readiness",
        "symptom",
        "test",
        "data_quality",
        "model",
    ]
    text: Text
    weight: float = Field(description="log-likelihood ratio this item adds (+ for, - against)")


class ConfirmingTest(BaseModel):
    """A check a person can do to confirm or rule out a cause."""

    id: str
    text: Text
    expected: str = Field(description="the outcome this cause makes most likely")


class PartType(BaseModel):
    """A part type of the parts catalogue's vocabulary, weighted for this cause."""

    code: str
    weight: float


class RankedCause(BaseModel):
    """One probable cause of the diagnosis."""

    cause: str = Field(description="cause id, with a cylinder qualifier when known (misfire:2)")
    name: Text
    probability: float = Field(ge=0, le=1)
    evidence_for: list[EvidenceItem] = Field(default_factory=list)
    evidence_against: list[EvidenceItem] = Field(default_factory=list)
    confirming_tests: list[ConfirmingTest] = Field(default_factory=list)
    severity: Severity
    part_types: list[PartType] = Field(default_factory=list)
    labour_hours: tuple[float, float]
    explanation: Text


class DataQualityFinding(BaseModel):
    """An impossible or stuck value: flagged and left out of the reasoning."""

    pid: str
    phase: str | None = None
    problem: Literal["impossible", "stuck", "missing"]
    text: Text


class NextTest(BaseModel):
    """The question or test that best separates the leading causes."""

    id: str
    text: Text
    outcomes: list[str]
    expected_information_gain_bits: float


class Answer(BaseModel):
    """A test result the user gave (:func:`diagnostics.answer`)."""

    test: str
    result: str


class Diagnosis(BaseModel):
    """The result of :func:`diagnostics.diagnose`.

    ``status``: ``fault_found`` (``causes`` ranked), ``no_fault_found`` (healthy car),
    ``unknown_fault`` (something is wrong but no known cause fits: see a mechanic), or
    ``insufficient_data`` (an empty snapshot). ``posterior`` keeps the probability of every
    candidate so that :func:`diagnostics.answer` can update the ranking without the snapshot;
    the causes' ``probability`` and ``confidence`` are the calibrated ones (each cause's
    probability of being one of the faults: with two faults they may add up to more than 1).
    """

    schema_version: Literal[1] = 1
    status: Literal["fault_found", "no_fault_found", "unknown_fault", "insufficient_data"]
    summary: Text
    severity: Severity
    causes: list[RankedCause] = Field(default_factory=list)
    posterior: dict[str, float] = Field(default_factory=dict)
    confidence: float | None = Field(
        default=None,
        description="calibrated probability that the most probable hypothesis is right",
    )
    unexplained: list[EvidenceItem] = Field(default_factory=list)
    data_quality: list[DataQualityFinding] = Field(default_factory=list)
    next_test: NextTest | None = None
    extra_data: list[Text] = Field(default_factory=list)
    answers: list[Answer] = Field(default_factory=list)
    codes: list[str] = Field(default_factory=list)
    engine_type: EngineType | None = None
    symptoms: list[Symptom] = Field(default_factory=list)
    evidence: dict[str, list[EvidenceItem]] = Field(
        default_factory=dict, description="evidence per candidate cause (kept for answer())"
    )


def snapshot_json_schema() -> dict:
    """The JSON Schema of :class:`Snapshot` (what ``snapshot.schema.json`` holds)."""
    schema = Snapshot.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://novaevo.example/schemas/snapshot-v1.json"
    return schema


SCHEMA_PATH = Path(__file__).with_name("snapshot.schema.json")

if __name__ == "__main__":  # regenerate the schema file: python -m diagnostics.snapshot
    print(json.dumps(snapshot_json_schema(), indent=2, sort_keys=True))
