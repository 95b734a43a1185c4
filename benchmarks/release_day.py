"""Release day: thousands of fans hit one 200-seat show at once; a report and a latency plot.

Starts its own `uvicorn` server process(es) and a `boxoffice worker` on a fresh database with the
demo catalog (short HOLD_SECONDS/OFFER_SECONDS so abandoned holds lapse during the run). Each fan:
1. arrives on the arrival curve (`--arrival burst|uniform|spike` over `--arrival-seconds`);
2. looks at the seat map: about a third (`--subscribers`) keep a `seatMap` subscription open
   (graphql-transport-ws) and follow its changes, the rest send the `seatMap` query;
3. picks 1-4 free seats as near J-12 as it can from the map it sees and sends `reserve`; on
   `SeatsTaken` it tries the offered alternatives (up to 3 attempts);
4. with a hold, after a short think: pays (`tok_visa`, or `tok_chargeDeclined` for
   `--declines` of payers) or abandons (`--abandon`): the hold lapses after HOLD_SECONDS;
5. when sold out it is `Queued`: a fan whose position is within `--patience` stays, follows
   its `queue` subscription and pays for the offer it is served (the others leave the queue).
At the end (every hold lapsed or paid) it audits the database in SQL and writes DIR/report.json
(per operation p50/p95/p99, goodput, seats sold, offers made and taken, errors by code, double
bookings) and DIR/latency.png (latency percentiles over time per operation, and throughput).

The load generator runs in this process, on the same cores as the server (say so when quoting).

Usage: python -m benchmarks.release_day [--fans 5000] [--out DIR] [--arrival burst]
       [--arrival-seconds 20] [--hold-seconds 20] [--offer-seconds 15] [--scale 0]
       [--workers 1] [--isolation read_committed]
Needs the `bench` extra (tqdm, matplotlib). Uses DATABASE_URL/REDIS_URL (default
boxoffice_bench_release, Redis db 11); both are emptied.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("DATABASE_URL",
                      "postgresql://postgres@127.0.0.1:5432/boxoffice_bench_release")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/11")

import httpx2
import websockets
from redis.asyncio import Redis
from tqdm import tqdm
from websockets.typing import Subprotocol

from benchmarks._harness import uvicorn_server
from boxoffice import db
from boxoffice.auth import create_api_key, issue_token
from boxoffice.migrate import ensure_migrated

OPS = Path(__file__).resolve().parent.parent / "frontend_contract" / "operations"


def op(name: str) -> str:
    return (OPS / f"{name}.graphql").read_text()


SEAT_MAP, SEAT_MAP_LIVE = op("SeatMap"), op("SeatMapSubscription")
RESERVE, CONFIRM, QUEUE_LIVE = op("Reserve"), op("Confirm"), op("QueueSubscription")
LEAVE_QUEUE = op("LeaveQueue")
TARGET = "J-12"


@dataclass
class Recorder:
    """Every operation's (start offset, latency, outcome), and counters."""

    t0: float = field(default_factory=time.perf_counter)
    samples: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def add(self, name: str, started: float, outcome: str) -> None:
        now = time.perf_counter()
        self.samples[name].append((started - self.t0, now - started))
        self.outcomes[f"{name}:{outcome}"] += 1


@dataclass
class Plan:
    url: str
    key: str
    show_id: int
    args: argparse.Namespace
    rec: Recorder
    http: httpx2.AsyncClient
    bar: Any


class GraphQLError(Exception):
    def __init__(self, code: str) -> None:
        self.code = code


async def gql(plan: Plan, name: str, query: str, variables: dict[str, Any],
              token: str | None) -> dict[str, Any]:
    headers = {"X-API-Key": plan.key}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    started = time.perf_counter()
    try:
        resp = await plan.http.post("/graphql", json={"query": query, "variables": variables},
                                    headers=headers)
        body: dict[str, Any] = resp.json() if resp.status_code != 429 else {
            "errors": [{"extensions": {"code": "HTTP_429"}}]}
    except (httpx2.HTTPError, ValueError) as exc:
        plan.rec.add(name, started, "error")
        plan.rec.errors[f"client:{type(exc).__name__}"] += 1
        raise GraphQLError(type(exc).__name__) from exc
    if body.get("errors"):
        code = str((body["errors"][0].get("extensions") or {}).get("code", "GRAPHQL_ERROR"))
        plan.rec.add(name, started, "error")
        plan.rec.errors[code] += 1
        raise GraphQLError(code)
    data: dict[str, Any] = body["data"]
    first = next(iter(data.values()))
    plan.rec.add(name, started, first.get("__typename", "ok") if isinstance(first, dict)
                 else "ok")
    return data


