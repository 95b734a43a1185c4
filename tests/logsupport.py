"""Apply boxoffice's real logging configuration inside a test, writing into a buffer."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from boxoffice import logs


@contextmanager
def configured_logging(level: str = "INFO", fmt: str = "json") -> Iterator[io.StringIO]:
    """`boxoffice.logs.configure` as `serve`/`worker` run it; the root handler writes into the
    yielded buffer. Restores the handlers, levels and filters pytest had."""
    root = logging.getLogger()
    touched = [root, *(logging.getLogger(n) for n in logs.config()["loggers"])]
    saved = [(lg, lg.handlers[:], lg.filters[:], lg.level, lg.propagate) for lg in touched]
    buf = io.StringIO()
    logs.configure(level, fmt)
    for handler in root.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(buf)
    try:
        yield buf
    finally:
        for lg, handlers, filters, level_, propagate in saved:
            lg.handlers[:] = handlers
            lg.filters[:] = filters
            lg.setLevel(level_)
            lg.propagate = propagate
