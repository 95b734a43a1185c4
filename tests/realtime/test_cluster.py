"""The deploy topology for real: `boxoffice cluster` starts nginx (Debian's) in front of two
`boxoffice serve` processes and one worker under honcho, on free ports; requests and websockets
go through nginx with no stickiness, and a change made through one process reaches a subscriber
on the other."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from tests.api.booking_ops import RESERVE
from tests.factories import make_show
from tests.realtime.support import (
    FAST_REALTIME,
    SEAT_MAP,
    Server,
    World,
    boxoffice_cluster,
    graphql,
    subscribed,
)


@dataclass
class Cluster:
    nginx: Server
    apis: list[Server]


@contextlib.contextmanager
def cluster(run_dir: Path, env: dict[str, str]) -> Iterator[Cluster]:
    with boxoffice_cluster(run_dir, env, api=2, workers=1) as up:
        yield Cluster(Server(up.port, up.proc, up.log),
                      [Server(p, up.proc, up.log) for p in up.api_ports])


def test_nginx_is_installed() -> None:
    # Debian's nginx (`apt-get install -y nginx`); the cluster test must not silently skip
    assert shutil.which("nginx") or Path("/usr/sbin/nginx").exists()


async def test_reserve_through_nginx_and_fan_out_across_processes(
        world: World, tmp_path: Path) -> None:
    show = await make_show(rows=2, per_row=5)
    env = {**FAST_REALTIME, "HOLD_SECONDS": "3", "RATE_LIMITS": "off"}
    with cluster(tmp_path, env) as c:
        a, b = c.apis
        # no stickiness: with no connection open, least_conn takes turns between processes
        upstreams = set()
        for _ in range(4):
            ready = httpx2.get(f"http://127.0.0.1:{c.nginx.port}/readyz", timeout=5)
            assert ready.status_code == 200
            upstreams.add(ready.headers["X-Boxoffice-Upstream"])
        assert upstreams == {f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"}
        variables = {"showId": str(show.show_id)}
        async with subscribed(c.nginx, world.init(), SEAT_MAP, variables) as via_nginx, \
                subscribed(a, world.init(), SEAT_MAP, variables) as on_a:
            for sub in (via_nginx, on_a):
                first = (await sub.next(within=10))["seatMap"]
                assert first["snapshot"]["free"] == 10

            # a hold made through process B reaches the subscriber on A (and through nginx)
            r = await graphql(b.http, world.key, RESERVE,
                              {"input": {"showId": str(show.show_id), "seats": ["A-1"]}},
                              token=world.tokens[0])
            assert r["reserve"]["__typename"] == "Reservation"
            for sub in (via_nginx, on_a):
                event = (await sub.next(within=5))["seatMap"]
                assert event["changes"] == [{"label": "A-1", "status": "HELD"}]

            # reserves through nginx (each process serves any request)
            async with httpx2.AsyncClient(timeout=10) as client:
                for token, seat in zip(world.tokens[1:], ["A-2", "A-3", "B-1", "B-2"],
                                       strict=True):
                    resp = await client.post(
                        c.nginx.http, json={"query": RESERVE, "variables": {"input": {
                            "showId": str(show.show_id), "seats": [seat]}}},
                        headers={"X-API-Key": world.key, "Authorization": f"Bearer {token}"})
                    assert resp.json()["data"]["reserve"]["__typename"] == "Reservation"
            seen: set[str] = set()
            while len(seen) < 4:
                event = (await on_a.next(within=5))["seatMap"]
                seen |= {ch["label"] for ch in event["changes"] if ch["status"] == "HELD"}
            assert seen == {"A-2", "A-3", "B-1", "B-2"}

            # the worker of the topology expires the holds (HOLD_SECONDS=3): seats come back
            freed: set[str] = set()
            deadline = time.monotonic() + 20
            while freed != {"A-1", "A-2", "A-3", "B-1", "B-2"}:
                assert time.monotonic() < deadline, freed
                event = (await on_a.next(within=15))["seatMap"]
                freed |= {ch["label"] for ch in event["changes"] if ch["status"] == "FREE"}


@pytest.mark.parametrize("api", [1, 3])
def test_rendered_nginx_conf_is_valid(tmp_path: Path, api: int) -> None:
    from boxoffice.cluster import plan, write_run_dir

    p = plan(api, 1, 0, tmp_path)
    write_run_dir(p)
    conf = (tmp_path / "nginx.conf").read_text()
    assert conf.count("server 127.0.0.1:") == api and "{{" not in conf
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    check = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                            "-e", str(tmp_path / "nginx-error.log")],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    procfile = (tmp_path / "Procfile").read_text().splitlines()
    assert [line.split(":")[0] for line in procfile] == [
        *(f"api{i + 1}" for i in range(api)), "worker1", "nginx"]