@contextlib.asynccontextmanager
async def subscription(plan: Plan, query: str, variables: dict[str, Any], token: str | None):
    """A graphql-transport-ws subscription; yields an async iterator of `data` payloads."""
    payload: dict[str, Any] = {"apiKey": plan.key}
    if token:
        payload["authorization"] = f"Bearer {token}"
    ws_url = plan.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")],
                                  open_timeout=30, max_size=2**22) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await ws.recv())
        if ack.get("type") != "connection_ack":
            raise GraphQLError("WS_REJECTED")
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": query, "variables": variables}}))

        async def events():
            async for raw in ws:
                msg = json.loads(raw)
                if msg.get("type") == "next":
                    if msg["payload"].get("errors"):
                        code = (msg["payload"]["errors"][0].get("extensions") or {}).get("code")
                        raise GraphQLError(str(code or "GRAPHQL_ERROR"))
                    yield msg["payload"]["data"]
                elif msg.get("type") in ("complete", "error"):
                    return
                elif msg.get("type") == "ping":
                    await ws.send(json.dumps({"type": "pong"}))

        yield events()


class SeatView:
    """A fan's picture of the map: a snapshot, then live changes when subscribed."""

    def __init__(self, seats: list[dict[str, Any]], live: bool = False) -> None:
        self.seats = {s["label"]: s for s in seats}
        self.live = live  # follows a subscription

    def apply(self, changes: list[dict[str, Any]]) -> None:
        for c in changes:
            if c["label"] in self.seats:
                self.seats[c["label"]]["status"] = c["status"]

    def pick(self, n: int, rng: random.Random, spread: float = 6.0) -> list[str]:
        """n FREE seats near J-12: the closest run of n adjacent seats in one row, else the n
        closest FREE seats; empty when fewer than n look FREE. `spread` blurs "closest" (a fan
        who lost a race settles for a wider choice)."""
        free = [s for s in self.seats.values() if s["status"] == "FREE"]
        if len(free) < n:
            return []
        t = self.seats.get(TARGET) or free[0]

        def dist(s: dict[str, Any]) -> float:
            return math.hypot(s["x"] - t["x"], (s["y"] - t["y"]) * 1.5) + rng.random() * spread

        by_row: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
        for s in free:
            by_row[s["row"]][s["number"]] = s
        best: tuple[float, list[str]] | None = None
        for _row, seats in by_row.items():
            for num in seats:
                run = [seats.get(num + k) for k in range(n)]
                if all(run):
                    d = sum(dist(s) for s in run if s)  # type: ignore[misc]
                    if best is None or d < best[0]:
                        best = (d, [s["label"] for s in run if s])
        if best is not None:
            return best[1]
        return [s["label"] for s in sorted(free, key=dist)[:n]]


async def look(plan: Plan, token: str, subscribed: bool, stack: contextlib.AsyncExitStack
               ) -> SeatView:
    started = time.perf_counter()
    if not subscribed:
        data = await gql(plan, "seatMap", SEAT_MAP, {"showId": str(plan.show_id)}, token)
        return SeatView(data["seatMap"]["seats"])
    try:
        events = await stack.enter_async_context(
            subscription(plan, SEAT_MAP_LIVE, {"showId": str(plan.show_id)}, token))
        first = await anext(events)
    except (TimeoutError, OSError, websockets.WebSocketException, StopAsyncIteration) as exc:
        plan.rec.add("seatMap (subscribe)", started, "error")
        plan.rec.errors[f"ws:{type(exc).__name__}"] += 1
        raise GraphQLError(type(exc).__name__) from exc
    plan.rec.add("seatMap (subscribe)", started, "snapshot")
    view = SeatView(first["seatMap"]["snapshot"]["seats"], live=True)

    async def follow() -> None:
        with contextlib.suppress(Exception):
            async for ev in events:
                e = ev["seatMap"]
                if e.get("snapshot"):
                    view.seats = {s["label"]: s for s in e["snapshot"]["seats"]}
                else:
                    view.apply(e["changes"])

    task = asyncio.create_task(follow())
    stack.callback(task.cancel)
    return view


async def pay(plan: Plan, token: str, rid: str, rng: random.Random, name: str) -> bool:
    card = "tok_chargeDeclined" if rng.random() < plan.args.declines else "tok_visa"
    data = await gql(plan, name, CONFIRM, {"input": {
        "reservationId": rid, "paymentToken": card, "idempotencyKey": f"rd-{rid}"}}, token)
    return bool(data["confirm"]["__typename"] == "Booking")


