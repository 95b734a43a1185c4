"""deploy/nginx-microcache*.conf in front of a real API process, with Debian's nginx."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from boxoffice.auth import create_api_key, get_or_create_user, issue_token
from tests.api.booking_ops import RESERVATION, RESERVE, operation
from tests.factories import make_show
from tests.realtime.support import free_port, uvicorn

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SEAT_MAP = operation("SeatMap")


def nginx_conf(tmp: Path, listen: int, upstream: int) -> str:
    zone = (DEPLOY / "nginx-microcache-zone.conf").read_text().replace(
        "/var/cache/nginx/boxoffice", str(tmp / "cache"))
    (tmp / "zone.conf").write_text(zone)
    temp = "\n".join(f"  {d}_temp_path {tmp / d};"
                     for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""{user}
worker_processes 1;
daemon off;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
{temp}
  include {tmp / "zone.conf"};
  upstream boxoffice {{ server 127.0.0.1:{upstream}; keepalive 8; }}
  server {{
    listen 127.0.0.1:{listen};
    location = /graphql {{
      proxy_pass http://boxoffice;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      include {DEPLOY / "nginx-microcache.conf"};
    }}
  }}
}}
"""


@contextlib.contextmanager
def nginx(upstream: int) -> Iterator[str]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(binary).exists(), "nginx is required: apt-get install -y nginx"
    with tempfile.TemporaryDirectory(prefix="bo-nginx-") as d:
        tmp = Path(d)
        port = free_port()
        (tmp / "nginx.conf").write_text(nginx_conf(tmp, port, upstream))
        proc = subprocess.Popen([binary, "-p", str(tmp), "-e", str(tmp / "error.log"),
                                 "-c", str(tmp / "nginx.conf")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 10
            while True:
                with contextlib.suppress(httpx2.HTTPError):
                    httpx2.get(f"http://127.0.0.1:{port}/graphql", timeout=1)
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = (tmp / "error.log").read_text() if (tmp / "error.log").exists() else ""
                    raise RuntimeError(f"nginx did not start:\n{log}")
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port}/graphql"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def apq(query: str, variables: dict[str, Any], *, register: bool = False) -> dict[str, str]:
    sha = hashlib.sha256(query.encode()).hexdigest()
    params = {"extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha}}),
              "variables": json.dumps(variables)}
    return {**params, "query": query} if register else params


@pytest.fixture
def nginx_and_api(clean: None) -> Iterator[str]:
    with uvicorn() as api, nginx(api.port) as url:
        yield url


async def test_nginx_micro_caches_public_reads_only(nginx_and_api: str) -> None:
    url = nginx_and_api
    show = await make_show(rows=2, per_row=5)
    key = await create_api_key("nginx")
    alice = issue_token(await get_or_create_user("alice@example.com"))
    bob = issue_token(await get_or_create_user("bob@example.com"))
    variables = {"showId": str(show.show_id)}
    async with httpx2.AsyncClient(timeout=10) as http:
        async def get(params: dict[str, str], api_key: str | None = key,
                      **headers: str) -> httpx2.Response:
            h = {"Accept": "application/json", **headers}
            if api_key is not None:
                h["X-API-Key"] = api_key
            return await http.get(url, params=params, headers=h)

        registered = await get(apq(SEAT_MAP, variables, register=True))
        assert registered.json()["data"]["seatMap"]["free"] == 10
        first = await get(apq(SEAT_MAP, variables))
        second = await get(apq(SEAT_MAP, variables))
        assert first.content == second.content == registered.content
        assert second.headers["x-cache-status"] == "HIT", second.headers
        assert second.headers["cache-control"] == "public, max-age=1"
        etag = second.headers["etag"]
        revalidated = await get(apq(SEAT_MAP, variables), **{"If-None-Match": etag})
        assert revalidated.status_code == 304

        # no key, a wrong key: never the cached answer
        for bad in (None, "bo_wrong"):
            refused = await get(apq(SEAT_MAP, variables), api_key=bad)
            assert refused.headers.get("x-cache-status") != "HIT"
            assert "seatMap" not in refused.text
            assert refused.status_code != 200 or refused.json()["errors"][0]["extensions"][
                "code"] == "UNAUTHENTICATED"

        # a private read: the same URL for two users, never stored, never shared
        held = (await http.post(url, json={"query": RESERVE, "variables": {"input": {
            "showId": str(show.show_id), "seats": ["A-1"]}}}, headers={
            "X-API-Key": key, "Authorization": f"Bearer {alice}"})).json()["data"]["reserve"]
        mine_params = apq(RESERVATION, {"id": held["id"]}, register=True)
        mine = await get(mine_params, Authorization=f"Bearer {alice}")
        assert mine.json()["data"]["reservation"]["seats"] == ["A-1"]
        assert mine.headers["cache-control"] == "private, no-store"
        for _ in range(2):
            theirs = await get(mine_params, Authorization=f"Bearer {bob}")
            assert theirs.json()["data"]["reservation"] is None
            assert theirs.headers.get("x-cache-status") != "HIT"

        # the hold shows through the micro-cache within its max-age (1 s) plus the API's own
        # bound (0.1 s): ask until it does, for at most 2 s
        deadline = asyncio.get_running_loop().time() + 2
        while True:
            fresh = await get(apq(SEAT_MAP, variables))
            if fresh.json()["data"]["seatMap"]["held"] == 1:
                break
            assert asyncio.get_running_loop().time() < deadline, "stale past 2 s"
            await asyncio.sleep(0.05)
        assert fresh.headers["etag"] != etag
