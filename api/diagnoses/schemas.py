"""Request and response bodies of the diagnoses routes.

Responses are in ONE language, the ``lang`` query parameter's (``en`` or ``fr``): every
bilingual text of :mod:`diagnostics` (``{"en": ..., "fr": ...}``) becomes a plain string,
so that the app shows what it receives.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from diagnostics.snapshot import SYMPTOMS, Snapshot, Symptom

Lang = Literal["en", "fr"]
Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
TestId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
CauseId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+(:[0-9]+)?$")]

EXAMPLE_SNAPSHOT = {
    "schema_version": 1,
    "vehicle": {"fuel": "petrol", "engine_type": "petrol_port", "cylinders": 4},
    "mil_on": True,
    "ecus": [{"address": "7E8", "stored": ["P0302"], "pending": [], "permanent": []}],
    "symptoms": ["rough_idle"],
}


class SnapshotOrSession(BaseModel):
    """Exactly one of ``snapshot`` (diagnostics' schema, version 1) or ``session_id`` (a
    recording of the same vehicle, uploaded through ``/v1/sessions/{id}/uploads``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"snapshot": EXAMPLE_SNAPSHOT}, {"session_id": 1}],
            "oneOf": [{"required": ["snapshot"]}, {"required": ["session_id"]}],
        },
    )

    # null is not a value to send (the schema says so); it reads as "not given"
    snapshot: Snapshot | SkipJsonSchema[None] = None
    session_id: Id | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SnapshotOrSession:
        if (self.snapshot is None) == (self.session_id is None):
            raise ValueError("give exactly one of snapshot or session_id")
        return self


class VerificationIn(SnapshotOrSession):
    """What the car reads after the repair, and which cause was repaired (default: the
    diagnosis' leading cause)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"snapshot": {"schema_version": 1, "mil_on": False, "ecus": []}},
                {"session_id": 2, "cause": "misfire:2"},
            ],
            "oneOf": [{"required": ["snapshot"]}, {"required": ["session_id"]}],
        },
    )

    cause: CauseId | SkipJsonSchema[None] = None


Fault = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+(:[0-9]+)?(@[0-9.]+)?$")
]


class GuidedTestIn(BaseModel):
    """Run the guided test on the car attached to the server (``novaevo serve --sim`` or
    ``--dongle``). ``faults``: only with the simulator, the faults the simulated car has
    (``name[:cylinder][@severity]``, e.g. ``misfire:2@0.9``; none: a healthy car)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"faults": ["misfire:2@0.9"]}, {}]}
    )

    faults: list[Fault] = Field(default_factory=list, max_length=3)
    symptoms: list[Symptom] = Field(
        default_factory=list, max_length=len(SYMPTOMS), description="what the driver notices"
    )


class AnswerIn(BaseModel):
    """The outcome of a test or question (``next_test.id`` and one of its ``outcomes``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"test": "swap_coil", "result": "misfire_follows"}]},
    )

    test: TestId
    result: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]


# ---------------------------------------------------------------------------- responses


class EvidenceOut(BaseModel):
    """A fact read from the car that speaks for (weight > 0) or against a cause."""

    source: str
    text: str
    weight: float


class ConfirmingTestOut(BaseModel):
    """A check a person can do, and the outcome this cause makes most likely."""

    id: str
    text: str
    expected: str


class PartTypeOut(BaseModel):
    """A part type of the catalogue's vocabulary, weighted for this cause."""

    code: str
    weight: float


class CauseOut(BaseModel):
    """One ranked cause."""

    cause: str = Field(examples=["misfire:2"])
    name: str
    probability: float
    severity: Literal["drive", "check_soon", "stop_now"]
    explanation: str
    evidence_for: list[EvidenceOut]
    evidence_against: list[EvidenceOut]
    confirming_tests: list[ConfirmingTestOut]
    part_types: list[PartTypeOut]
    labour_hours: tuple[float, float] = Field(description="usual labour, min and max hours")


class NextTestOut(BaseModel):
    """The test or question that best separates the leading causes (answer it with
    ``POST /v1/diagnoses/{id}/answers``)."""

    id: str
    text: str
    outcomes: list[str]
    expected_information_gain_bits: float


class DataQualityOut(BaseModel):
    """An impossible, stuck or missing value, left out of the reasoning."""

    pid: str
    phase: str | None
    problem: str
    text: str


class AnswerOut(BaseModel):
    """A test result given."""

    test: str
    result: str