async def wait_in_queue(plan: Plan, token: str, rng: random.Random, position: int) -> str:
    """Stay in the queue (position within patience) until an offer comes, then pay for it."""
    show = str(plan.show_id)
    if position > plan.args.patience:
        with contextlib.suppress(GraphQLError):
            await gql(plan, "leaveQueue", LEAVE_QUEUE, {"showId": show}, token)
        return "left queue"
    deadline = plan.args.max_wait
    try:
        async with asyncio.timeout(deadline), \
                subscription(plan, QUEUE_LIVE, {"showId": show}, token) as events:
            async for ev in events:
                offer = ev["queue"].get("offer")
                if offer:
                    await asyncio.sleep(rng.uniform(0.2, 1.5))  # the fan notices and pays
                    ok = await pay(plan, token, offer["id"], rng, "confirm (offer)")
                    return "offer paid" if ok else "offer declined"
        return "queue ended"
    except TimeoutError:
        with contextlib.suppress(GraphQLError):
            await gql(plan, "leaveQueue", LEAVE_QUEUE, {"showId": show}, token)
        return "gave up waiting"
    except (OSError, websockets.WebSocketException) as exc:
        plan.rec.errors[f"ws:{type(exc).__name__}"] += 1
        return "error"


async def fan(plan: Plan, i: int, token: str, at: float) -> str:
    rng = random.Random(i)
    args = plan.args
    await asyncio.sleep(max(0.0, plan.rec.t0 + at - time.perf_counter()))
    n = rng.choices([1, 2, 3, 4], weights=[20, 50, 15, 15])[0]
    try:
        async with contextlib.AsyncExitStack() as stack:
            view = await look(plan, token, rng.random() < args.subscribers, stack)
            seats = view.pick(n, rng) or [TARGET]  # looks sold out: ask anyway (queue)
            for attempt in range(1, args.attempts + 1):
                try:
                    data = await gql(plan, "reserve", RESERVE, {"input": {
                        "showId": str(plan.show_id), "seats": seats}}, token)
                except GraphQLError as exc:
                    if exc.code != "TRY_AGAIN":
                        return f"error {exc.code}"
                    await asyncio.sleep(rng.uniform(0.2, 1.0))
                    continue
                r = data["reserve"]
                kind = r["__typename"]
                if kind == "SeatsTaken":
                    view.apply([{"label": lbl, "status": "HELD"} for lbl in r["seats"]])
                    if r["alternatives"] and rng.random() < 0.5:
                        seats = r["alternatives"]
                    else:  # look again, and settle for seats a little further away
                        if attempt % 2 == 0 and view.live is False:
                            view = await look(plan, token, False, stack)
                        seats = view.pick(n, rng, spread=6.0 + 8.0 * attempt) or [TARGET]
                    continue
                if kind == "Queued":
                    await stack.aclose()  # done with the map
                    return await wait_in_queue(plan, token, rng, r["position"])
                if kind != "Reservation":
                    return kind
                await asyncio.sleep(rng.uniform(0.3, 2.0))  # the fan reviews and decides
                if rng.random() < args.abandon:
                    return "abandoned"
                return "paid" if await pay(plan, token, r["id"], rng, "confirm") else "declined"
            return "gave up (seats taken)"
    except GraphQLError as exc:
        return f"error {exc.code}"
    finally:
        plan.bar.update(1)


def arrivals(n: int, curve: str, seconds: float, rng: random.Random) -> list[float]:
    if curve == "spike":
        return sorted(rng.uniform(0, 1.0) for _ in range(n))
    if curve == "uniform":
        return sorted(rng.uniform(0, seconds) for _ in range(n))
    # burst: most fans in the first seconds, a tail after (exponential, truncated at `seconds`)
    k = 4.0
    return sorted(-math.log(1 - rng.random() * (1 - math.exp(-k))) / k * seconds
                  for _ in range(n))


