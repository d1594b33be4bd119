"""Structured JSON logs: one object per line, each with the current request id."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from api.core.context import request_id_var

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's ANSI-coloured copy of the message
}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            # Logs may carry the traceback (operators need it); responses never do.
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    """Send every log line (the app's, uvicorn's) to stderr, as JSON when ``json_logs``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if json_logs else logging.Formatter("%(levelname)s %(name)s %(message)s")
    )
    handler._novaevo = True  # type: ignore[attr-defined] - ours, replaced on reconfiguration
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not getattr(h, "_novaevo", False)]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))
    # Our middleware logs every request with its id; uvicorn's access line would repeat it.
    logging.getLogger("uvicorn.access").disabled = True
