"""Logging for every process (`boxoffice serve`, `worker`, `dev`), configured in one place.

- `LOG_LEVEL` (default INFO); `LOG_FORMAT=json` writes one JSON object a line
  (python-json-logger), anything else plain text.
- Every record made while a GraphQL operation runs carries its `operationName`, and its
  `reservationId` when it is about one reservation (the context variables below, set by
  schema/logcontext.py; the worker's expiry job sets the reservation too).
- Quiet when idle: arq's per-job lines (start, finish, abort, retry) and health records are
  job-level detail, demoted to DEBUG; a worker with nothing to do writes nothing at INFO.

`config()` is a dictConfig dict: uvicorn applies it in each of its worker processes too.
"""

from __future__ import annotations

import logging
import logging.config
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

OPERATION_NAME: ContextVar[str | None] = ContextVar("operation_name", default=None)
RESERVATION_ID: ContextVar[str | None] = ContextVar("reservation_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def set_reservation(reservation_id: object) -> None:
    """The current operation or job is about this reservation (shown in its log records)."""
    RESERVATION_ID.set(str(reservation_id))


@contextmanager
def operation(name: str | None, reservation_id: object | None = None) -> Iterator[None]:
    """Log records made inside carry this operation name and reservation id."""
    op = OPERATION_NAME.set(name)
    res = RESERVATION_ID.set(None if reservation_id is None else str(reservation_id))
    try:
        yield
    finally:
        RESERVATION_ID.reset(res)
        OPERATION_NAME.reset(op)


class RequestFields(logging.Filter):
    """Adds `operationName` and `reservationId` to a record when they are known."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (name := OPERATION_NAME.get()) is not None:
            record.operationName = name
        if (rid := RESERVATION_ID.get()) is not None:
            record.reservationId = rid
        return True


# arq.worker's INFO messages that describe one job run or a periodic health record
_JOB_DETAIL_PREFIXES = ("%6.2fs ", "recording health", "Health check successful")


class JobDetailAtDebug(logging.Filter):
    """Demotes arq's job-level INFO lines to DEBUG (and drops them unless DEBUG is on)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (record.levelno == logging.INFO and isinstance(record.msg, str)
                and record.msg.startswith(_JOB_DETAIL_PREFIXES)):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


class TextFormatter(logging.Formatter):
    """The plain format, with ` [operationName reservation=ID]` when a record has them."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        tags = [getattr(record, "operationName", None)]
        if (rid := getattr(record, "reservationId", None)) is not None:
            tags.append(f"reservation={rid}")
        shown = " ".join(t for t in tags if t)
        return f"{line} [{shown}]" if shown else line


class JsonLineFormatter(JsonFormatter):
    """{"time", "level", "logger", "message", "operationName"?, "reservationId"?, "exc_info"?}"""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s",
                         rename_fields={"asctime": "time", "levelname": "level",
                                        "name": "logger"},
                         # uvicorn repeats each message with ANSI colours in `color_message`
                         reserved_attrs=[*RESERVED_ATTRS, "color_message"])


def config(level: str | None = None, fmt: str | None = None) -> dict[str, Any]:
    """The logging configuration for LOG_LEVEL and LOG_FORMAT (or the arguments)."""
    level = (level or os.environ.get("LOG_LEVEL") or "INFO").upper()
    fmt = (fmt or os.environ.get("LOG_FORMAT") or "text").lower()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestFields}, "jobs": {"()": JobDetailAtDebug}},
        "formatters": {"text": {"()": TextFormatter}, "json": {"()": JsonLineFormatter}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                       "formatter": "json" if fmt == "json" else "text",
                       "filters": ["request"]},
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            # on the logger, not the handler: every handler sees the demoted level
            "arq.worker": {"filters": ["jobs"]},
            # uvicorn's loggers write through the root handler (one format for every line)
            **{name: {"handlers": [], "propagate": True}
               for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
        },
    }


def configure(level: str | None = None, fmt: str | None = None) -> None:
    logging.config.dictConfig(config(level, fmt))