@contextlib.contextmanager
def worker_process(env: dict[str, str]) -> Iterator[None]:
    proc = subprocess.Popen([sys.executable, "-m", "boxoffice.cli", "worker"],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


async def prepare(args: argparse.Namespace) -> tuple[int, str, list[str]]:
    from devtools.seed import seed_demo, seed_scale
    from tests.factories import truncate_all

    await ensure_migrated(os.environ["DATABASE_URL"])
    await db.start_pool()
    await truncate_all()
    await Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    await seed_demo()
    if args.scale:
        await seed_scale(args.scale)
    show_id = await db.pool().fetchval(
        """SELECT s.id FROM show s WHERE s.total_seats = 200 AND s.starts_at > now() + interval
           '2 hours' AND EXISTS (SELECT 1 FROM show_seat x WHERE x.show = s.id AND x.label = $1)
           ORDER BY s.starts_at, s.id LIMIT 1""", TARGET)
    if show_id is None:
        raise SystemExit("no upcoming 200-seat demo show with a J-12 seat")
    key = await create_api_key("release-day")
    rows = await db.pool().fetch(
        """INSERT INTO app_user (email, created_at)
           SELECT 'fan' || g || '@example.com', now() FROM generate_series(1, $1) g
           RETURNING id, email""", args.fans)
    from boxoffice.auth import User

    tokens = [issue_token(User(r["id"], r["email"])) for r in rows]
    await db.pool().execute("ANALYZE")
    return show_id, key, tokens


async def settle(show_id: int, within: float) -> None:
    """Wait until no hold of the show is live any more (paid, lapsed or cancelled)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        held = await db.pool().fetchval(
            "SELECT count(*) FROM reservation WHERE show = $1 AND status = 'HELD'", show_id)
        if not held:
            return
        await asyncio.sleep(1)


async def audit(show_id: int) -> dict[str, Any]:
    from tests.audit import audit_show

    p = db.pool()
    statuses = {r["status"]: r["n"] for r in await p.fetch(
        "SELECT status, count(*) AS n FROM show_seat WHERE show = $1 GROUP BY status", show_id)}
    double = await p.fetchval(
        """SELECT count(*) FROM (SELECT l FROM (SELECT unnest(seat_labels) AS l FROM reservation
               WHERE show = $1 AND status IN ('HELD', 'CONFIRMED')) x
           GROUP BY l HAVING count(*) > 1) d""", show_id)
    ticketed_twice = await p.fetchval(
        """SELECT count(*) FROM (SELECT seat_label FROM ticket WHERE show = $1
           GROUP BY seat_label HAVING count(*) > 1) t""", show_id)
    offers = await p.fetchrow(
        """SELECT count(*) FILTER (WHERE is_offer) AS made,
                  count(*) FILTER (WHERE is_offer AND status = 'CONFIRMED') AS taken,
                  count(*) FILTER (WHERE status = 'CONFIRMED') AS bookings,
                  count(*) AS reservations
           FROM reservation WHERE show = $1""", show_id)
    sold = await p.fetchval("SELECT count(*) FROM ticket WHERE show = $1", show_id)
    problems = await audit_show(show_id)
    return {
        "seat_status_at_end": statuses, "seats_sold": sold,
        "every_seat_sold_once_or_free": set(statuses) <= {"BOOKED", "FREE"}
        and statuses.get("BOOKED", 0) == sold and not ticketed_twice,
        "double_bookings": int(double) + int(ticketed_twice), "audit_problems": problems,
        "offers_made": offers["made"], "offers_taken": offers["taken"],
        "bookings": offers["bookings"], "reservations": offers["reservations"],
    }


def percentile(xs: list[float], p: float) -> float:
    if not xs:
        return 0.0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def summarize(rec: Recorder) -> dict[str, Any]:
    out = {}
    for name, samples in sorted(rec.samples.items()):
        lat = [s[1] * 1000 for s in samples]
        out[name] = {"count": len(lat), "p50_ms": round(percentile(lat, 50), 1),
                     "p95_ms": round(percentile(lat, 95), 1),
                     "p99_ms": round(percentile(lat, 99), 1),
                     "max_ms": round(max(lat), 1)}
    return out


def plot(rec: Recorder, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(11, 8), sharex=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (name, samples) in enumerate(sorted(rec.samples.items())):
        buckets: dict[int, list[float]] = defaultdict(list)
        done: Counter[int] = Counter()
        for start, lat in samples:
            buckets[int(start)].append(lat * 1000)
            done[int(start + lat)] += 1
        ts = sorted(buckets)
        c = colors[k % len(colors)]
        for p, style in ((50, "-"), (95, "--"), (99, ":")):
            ax1.plot(ts, [percentile(buckets[t], p) for t in ts], style, color=c,
                     label=f"{name} p{p}" if p == 50 else None, linewidth=1.2)
        tt = list(range(0, max(done) + 1)) if done else []
        ax2.plot(tt, [done[t] for t in tt], color=c, label=name)
    ax1.set_yscale("log")
    ax1.set_ylabel("latency by start second, ms\n(solid p50, dashed p95, dotted p99)")
    ax1.legend(fontsize=8, loc="upper right")
    ax1.set_title(title, fontsize=10)
    ax1.grid(True, which="both", alpha=0.3)
    ax2.set_ylabel("operations completed per second")
    ax2.set_xlabel("seconds since the first fan arrived")
    ax2.legend(fontsize=8, loc="upper right")
    ax2.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fans", type=int, default=5000)
    ap.add_argument("--out", default="release-day")
    ap.add_argument("--arrival", choices=["burst", "uniform", "spike"], default="burst")
    ap.add_argument("--arrival-seconds", type=float, default=20.0)
    ap.add_argument("--hold-seconds", type=int, default=20)
    ap.add_argument("--offer-seconds", type=int, default=15)
    ap.add_argument("--scale", type=int, default=0, help="seed-demo --scale N (catalog size)")
    ap.add_argument("--subscribers", type=float, default=1 / 3,
                    help="share of fans keeping a seatMap subscription")
    ap.add_argument("--abandon", type=float, default=0.25, help="share of holders who abandon")
    ap.add_argument("--declines", type=float, default=0.1, help="share of payers declined")
    ap.add_argument("--patience", type=int, default=150,
                    help="queued fans at this position or better stay for an offer")
    ap.add_argument("--max-wait", type=float, default=90.0, help="longest stay in the queue")
    ap.add_argument("--attempts", type=int, default=12, help="reserve attempts per fan")
    ap.add_argument("--connections", type=int, default=200, help="client HTTP connections")
    ap.add_argument("--workers", type=int, default=1, help="API server processes")
    ap.add_argument("--isolation", choices=["serializable", "read_committed"])
    args = ap.parse_args()
    out = Path(args.out)
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)

    env = {"HOLD_SECONDS": str(args.hold_seconds), "OFFER_SECONDS": str(args.offer_seconds),
           "RATE_LIMITS": "off"}
    if args.isolation:
        env["BOOKING_ISOLATION"] = args.isolation
    os.environ.update(env)
    show_id, key, tokens = await prepare(args)
    rng = random.Random(2026)
    at = arrivals(args.fans, args.arrival, args.arrival_seconds, rng)
    outcomes: Counter[str] = Counter()
    with uvicorn_server(env, workers=args.workers) as url, worker_process(env):
        limits = httpx2.Limits(max_connections=args.connections,
                               max_keepalive_connections=args.connections)
        async with httpx2.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
            with tqdm(total=args.fans, desc="fans done", unit="fan", smoothing=0.05) as bar:
                rec = Recorder()
                plan = Plan(url, key, show_id, args, rec, http, bar)
                results = await asyncio.gather(*[fan(plan, i, tokens[i], at[i])
                                                 for i in range(args.fans)])
            outcomes.update(results)
            elapsed = time.perf_counter() - rec.t0
            await settle(show_id, args.hold_seconds + args.offer_seconds + 60)
    checks = await audit(show_id)
    await db.close_pool()

    ops = summarize(rec)
    report = {
        "fans": args.fans, "show_id": show_id, "arrival": args.arrival,
        "arrival_seconds": args.arrival_seconds, "hold_seconds": args.hold_seconds,
        "offer_seconds": args.offer_seconds, "server_processes": args.workers,
        "isolation": args.isolation or "default", "scale": args.scale,
        "elapsed_seconds": round(elapsed, 1), "operations": ops,
        "goodput_bookings_per_second": round(checks["bookings"] / elapsed, 2),
        "goodput_seats_per_second": round(checks["seats_sold"] / elapsed, 2),
        "fan_outcomes": dict(outcomes.most_common()),
        "operation_outcomes": dict(sorted(rec.outcomes.items())),
        "errors_by_code": dict(rec.errors.most_common()),
        "internal_server_errors": rec.errors.get("INTERNAL_SERVER_ERROR", 0),
        **checks,
    }
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str))
    plot(rec, out / "latency.png",
         f"release day: {args.fans} fans, one 200-seat show, {args.arrival} arrival over "
         f"{args.arrival_seconds:.0f} s, hold {args.hold_seconds} s, "
         f"{args.workers} API process(es)")
    print(f"\n{'operation':<22} {'count':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}")
    for name, s in ops.items():
        print(f"{name:<22} {s['count']:>6} {s['p50_ms']:>9.1f} {s['p95_ms']:>9.1f} "
              f"{s['p99_ms']:>9.1f}")
    print(f"\nseats sold {checks['seats_sold']} of 200 in {elapsed:.0f} s, "
          f"offers made {checks['offers_made']}, taken {checks['offers_taken']}; "
          f"double bookings {checks['double_bookings']}; errors {dict(rec.errors)}")
    print(f"fans: {dict(outcomes.most_common())}")
    print(f"wrote {out / 'report.json'} and {out / 'latency.png'}")
    if checks["double_bookings"] or checks["audit_problems"]:
        raise SystemExit("AUDIT FAILED")


if __name__ == "__main__":
    asyncio.run(main())
