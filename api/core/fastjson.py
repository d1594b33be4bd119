"""JSON in and out for the routes that move tens of thousands of values (decode, uploads).

FastAPI parses a body with the standard library's ``json`` into Python objects and then
validates them; it writes a ``JSONResponse`` with ``json.dumps``. For 43,200 lines in and
~130,000 numbers out that is most of the request's time. Here pydantic's core does both
straight from and to bytes (several times faster, no new dependency):

* :func:`read_body` validates the raw body against a model (``model_validate_json``); a
  bad body raises FastAPI's ``RequestValidationError``, so the client gets the same
  ``validation_error`` answer as from any other route.
* :class:`FastJSONResponse` renders with ``pydantic_core.to_json``.
* :func:`body_schema` documents such a route's body in OpenAPI (the route takes the raw
  ``Request``, so FastAPI cannot see the model by itself).
"""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic_core
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


class FastJSONResponse(JSONResponse):
    """A JSON response written by pydantic's core (non-finite floats become ``null``)."""

    def render(self, content: Any) -> bytes:
        return pydantic_core.to_json(content)


async def read_body(request: Request, model: type[ModelT]) -> ModelT:
    """The request body parsed and validated as ``model`` in one pass over the bytes."""
    body = await request.body()
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        errors = [{**err, "loc": ("body", *err["loc"])} for err in exc.errors()[:50]]
        raise RequestValidationError(errors, body=None) from None


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` declaring ``model`` as the route's required JSON body."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    if "$defs" in schema:
        raise ValueError(f"{model.__name__} nests models: declare it as a body parameter")
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    }
