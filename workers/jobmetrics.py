"""The worker's job lag: how late each job starts after it was due (arq's `score`, the
deferred time or the enqueue time), into boxoffice_worker_job_lag_seconds."""

from __future__ import annotations

import re
import time
from typing import Any

from boxoffice import metrics

_NAME = re.compile(r"[a-z_]{1,40}")


def job_kind(job_id: str) -> str:
    """A bounded label from our job ids: `cron:NAME:…` → NAME, `expire:ID` → expire;
    anything else (arq's random ids) → other."""
    parts = job_id.split(":")
    name = parts[1] if parts[0] == "cron" and len(parts) > 2 else parts[0]
    return name if len(parts) > 1 and _NAME.fullmatch(name) else "other"


async def job_started(ctx: dict[str, Any]) -> None:
    score = ctx.get("score")
    if score:
        metrics.job_started(job_kind(str(ctx.get("job_id", ""))), time.time() - score / 1000)
