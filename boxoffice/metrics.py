"""Prometheus metrics (prometheus_client), shared by every process when PROMETHEUS_MULTIPROC_DIR
is set (`boxoffice serve --workers N` and `boxoffice cluster` set it: boxoffice/multiproc.py).

In multiprocess mode each process writes its samples to memory-mapped files in that folder and
a scrape of any one process merges all of them, so `/metrics` behind a load balancer shows the
whole fleet. prometheus_client picks its value store when it is first imported: the folder
must be in the environment before then (the CLI sets it before uvicorn imports the app).

Gauge modes (how a multiprocess scrape merges the per-process values), chosen per gauge:
- `livesum`   per-process quantities that add up (websocket subscribers of this process);
- `livemax`   the worst of the live workers (the worker's job lag);
- `livemostrecent` fleet-wide values that any process may measure (holds, queue lengths:
  read from Postgres/Redis at scrape time): the latest reading wins, never a sum of copies.
`live*`: a process that exits cleanly drops its values (`process_exit`), a dead process's
stale subscribers are not counted forever.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

disable_created_metrics()  # no `_created` series: nothing reads them, they double the output

PREFIX = "boxoffice_"
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
RETRY_BUCKETS = (0, 1, 2, 3, 5, 8, 13)

GRAPHQL_SECONDS = Histogram(
    PREFIX + "graphql_operation_seconds",
    "GraphQL operations by root field, type and outcome (ok, or the first error's code)",
    ["operation", "type", "outcome"], buckets=LATENCY_BUCKETS)
BOOKING_SECONDS = Histogram(
    PREFIX + "booking_seconds",
    "Booking transactions (reserve, confirm, cancel, expiry) by outcome, retries included",
    ["action", "outcome"], buckets=LATENCY_BUCKETS)
BOOKING_RETRIES = Histogram(
    PREFIX + "booking_retries",
    "Serialization retries per booking transaction",
    ["action"], buckets=RETRY_BUCKETS)
HOLDS = Gauge(PREFIX + "holds", "Live holds (HELD reservations), read at scrape time",
              multiprocess_mode="livemostrecent")
HELD_SEATS = Gauge(PREFIX + "held_seats", "Seats in live holds, read at scrape time",
                   multiprocess_mode="livemostrecent")
QUEUE_LENGTH = Gauge(PREFIX + "queue_length",
                     "Queue lengths at scrape time: jobs (arq, due now), jobs_deferred, "
                     "outbox (notifications pending)",
                     ["queue"], multiprocess_mode="livemostrecent")
SUBSCRIBERS = Gauge(PREFIX + "subscribers", "Live GraphQL subscriptions (summed over processes)",
                    multiprocess_mode="livesum")
JOB_LAG = Gauge(PREFIX + "worker_job_lag_seconds",
                "How late the last job started after it was due (worst live worker)",
                multiprocess_mode="livemax")
JOB_LAG_SECONDS = Histogram(PREFIX + "worker_job_lag_seconds_distribution",
                            "How late jobs start after they were due, by function",
                            ["function"], buckets=LATENCY_BUCKETS)

# plain event counters, named by the call sites (`inc("txn_conflicts_total")`); created on
# first use. Exposed as boxoffice_<name> with `_total` appended when it is missing.
_COUNTERS: dict[str, Counter] = {}
_COUNTERS_LOCK = threading.Lock()


def _counter(name: str) -> Counter:
    counter = _COUNTERS.get(name)
    if counter is None:
        with _COUNTERS_LOCK:
            counter = _COUNTERS.get(name)
            if counter is None:
                counter = _COUNTERS[name] = Counter(PREFIX + name, name.replace("_", " "))
    return counter


def inc(name: str, value: int = 1) -> None:
    _counter(name).inc(value)


def value(name: str) -> float:
    """This process's count of `inc(name)` (tests and in-process benchmarks read it), from
    the counter's public samples."""
    (family,) = _counter(name).collect()
    return next(s.value for s in family.samples if s.name.endswith("_total"))


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def render() -> bytes:
    """The Prometheus text format: every process's samples in multiprocess mode."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def process_exit() -> None:
    """A clean exit: drop this process's live gauges from the shared folder."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(os.getpid())


# -- booking transactions ------------------------------------------------------------------

_retries: ContextVar[list[int] | None] = ContextVar("booking_retries", default=None)


def count_retry() -> None:
    """Called by db.serializable on each serialization conflict it retries."""
    box = _retries.get()
    if box is not None:
        box[0] += 1


def outcome_of(result: object) -> str:
    """A bounded label for a service's result: its outcome type, `ok` for a plain view."""
    if result is None:
        return "noop"
    name = type(result).__name__
    if name.endswith("Outcome"):  # SeatsTakenOutcome -> seats_taken
        return re.sub(r"(?<!^)(?=[A-Z])", "_", name[: -len("Outcome")]).lower() or "ok"
    return "ok"


P = ParamSpec("P")
R = TypeVar("R")


def booking(action: str) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Times a booking service call into BOOKING_SECONDS{action, outcome} and its
    serialization retries into BOOKING_RETRIES{action}; an exception is outcome `error`
    (`busy` when the database gave up under contention)."""

    def wrap(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            box = [0]
            token = _retries.set(box)
            start = time.perf_counter()
            outcome = "error"
            try:
                result = await fn(*args, **kwargs)
                outcome = outcome_of(result)
                return result
            except BaseException as exc:
                outcome = _error_label(exc)
                raise
            finally:
                _retries.reset(token)
                BOOKING_SECONDS.labels(action, outcome).observe(time.perf_counter() - start)
                BOOKING_RETRIES.labels(action).observe(box[0])

        return timed

    return wrap


def _error_label(exc: BaseException) -> str:
    from boxoffice import db  # late: db imports this module

    return "busy" if isinstance(exc, db.Busy) else "error"


def observe_graphql(operation: str, op_type: str, outcome: str, seconds: float) -> None:
    GRAPHQL_SECONDS.labels(operation, op_type, outcome).observe(seconds)


def job_started(function: str, lag: float) -> None:
    lag = max(0.0, lag)
    JOB_LAG.set(lag)
    JOB_LAG_SECONDS.labels(function).observe(lag)

