"""schemathesis against the OpenAPI schema, every check, on both databases: no server
error, every response matching its documented status, content type, headers and schema,
bad data refused, good data accepted, authentication enforced.

Bounded in time: a few examples per operation (this is the contract test; long fuzzing
belongs in benchmarks/). Run programmatically, one Hypothesis run per operation, because
schemathesis' pytest plugin does not support pytest 9 yet.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.api.conftest import User

EXAMPLES_PER_OPERATION = 2  # per generation mode (valid data, invalid data)


def _takes_a_snapshot(content: dict) -> bool:
    schema = content.get("application/json", {}).get("schema", {})
    return "$ref" in schema and schema["$ref"].split("/")[-1] in SNAPSHOT_BODIES


# Bodies that carry a vehicle snapshot (diagnostics' schema): its validators normalise then
# check (a code "p0171 " is read as P0171, an ECU address "7e8" as 7E8) and have cross-field
# rules (each series as long as its times, fuel agreeing with the engine type) that a JSON
# Schema pattern or type cannot state without refusing good input.
SNAPSHOT_BODIES = {"SnapshotOrSession", "VerificationIn"}


def _excluded(operation) -> list:
    # A registration-card photo is any bytes to a schema ("format: binary"): no schema can
    # say "a photo of a card", so bytes that are not one are rightly refused (415/422) and
    # "valid data accepted" cannot hold there; nor for a snapshot (above). Every other
    # check still runs on them (no server error, responses match the schema...).
    content = operation.definition.raw.get("requestBody", {}).get("content", {})
    if "image/jpeg" in content or _takes_a_snapshot(content):
        from schemathesis.specs.openapi.checks import positive_data_acceptance

        return [positive_data_acceptance]
    return []


def _check_operation(operation, headers: dict, mode: GenerationMode) -> None:
    excluded = _excluded(operation)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def run(case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    run()


def _tags() -> list[str]:
    from api.app import create_app
    from api.settings import Settings

    schema = create_app(Settings(ocr_preload=False, database_url="sqlite://")).openapi()
    return sorted(
        {
            op.get("tags", ["untagged"])[0]
            for item in schema["paths"].values()
            for op in item.values()
        }
    )


# One test per domain (OpenAPI tag): a failure names the domain that owns it.
@pytest.mark.parametrize("tag", _tags())
def test_the_api_honours_its_schema(app, client, tag: str, request) -> None:
    if tag == "vehicles":  # card photos go through the real OCR, loaded once per session
        app.state.ocr._reader = request.getfixturevalue("card_reader")
    headers = User(client).headers
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if (op.tags or ["untagged"])[0] == tag]
    assert operations
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _check_operation(operation, headers, mode)
            except Unsatisfiable:
                # no input to make invalid (GET /health takes none): nothing to check
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - reported below
                failures[f"{operation.label} ({mode})"] = f"{type(exc).__name__}: {exc}"[:2000]
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())


def test_dict_keys_are_constrained_by_property_names() -> None:
    """``patternProperties`` leaves keys that do not match it unconstrained, so a client
    (or schemathesis, with more examples) may send one and get a 422: every keyed body
    states its key rule as ``propertyNames`` instead."""
    from api.app import create_app
    from api.settings import Settings

    schema = create_app(Settings(ocr_preload=False, database_url="sqlite://")).openapi()
    found = []

    def walk(node, path: str) -> None:  # noqa: ANN001 - any JSON value
        if isinstance(node, dict):
            if "patternProperties" in node:
                found.append(path)
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}/{i}")

    walk(schema, "")
    assert not found, found