class ResultOut(BaseModel):
    """The diagnosis itself (what :func:`diagnostics.diagnose` found)."""

    status: Literal["fault_found", "no_fault_found", "unknown_fault", "insufficient_data"]
    summary: str
    severity: Literal["drive", "check_soon", "stop_now"]
    causes: list[CauseOut]
    next_test: NextTestOut | None
    unexplained: list[EvidenceOut]
    data_quality: list[DataQualityOut]
    extra_data: list[str] = Field(description="what more data would help")
    answers: list[AnswerOut]
    codes: list[str]
    engine_type: str | None
    symptoms: list[str]


class MissingOut(BaseModel):
    """Something the diagnosis had to do without (and how to get it)."""

    what: str = Field(examples=["mode06"])
    message: str


class EventOut(BaseModel):
    """One step of the history: created, an answer, a repair verification."""

    kind: Literal["created", "answer", "verification"]
    at: dt.datetime
    test: str | None = None
    result: str | None = None
    verdict: str | None = None
    cause: str | None = None
    status: str | None = None
    top_causes: list[tuple[str, float]] = Field(
        default_factory=list, description="the ranking after this step"
    )


class GuidedProgressOut(BaseModel):
    """Where the guided test on the attached car is."""

    device: str
    faults: list[str]
    phase: str | None = None
    prompt: str | None = None
    phases_run: list[str] = Field(default_factory=list)
    stopped_early: str | None = None
    elapsed_s: float | None = None


class DiagnosisOut(BaseModel):
    """A stored diagnosis. ``state`` ``running`` (a guided test is going on: poll this),
    ``done`` (``diagnosis`` is set) or ``failed`` (``error`` says why)."""

    id: int
    vehicle_id: int
    source: Literal["snapshot", "session", "guided_test"]
    session_id: int | None
    state: Literal["running", "done", "failed"]
    error: str | None
    lang: Lang
    diagnosis: ResultOut | None
    missing: list[MissingOut]
    guided_test: GuidedProgressOut | None
    history: list[EventOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class DiagnosisSummaryOut(BaseModel):
    """A diagnosis in a vehicle's list."""

    id: int
    vehicle_id: int
    source: str
    state: str
    status: str | None
    summary: str | None
    severity: str | None
    top_cause: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class VerificationOut(BaseModel):
    """The verdict on a repair: did the fix work?"""

    diagnosis_id: int
    cause: str
    verdict: Literal["confirmed", "not_confirmed", "inconclusive"]
    summary: str
    evidence: list[EvidenceOut]
    after: ResultOut = Field(description="a fresh diagnosis of the after-repair data")
    missing: list[MissingOut]
    at: dt.datetime


class GuidedPlanOut(BaseModel):
    """What the app should read once, poll and ask the driver, phase by phase; then send
    the snapshot it built to ``POST /v1/vehicles/{id}/diagnoses``."""

    plan_version: int
    snapshot_schema_version: int
    read_once: list[str]
    poll_pids: list[str]
    sample_hz: float
    phases: list[dict[str, Any]] = Field(
        examples=[[{"id": "idle", "duration_s": 30, "gauge": "RPM", "target": [550, 1100],
                    "prompt": "Engine warm: let it idle, foot off the pedal."}]]
    )  # fmt: skip
    stop_when: dict[str, Any]
    then: str
    vehicle: dict[str, Any] = Field(
        description="the snapshot's `vehicle` block, from what is known of this car"
    )


class OfferOut(BaseModel):
    """A supplier's price for a part."""

    supplier: str
    supplier_name: str
    price_cents: int
    currency: str
    stock: int
    delivery_days: int | None


class PartOut(BaseModel):
    """A part that fits the vehicle, with its offers (best first)."""

    part_id: int
    brand: str
    article_number: str
    name: str
    certainty: str
    reason: str
    offers: list[OfferOut]


class PartSuggestionOut(BaseModel):
    """A part type worth checking for one cause (``score`` = probability x weight)."""

    cause: str
    part_type: str
    part_type_label: str
    score: float
    quoted: bool = Field(description="the part a garage quote for this cause replaces")
    parts: list[PartOut]
    total_parts: int


class DiagnosisPartsOut(BaseModel):
    """Parts for a diagnosis, for the vehicle's catalogue type (none when the vehicle is
    not linked to one: ``message`` says how to link it)."""

    diagnosis_id: int
    vehicle_type_id: int | None
    message: str | None
    suggestions: list[PartSuggestionOut]


class DtcCauseOut(BaseModel):
    """A cause of the knowledge base that explains a trouble code."""

    cause: str = Field(examples=["misfire:2"])
    name_en: str
    name_fr: str
    probability: float = Field(description="P(this code is set | this cause)")


class DtcOut(BaseModel):
    """What a diagnostic trouble code means, and the causes that set it."""

    code: str
    description_en: str | None
    description_fr: str | None
    causes: list[DtcCauseOut]
