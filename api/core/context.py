"""Per-request context: the request id that every log line and error body carries."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
