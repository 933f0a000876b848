"""Log set-up for the server and the worker: JSON lines (production) or readable text (a
terminal), each line carrying the id of the request it belongs to.

python-json-logger is a formatter for the standard `logging` module, so the lines of uvicorn,
Huey and SQLAlchemy come out in the same shape as ours with no change to any call site.
"""

from __future__ import annotations

import contextvars
import logging
import logging.config
import sys
from typing import Any

from contest.config import get_settings

# Set by the web middleware for each request; worker threads inherit it (anyio copies the
# context), so a line logged deep in a service names its request.
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.__dict__.pop("color_message", None)  # uvicorn's copy with terminal colours
        return True


def use_json(fmt: str | None = None) -> bool:
    fmt = (fmt or get_settings().log_format).lower()
    if fmt == "auto":
        return not sys.stderr.isatty()
    return fmt == "json"


def config(fmt: str | None = None, level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary (uvicorn takes it as `log_config`)."""
    if use_json(fmt):
        formatter: dict[str, Any] = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
        }
    else:
        formatter = {
            "format": "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s",
        }
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "default",
        "filters": ["request_id"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            # uvicorn's own handlers would print a second, unformatted copy.
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            # Our middleware writes the access line, with the request id and the route kind.
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
            "huey": {"level": "WARNING"},
        },
    }


def configure(fmt: str | None = None, level: str = "INFO") -> None:
    logging.config.dictConfig(config(fmt, level))
