"""One JSON error shape for every failure: ``{code, message, details, request_id}``.

Domain code raises :class:`ApiError` (or a package's own typed error, mapped here); FastAPI's
validation and routing errors are rewritten into the same shape; anything unexpected
becomes a 500 ``internal_error`` whose body never carries a stack trace.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.core.context import request_id_var
from parts.errors import NotFoundError, PartsError


class ErrorBody(BaseModel):
    """The body of every error response."""

    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["vehicle 12 not found"])
    details: Any = None
    request_id: str = Field(examples=["3f2b9c0e4d1a4c5e8f7a6b5c4d3e2f1a"])


class ApiError(Exception):
    """An error the client can act on; ``status`` is the HTTP status."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def not_found(kind: str, ident: object) -> ApiError:
    """The 404 of an object that does not exist *or is not the caller's* (never told apart)."""
    return ApiError(404, "not_found", f"{kind} {ident} not found")


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict | None = None
) -> JSONResponse:
    """A JSON response of the one error shape, carrying the current request id."""
    body = ErrorBody(code=code, message=message, details=details, request_id=request_id_var.get())
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only where and what: pydantic's "input"/"ctx" may echo secrets or huge bodies.
    return [
        {
            "loc": [str(p) for p in err.get("loc", ())],
            "msg": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in exc.errors()[:50]
    ]


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into :class:`ErrorBody`."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = {"Retry-After": str(exc.details["retry_after_s"])} if exc.status == 429 else None
        return error_response(exc.status, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(
            422, "validation_error", "the request is not valid", _validation_details(exc)
        )

    @app.exception_handler(PartsError)
    async def _parts(_request: Request, exc: PartsError) -> JSONResponse:
        # parts' typed errors are bad input (422) or an unknown object (404).
        status = 404 if isinstance(exc, NotFoundError) else 422
        code = "".join("_" + c.lower() if c.isupper() else c for c in type(exc).__name__)
        return error_response(status, code.lstrip("_").removesuffix("_error"), str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, message, headers=exc.headers)


# The error statuses every versioned route may answer, for the OpenAPI schema.
COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": code.replace("_", " ")}
    for status, code in _STATUS_CODES.items()
    if status in (400, 401, 404, 409, 413, 415, 422, 429)
}
