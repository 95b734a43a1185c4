"""Metrics across processes (prometheus_client multiprocess mode): a scrape of either of two
uvicorn processes sharing PROMETHEUS_MULTIPROC_DIR sees the requests served by both, and
`boxoffice serve --workers 2` empties its metrics folder at start."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2

from boxoffice.auth import create_api_key, get_or_create_user, issue_token
from tests.api.booking_ops import RESERVE
from tests.factories import make_show
from tests.observability.scrape import value
from tests.realtime.support import free_port, graphql, uvicorn


def scrape(port: int) -> str:
    resp = httpx2.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert resp.status_code == 200
    return resp.text


async def test_a_scrape_of_either_process_sees_requests_served_by_both(tmp_path, clean):
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    show = await make_show(rows=1, per_row=10)
    key = await create_api_key("metrics")
    tokens = [issue_token(await get_or_create_user(f"mp{i}@example.com")) for i in range(5)]
    with uvicorn(env) as a, uvicorn(env) as b:
        for i, token in enumerate(tokens):  # 3 reserves through A, 2 through B
            server = a if i < 3 else b
            data = await graphql(server.http, key, RESERVE,
                                 {"input": {"showId": str(show.show_id), "seats": [f"A-{i + 1}"]}},
                                 token=token)
            assert data["reserve"]["__typename"] == "Reservation"
        pids = {int(f.stem.rsplit("_", 1)[1]) for f in tmp_path.glob("histogram_*.db")}
        assert {a.proc.pid, b.proc.pid} <= pids  # both processes wrote their samples
        for port in (a.port, b.port):
            text = scrape(port)
            assert value(text, "boxoffice_booking_seconds_count", action="reserve",
                         outcome="ok") == 5
            assert value(text, "boxoffice_graphql_operation_seconds_count", operation="reserve",
                         type="mutation", outcome="ok") == 5
            assert value(text, "boxoffice_txn_commits_total") == 5
            assert value(text, "boxoffice_holds") == 5  # a fleet-wide reading, not 5 + 5


@contextlib.contextmanager
def serve(workers: int, env: dict[str, str]) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "boxoffice.cli", "serve", "--port", str(port),
                             "--workers", str(workers)], env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx2.HTTPError):
                if httpx2.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


async def test_serve_with_two_workers_sums_both_and_starts_from_an_empty_folder(tmp_path, clean):
    metrics_dir = tmp_path / "prom"
    stale = metrics_dir / "counter_999999.db"
    plant_stale_file(stale)
    key = await create_api_key("metrics")
    token = issue_token(await get_or_create_user("mp-serve@example.com"))
    headers = {"X-API-Key": key, "Authorization": f"Bearer {token}"}
    # a mutation, never answered from the response cache: each one executes in a worker
    body = {"query": RESERVE, "variables": {"input": {"showId": "0", "seats": ["A-1"]}}}
    with serve(2, {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}) as port:
        assert stale.name not in os.listdir(metrics_dir)  # emptied at start
        for _ in range(12):  # new connections: the kernel spreads them over both workers
            async with httpx2.AsyncClient(timeout=10) as client:
                resp = await client.post(f"http://127.0.0.1:{port}/graphql", json=body,
                                         headers=headers)
                assert resp.json()["data"]["reserve"]["__typename"] == "InvalidRequest"
        text = scrape(port)
        assert value(text, "boxoffice_booking_seconds_count", action="reserve",
                     outcome="invalid") == 12
        assert value(text, "boxoffice_graphql_operation_seconds_count", operation="reserve",
                     type="mutation", outcome="ok") == 12


def plant_stale_file(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"left over from a previous run")
