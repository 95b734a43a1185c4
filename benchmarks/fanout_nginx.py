"""Fan-out behind nginx: 1,000 websocket subscribers through nginx onto N API processes.

The topology of `boxoffice cluster` (deploy/nginx-cluster.conf.template, honcho): nginx on a
free port in front of `--api` processes (default 3), no worker. Every subscriber connects to
nginx, which spreads the websockets over the processes (least_conn); each round makes one seat
change and measures per subscriber arrival minus the instant of the change (same clock):
- publish: the after-commit publish alone (pure fan-out through Redis and every process);
- reserve: a real `reserve` sent through nginx (end to end).
The baseline in the same run is benchmarks/fanout.py's setup: the same subscribers split over two
processes without nginx, reserves sent to one of them (skip with `--no-baseline`). Bound
(issue 15): p99 < 250 ms.

The subscribers are held by one Node process (`--client node`, the default: the `ws` package,
tests/realtime/node/fanout.mjs) or by Python client processes (`--client python`, the
`websockets` library, about as costly per message as the server side). On a 2-core box the load
generator competes with the servers for the same cores, so each run also prints the CPU every
party used per event (API processes, nginx, the client, everything else on the machine).

The client offers permessage-deflate as browsers do; `boxoffice serve` declines it unless
WS_DEFLATE=on (README "Configuration"). `--server-deflate` runs both topologies with it on (what
compressing every ~100-byte frame per connection costs the servers and the client);
`--no-deflate` (Node client only) does not even offer it.

Usage: python -m benchmarks.fanout_nginx [--subscribers 1000] [--api 3] [--rounds 10]
       [--client node|python] [--no-deflate] [--server-deflate]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from benchmarks import fanout
from benchmarks._cpu import CpuMeter, pids_matching, with_children
from benchmarks.fanout import client_main, current_version, prepare, publish_seat_changes, report

BIN = str(Path(sys.executable).parent / "boxoffice")
NODE_DIR = Path(__file__).resolve().parents[1] / "tests" / "realtime" / "node"
READY = re.compile(r"cluster ready http://([\d.]+):(\d+)/graphql api-ports ([\d ]+)")


def start_cluster(api: int, run_dir: Path) -> tuple[subprocess.Popen[bytes], str, list[int]]:
    log = run_dir / "cluster.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [BIN, "cluster", "--api", str(api), "--workers", "0", "--port", "0",
             "--run-dir", str(run_dir)],
            env={**os.environ, "RATE_LIMITS": "off", "DB_POOL_MAX": "10"},
            stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while not (found := READY.search(log.read_text(errors="replace"))):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(log.read_text(errors="replace")[-3000:])
        time.sleep(0.2)
    return proc, f"http://127.0.0.1:{found.group(2)}", [int(p) for p in found.group(3).split()]


def spawn_node(args: list[str], deflate: bool) -> subprocess.Popen[str]:
    """tests/realtime/node/fanout.mjs (its `ws` dependency installed from the lockfile once)."""
    if not (NODE_DIR / "node_modules" / "ws").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True,
                       capture_output=True, timeout=180)
    node = shutil.which("node") or "node"
    return subprocess.Popen([node, str(NODE_DIR / "fanout.mjs"), *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "FANOUT_DEFLATE": "1" if deflate else "0"})


class Clients:
    """The subscribers' side: Node (one process) or Python (`--clients` processes)."""

    def __init__(self, kind: str, processes: int, deflate: bool = True) -> None:
        self.kind = kind
        self.processes = processes
        self.deflate = deflate
        self._node: subprocess.Popen[str] | None = None
        self._pipes: list[Connection] = []
        self._procs: list[Any] = []

    @property
    def pids(self) -> list[int]:
        if self._node is not None:
            return [self._node.pid]
        return [p.pid for p in self._procs]

    async def start(self, ws_urls: list[str], key: str, show_id: int, total: int) -> int:
        loop = asyncio.get_running_loop()
        if self.kind == "node":
            self._node = await loop.run_in_executor(
                None, spawn_node, [",".join(ws_urls), key, str(show_id), str(total)],
                self.deflate)
            assert self._node.stdout is not None
            line = await loop.run_in_executor(None, self._node.stdout.readline)
            assert line.strip() == "ready", line
            return total
        ctx = mp.get_context("spawn")
        per_client = total // self.processes
        for _ in range(self.processes):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=client_main, args=(child, ws_urls, key, show_id, per_client))
            proc.start()
            self._pipes.append(parent)
            self._procs.append(proc)
        for p in self._pipes:
            assert await loop.run_in_executor(None, p.recv) == "ready"
        return per_client * self.processes

    async def stop(self) -> list[tuple[int, float]]:
        loop = asyncio.get_running_loop()
        arrivals: list[tuple[int, float]] = []
        if self._node is not None:
            assert self._node.stdin is not None and self._node.stdout is not None
            self._node.stdin.write("stop\n")
            self._node.stdin.flush()
            line = await loop.run_in_executor(None, self._node.stdout.readline)
            arrivals = [(int(v), float(t)) for v, t in json.loads(line)]
            self._node.wait(timeout=30)
            return arrivals
        for p in self._pipes:
            p.send("stop")
        for p in self._pipes:
            arrivals.extend(await loop.run_in_executor(None, p.recv))
        for proc in self._procs:
            proc.join(timeout=30)
        return arrivals


