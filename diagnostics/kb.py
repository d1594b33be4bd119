"""The knowledge base: causes, findings, tests and sources as YAML data, validated on load.

Files (``diagnostics/kb/``): ``causes.yaml`` (one entry per cause id: the single source of
cause ids and their part types), ``findings.yaml`` (yes/no facts computed from features),
``tests.yaml`` (confirming tests and questions with outcome likelihoods per cause),
``sources.yaml`` (where each fact comes from). :func:`load_kb` reads and cross-checks them;
any problem raises :class:`KnowledgeBaseError` naming the file and entry.

This module imports only the standard library, PyYAML and pydantic, so that ``parts`` can read
the cause table (:func:`cause_part_types`) without the diagnosis engine.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

KB_DIR = Path(__file__).with_name("kb")
ENGINE_TYPES = ("petrol_port", "petrol_di", "petrol_turbo", "diesel")
_CODE = re.compile(r"^[PCBU][0-3][0-9A-F]{2}[0-9A-FN]$|^[PCBU][0-3][0-9A-F][0-9A-F]N$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# The C loader is 10x faster; same safe subset of YAML.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeBaseError(ValueError):
    """The knowledge base files are missing, malformed or inconsistent."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Strict):
    """A text in English and French."""

    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)


Probability = float


class Finding(_Strict):
    """A yes/no fact: ``feature op value``; ``p0`` = its rate without the cause."""

    feature: str
    op: Literal[">", "<"]
    value: float
    p0: float = Field(gt=0, lt=1)
    text: Bilingual
    source: str

    def holds(self, x: float) -> bool:
        """True when the feature value ``x`` meets the condition."""
        return x > self.value if self.op == ">" else x < self.value


