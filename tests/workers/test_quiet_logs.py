"""An idle worker is quiet: its cron ticks are job-level detail, logged at DEBUG only."""

from __future__ import annotations

import json

import pytest

from tests.logsupport import configured_logging
from tests.workers.conftest import running_worker, wait_until


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_an_idle_worker_logs_nothing_at_info(redis, clean, level: str) -> None:
    with configured_logging(level=level, fmt="json") as buf:
        async with running_worker() as w:  # every cron, nothing to do
            await wait_until(lambda: _async(w.jobs_complete >= 1))  # started up
            started = buf.tell()
            done = w.jobs_complete
            await wait_until(lambda: _async(w.jobs_complete >= done + 6))  # a few cron ticks
            idle = buf.getvalue()[started:]
    lines = [json.loads(line) for line in idle.splitlines()]
    if level == "INFO":
        assert lines == [], idle  # not one line for a dozen jobs that found nothing to do
    else:  # the same ticks are there for whoever asks for DEBUG (so the test can fail)
        assert any(r["logger"] == "arq.worker" and r["level"] == "DEBUG" for r in lines), idle


async def _async(value: bool) -> bool:
    return value