def server_pids(api_ports: list[int], nginx_run_dir: Path | None) -> dict[str, list[int]]:
    ports = {f"--port {p} " for p in api_ports}
    groups = {"API processes": pids_matching(
        lambda cmd: ("serve" in cmd or "uvicorn" in cmd) and any(p in cmd + " " for p in ports))}
    if nginx_run_dir is not None:
        groups["nginx"] = with_children(pids_matching(
            lambda cmd: cmd.startswith("nginx") and str(nginx_run_dir) in cmd))
    return groups


async def measure(args: argparse.Namespace, ws_urls: list[str], base: str, label: str,
                  groups: dict[str, list[int]]) -> None:
    """Subscribers spread over `ws_urls`, reserves sent to `base`."""
    import httpx2
    from redis.asyncio import Redis

    from boxoffice import db
    from boxoffice.events import seats_channel
    from tests.api.booking_ops import RESERVE

    show_id, labels, key, tokens = await prepare(rows=10, per_row=20)
    redis = Redis.from_url(os.environ["REDIS_URL"])
    clients = Clients(args.client, args.clients, deflate=not args.no_deflate)
    total = await clients.start(ws_urls, key, show_id, args.subscribers)
    offered = not (args.no_deflate and args.client == "node")
    deflate = ("deflate offered, " if offered else "deflate not offered, ") + (
        "server accepts it" if os.environ.get("WS_DEFLATE") == "on" else "server declines it")
    print(f"[{label}] {total} subscribers connected ({args.client} client, {deflate}); "
          f"upstream SUBSCRIBEs "
          f"for the show's channel: {dict(await redis.pubsub_numsub(seats_channel(show_id)))}")
    meter = CpuMeter({**groups, f"{args.client} client": clients.pids,
                      "coordinator (this process)": [os.getpid()]})
    meter.start()
    sent: dict[int, tuple[str, float]] = {}
    for r in range(args.rounds):
        t0 = time.time()
        version = await publish_seat_changes(redis, show_id, [(labels[r], "FREE")], 0)
        assert version is not None
        sent[version] = ("publish", t0)
        await asyncio.sleep(args.gap)
    async with httpx2.AsyncClient(base_url=base, timeout=60) as http:
        for r in range(args.rounds):
            t0 = time.time()
            resp = await http.post("/graphql", json={"query": RESERVE, "variables": {"input": {
                "showId": str(show_id), "seats": [labels[len(labels) - 1 - r]]}}},
                headers={"X-API-Key": key, "Authorization": f"Bearer {tokens[r]}"})
            assert resp.json()["data"]["reserve"]["__typename"] == "Reservation", resp.text
            sent[await current_version(redis, show_id)] = ("reserve", t0)
            await asyncio.sleep(args.gap)
    await asyncio.sleep(1.0)
    meter.stop()
    arrivals = await clients.stop()
    await redis.aclose()
    await db.close_pool()
    by_kind: dict[str, list[float]] = {"publish": [], "reserve": []}
    for version, t in arrivals:
        if version in sent:
            kind, t0 = sent[version]
            by_kind[kind].append(t - t0)
    for kind, lat in by_kind.items():
        report(f"{label}: {kind}", lat, total * args.rounds)
    print(f"[{label}] CPU during the {2 * args.rounds} events ({os.cpu_count()} cores, "
          f"{2 * args.rounds * args.gap + 1:.0f} s window):")
    for line in meter.lines(2 * args.rounds):
        print(line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--subscribers", type=int, default=1000)
    ap.add_argument("--api", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--client", choices=("node", "python"), default="node")
    ap.add_argument("--clients", type=int, default=2, help="Python client processes")
    ap.add_argument("--server-deflate", action="store_true",
                    help="WS_DEFLATE=on: the servers accept permessage-deflate")
    ap.add_argument("--no-deflate", action="store_true",
                    help="Node client: no permessage-deflate (what-if)")
    ap.add_argument("--gap", type=float, default=0.5)
    ap.add_argument("--no-baseline", action="store_true")
    args: Any = ap.parse_args()
    os.environ["WS_DEFLATE"] = "on" if args.server_deflate else "off"  # both topologies alike
    with tempfile.TemporaryDirectory(prefix="bo-fanout-nginx-") as tmp:
        proc, base, ports = start_cluster(args.api, Path(tmp))
        try:
            ws = base.replace("http", "ws") + "/graphql"
            asyncio.run(measure(args, [ws], base, f"nginx + {args.api} processes",
                                server_pids(ports, Path(tmp))))
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    if not args.no_baseline:
        from benchmarks._harness import uvicorn_server

        env = {"RATE_LIMITS": "off", "DB_POOL_MAX": "10"}
        with uvicorn_server(env) as a, uvicorn_server(env) as b:
            direct = [u.replace("http", "ws") + "/graphql" for u in (a, b)]
            ports = [int(u.rsplit(":", 1)[1]) for u in (a, b)]
            asyncio.run(measure(args, direct, b, "baseline: 2 processes, no nginx",
                                server_pids(ports, None)))
    _ = fanout  # the subscriber client and helpers are benchmarks/fanout.py's


if __name__ == "__main__":
    main()