class Cause(_Strict):
    """One cause of the knowledge base (see causes.yaml for the field meanings)."""

    id: str
    system: str
    name: Bilingual
    engines: tuple[str, ...]
    prior: float = Field(gt=0, le=10)
    per_cylinder: bool = False
    simulated: bool = True
    codes: dict[str, Probability]
    findings: dict[str, Probability] = Field(default_factory=dict)
    symptoms: dict[str, Probability] = Field(default_factory=dict)
    tests: tuple[str, ...]
    severity: Literal["drive", "check_soon", "stop_now"]
    parts: dict[str, float]
    labour_hours: tuple[float, float]
    sources: dict[str, str]
    explanation: Bilingual

    @field_validator("engines")
    @classmethod
    def _engines(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [e for e in value if e not in ENGINE_TYPES]
        if bad or not value:
            raise ValueError(f"engines must be among {ENGINE_TYPES}, got {list(value)}")
        return value

    @field_validator("codes")
    @classmethod
    def _codes(cls, value: dict[str, float]) -> dict[str, float]:
        for code, p in value.items():
            if not _CODE.match(code):
                raise ValueError(f"malformed code {code!r} (N = cylinder digit)")
            _check_p(p, code)
        return value

    @field_validator("findings", "symptoms")
    @classmethod
    def _probabilities(cls, value: dict[str, float]) -> dict[str, float]:
        for key, p in value.items():
            _check_p(p, key)
        return value

    @field_validator("parts")
    @classmethod
    def _parts(cls, value: dict[str, float]) -> dict[str, float]:
        for code, weight in value.items():
            if not _ID.match(code) or not 0 < weight <= 1:
                raise ValueError(f"part type {code!r}: weight must be in (0, 1], got {weight}")
        return value

    @field_validator("labour_hours")
    @classmethod
    def _labour(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0 <= value[0] <= value[1] <= 40:
            raise ValueError(f"labour_hours must be [min, max] within 0..40 h, got {value}")
        return value

    def codes_for(self, cylinder: int | None) -> dict[str, float]:
        """The code table with ``N`` replaced by the cylinder number (dropped when unknown)."""
        if not self.per_cylinder:
            return self.codes
        out = {}
        for code, p in self.codes.items():
            if code.endswith("N"):
                if cylinder is not None and 1 <= cylinder <= 9:
                    out[code[:-1] + str(cylinder)] = p
            else:
                out[code] = p
        return out


class Test(_Strict):
    """A confirming test or question with P(outcome | cause)."""

    id: str
    text: Bilingual
    outcomes: tuple[str, ...] = Field(min_length=2)
    engines: tuple[str, ...] = ENGINE_TYPES
    default: dict[str, Probability]
    causes: dict[str, dict[str, Probability]]
    source: str

    def distribution(self, cause: str | None) -> dict[str, float]:
        """P(outcome) under ``cause`` (base id) or under no listed cause (``None``)."""
        key = cause if cause in self.causes else None
        cache = _DISTRIBUTIONS.setdefault(id(self), {})
        if key not in cache:
            given = self.causes[key] if key else self.default
            cache[key] = _complete(given, self.outcomes)
        return cache[key]

    def expected(self, cause: str) -> str:
        """The outcome ``cause`` makes most likely."""
        dist = self.distribution(cause)
        return max(self.outcomes, key=lambda o: dist[o])


class KnowledgeBase(_Strict):
    """The whole validated knowledge base."""

    causes: dict[str, Cause]
    findings: dict[str, Finding]
    tests: dict[str, Test]
    sources: dict[str, str]

    def cause(self, cause_id: str) -> Cause:
        """The cause for ``"misfire:2"`` or ``"misfire"``. Raises KeyError when unknown."""
        return self.causes[cause_id.partition(":")[0]]

    def without(self, cause_ids: set[str]) -> KnowledgeBase:
        """A copy that knows nothing of ``cause_ids`` (used to measure abstention)."""
        causes = {k: v for k, v in self.causes.items() if k not in cause_ids}
        tests = {
            k: t.model_copy(update={"causes": {c: d for c, d in t.causes.items() if c in causes}})
            for k, t in self.tests.items()
        }
        return self.model_copy(update={"causes": causes, "tests": tests})

    def all_codes(self) -> frozenset[str]:
        """Every code (cylinder placeholder expanded to 1..8) some cause explains."""
        cached = _ALL_CODES.get(id(self))
        if cached is not None and cached[0] is self:  # not a dead copy's reused id
            return cached[1]
        codes = set()
        for cause in self.causes.values():
            for cyl in range(1, 9) if cause.per_cylinder else (None,):
                codes |= set(cause.codes_for(cyl))
        _ALL_CODES[id(self)] = (self, frozenset(codes))
        return _ALL_CODES[id(self)][1]


# Test models are frozen: their completed distributions are memoised here, by object id.
_DISTRIBUTIONS: dict[int, dict[str | None, dict[str, float]]] = {}
_ALL_CODES: dict[int, tuple[KnowledgeBase, frozenset[str]]] = {}


def _check_p(p: float, where: str) -> None:
    if not 0 < p < 1:
        raise ValueError(f"{where}: probability must be strictly between 0 and 1, got {p}")


def _complete(given: dict[str, float], outcomes: tuple[str, ...]) -> dict[str, float]:
    rest = [o for o in outcomes if o not in given]
    left = max(1.0 - sum(given.values()), 0.0)
    dist = {o: given.get(o, left / len(rest) if rest else 0.0) for o in outcomes}
    total = sum(dist.values())
    return {o: max(p / total, 1e-4) for o, p in dist.items()}


def _read(name: str, directory: Path) -> dict:
    path = directory / name
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except OSError as error:
        raise KnowledgeBaseError(f"cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise KnowledgeBaseError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise KnowledgeBaseError(f"{path} must hold a mapping of id -> entry")
    return data


def _entries(model: type[BaseModel], data: dict, file: str, with_id: bool) -> dict:
    out = {}
    for key, entry in data.items():
        if not isinstance(key, str) or not _ID.match(key):
            raise KnowledgeBaseError(f"{file}: {key!r} is not a lower_snake_case id")
        if not isinstance(entry, dict):
            raise KnowledgeBaseError(f"{file}: {key}: an entry is a mapping")
        try:
            out[key] = model.model_validate({"id": key, **entry} if with_id else entry)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise KnowledgeBaseError(
                f"{file}: {key}: {where}: {first['msg'].removeprefix('Value error, ')}"
            ) from None
    return out


def load_kb(directory: Path = KB_DIR) -> KnowledgeBase:
    """Read, validate and cross-check the knowledge base in ``directory``.

    Raises :class:`KnowledgeBaseError` naming the file and entry of the first problem.
    """
    sources = _read("sources.yaml", directory)
    findings = _entries(Finding, _read("findings.yaml", directory), "findings.yaml", False)
    tests = _entries(Test, _read("tests.yaml", directory), "tests.yaml", True)
    causes = _entries(Cause, _read("causes.yaml", directory), "causes.yaml", True)
    kb = KnowledgeBase(causes=causes, findings=findings, tests=tests, sources=sources)
    _cross_check(kb)
    return kb


def _cross_check(kb: KnowledgeBase) -> None:
    from diagnostics.snapshot import SYMPTOMS

    problems = []
    for f_id, finding in kb.findings.items():
        if finding.source not in kb.sources:
            problems.append(f"findings.yaml: {f_id}: unknown source {finding.source!r}")
    for t_id, test in kb.tests.items():
        problems += _check_test(kb, t_id, test)
    for c_id, cause in kb.causes.items():
        problems += [
            f"causes.yaml: {c_id}: unknown finding {f!r}"
            for f in cause.findings
            if f not in kb.findings
        ]
        problems += [
            f"causes.yaml: {c_id}: unknown symptom {s!r}"
            for s in cause.symptoms
            if s not in SYMPTOMS
        ]
        problems += [
            f"causes.yaml: {c_id}: unknown test {t!r}" for t in cause.tests if t not in kb.tests
        ]
        problems += [
            f"causes.yaml: {c_id}: unknown source {s!r}"
            for s in cause.sources.values()
            if s not in kb.sources
        ]
        if not cause.tests:
            problems.append(f"causes.yaml: {c_id}: needs at least one confirming test")
    if problems:
        raise KnowledgeBaseError("; ".join(problems[:10]))


def _check_test(kb: KnowledgeBase, t_id: str, test: Test) -> list[str]:
    problems = []
    if test.source not in kb.sources:
        problems.append(f"tests.yaml: {t_id}: unknown source {test.source!r}")
    for cause, dist in {"default": test.default, **test.causes}.items():
        if cause != "default" and cause not in kb.causes:
            problems.append(f"tests.yaml: {t_id}: unknown cause {cause!r}")
        for outcome, p in dist.items():
            if outcome not in test.outcomes or not 0 < p < 1:
                problems.append(f"tests.yaml: {t_id}: {cause}: bad outcome {outcome!r}={p}")
        if sum(dist.values()) > 1.0 + 1e-9:
            problems.append(f"tests.yaml: {t_id}: {cause}: probabilities sum above 1")
    return problems


@lru_cache(maxsize=1)
def default_kb() -> KnowledgeBase:
    """The shipped knowledge base, loaded once."""
    return load_kb()


def cause_part_types() -> dict[str, tuple[tuple[str, float], ...]]:
    """cause id -> ((part-type code, weight), ...), highest weight first: the table ``parts``
    reads (data only)."""
    return {
        c_id: tuple(sorted(cause.parts.items(), key=lambda kv: -kv[1]))
        for c_id, cause in default_kb().causes.items()
    }
