"""schemathesis against the OpenAPI schema, every check, on both databases: no server
error, every response matching its documented status, content type, headers and schema,
bad data refused, good data accepted, authentication enforced.

Bounded in time: a few examples per operation (this is the contract test; long fuzzing
belongs in benchmarks/). Run programmatically, one Hypothesis run per operation, because
schemathesis' pytest plugin does not support pytest 9 yet.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.api.conftest import User

EXAMPLES_PER_OPERATION = 3  # per generation mode (valid data, invalid data)


def _check_operation(operation, headers: dict, mode: GenerationMode) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def run(case) -> None:
        case.call_and_validate(headers=headers)

    run()


def test_the_api_honours_its_schema(app, client) -> None:
    headers = User(client).headers
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
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
