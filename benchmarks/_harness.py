"""Shared benchmark plumbing: a real uvicorn server process, latency stats, a fresh database."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import httpx2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def uvicorn_server(env: dict[str, str] | None = None,
                   app: Sequence[str] = ("boxoffice.asgi:app",), workers: int = 1) -> Iterator[str]:
    """An ASGI app (default `boxoffice.asgi:app`; pass e.g. `("--factory", "mod:fn")`) in its
    own process (or `workers` processes, as `boxoffice serve --workers N`) on a free loopback
    port; yields the base URL once /readyz answers."""
    port = free_port()
    # one shared metrics folder per server (prometheus_client multiprocess mode), so /metrics
    # sums every worker process
    metrics_dir = tempfile.mkdtemp(prefix="boxoffice-bench-metrics-")
    # websockets as `boxoffice serve` runs them: permessage-deflate only with WS_DEFLATE=on
    deflate = {**os.environ, **(env or {})}.get("WS_DEFLATE", "off") == "on"
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *app, "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log",
         "--ws-per-message-deflate", str(deflate).lower(),
         *(["--workers", str(workers)] if workers > 1 else [])],
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": metrics_dir, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx2.get(url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("server did not start")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(metrics_dir, ignore_errors=True)


@dataclass
class Stats:
    name: str
    latencies: list[float]
    seconds: float
    # (requests, p50 ms, p99 ms, mean ms) when an external load generator measured it
    summary: tuple[int, float, float, float] | None = None

    @property
    def count(self) -> int:
        return self.summary[0] if self.summary else len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if self.summary:
            return {50: self.summary[1], 99: self.summary[2]}[int(p)]
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] * 1000 if xs else 0.0

    def line(self, extra: str = "") -> str:
        mean = self.summary[3] if self.summary else (
            statistics.fmean(self.latencies) * 1000 if self.latencies else 0.0)
        return (f"{self.name:<34} {self.count:>6} req  {self.rps:>8.1f} req/s  "
                f"p50 {self.pct(50):>7.2f} ms  p99 {self.pct(99):>7.2f} ms  "
                f"mean {mean:>7.2f} ms  {extra}")
