"""What the metrics cost per request: the old hand-written counters against prometheus_client
(in-memory and multiprocess mode), measured in the same run.

A request on the reserve path records about what `per_request` does: three counter
increments (commits and friends), one GraphQL histogram, one booking histogram, one retries
histogram. Each mode runs in its own interpreter (prometheus_client picks its value store at
import), N requests' worth, best of 5.

    .venv/bin/python benchmarks/metrics_overhead.py [--requests 100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

OLD = """
import time
from collections import Counter
C = Counter()
def inc(name, value=1):
    C[name] += value
def per_request():
    inc("txn_commits_total"); inc("response_cache_hits"); inc("gate_rate_limited_total")
"""

NEW = """
import time
from boxoffice import metrics
def per_request():
    metrics.inc("txn_commits_total"); metrics.inc("response_cache_hits")
    metrics.inc("gate_rate_limited_total")
    metrics.observe_graphql("reserve", "mutation", "ok", 0.004)
    metrics.BOOKING_SECONDS.labels("reserve", "ok").observe(0.003)
    metrics.BOOKING_RETRIES.labels("reserve").observe(0)
"""

TIMER = """
best = float("inf")
for _ in range(5):
    t = time.perf_counter()
    for _ in range({n}):
        per_request()
    best = min(best, time.perf_counter() - t)
print(best / {n} * 1e6)
"""


def run(setup: str, n: int, env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", setup + TIMER.format(n=n)], env=env,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=100_000)
    args = ap.parse_args()
    base = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    with tempfile.TemporaryDirectory() as folder:
        rows = [
            ("old Counter (3 incs, no latency)", run(OLD, args.requests, base)),
            ("prometheus_client in-memory", run(NEW, args.requests, base)),
            ("prometheus_client multiprocess (mmap)",
             run(NEW, args.requests, {**base, "PROMETHEUS_MULTIPROC_DIR": folder})),
        ]
    print(f"metrics cost per request, best of 5 x {args.requests} requests:")
    for name, us in rows:
        print(f"  {name:<40} {us:6.2f} µs")
    print(f"  overhead vs the old counters (multiprocess): {rows[2][1] - rows[0][1]:+.2f} µs")


if __name__ == "__main__":
    main()
