"""Contended reserve+cancel: 32 users in a loop on one 200-seat show, GraphQL against raw asyncpg.

Each user, over and over: reserve 1-2 adjacent seats at random, then cancel that reservation.
Through the API (uvicorn process, RATE_LIMITS=off, worker not needed: nothing lapses) and, in
the same run, as the same two transactions on raw asyncpg (lock the seats in label order,
insert the reservation, hold the seats; then lock the reservation, free its seats, mark it
CANCELLED). The figure is completed reserve+cancel pairs per second; the bound (issue 9) is
GraphQL >= 50 % of raw.

Usage: python -m benchmarks.reserve_cancel [--users 32] [--seconds 10]
Uses DATABASE_URL/REDIS_URL (default boxoffice_bench, Redis db 14); both are emptied.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time

os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/boxoffice_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ["RATE_LIMITS"] = "off"

import asyncpg
import httpx2

from benchmarks._harness import Stats, uvicorn_server
from benchmarks.reserve import RAW_TXN_LOCK, ensure_database, make_users, request_for, reset
from boxoffice import db
from boxoffice.auth import User, create_api_key, issue_token
from boxoffice.settings import get_settings

RESERVE = """mutation R($input: ReserveInput!) { reserve(input: $input) { __typename
  ... on Reservation { id } } }"""
CANCEL = """mutation C($id: ID!) { cancelReservation(reservationId: $id) { __typename } }"""


async def loop(seconds: float, users: list[User], one) -> tuple[Stats, int]:
    latencies: list[float] = []
    misses = [0]
    stop = time.perf_counter() + seconds

    async def user_loop(user: User, rng: random.Random) -> None:
        while time.perf_counter() < stop:
            t = time.perf_counter()
            if await one(user, rng):
                latencies.append(time.perf_counter() - t)
            else:
                misses[0] += 1

    start = time.perf_counter()
    await asyncio.gather(*[user_loop(u, random.Random(u.id)) for u in users])
    return Stats("", latencies, time.perf_counter() - start), misses[0]


def api_pair(client: httpx2.AsyncClient, key: str, show_id: int):
    async def one(user: User, rng: random.Random) -> bool:
        headers = {"X-API-Key": key, "Authorization": f"Bearer {issue_token(user)}"}
        seats = request_for(rng, 10, 20)
        r = (await client.post("/graphql", headers=headers, json={"query": RESERVE, "variables": {
            "input": {"showId": str(show_id), "seats": seats}}})).json()
        res = (r.get("data") or {}).get("reserve") or {}
        if res.get("__typename") != "Reservation":
            return False
        c = (await client.post("/graphql", headers=headers, json={
            "query": CANCEL, "variables": {"id": res["id"]}})).json()
        return bool(((c.get("data") or {}).get("cancelReservation") or {}).get("__typename"))

    return one


def raw_pair(pool: asyncpg.Pool, show_id: int, isolation: str, retries: list[int]):
    async def txn(fn) -> object:
        for attempt in range(9):
            try:
                async with pool.acquire() as conn, conn.transaction(
                        isolation=isolation):  # type: ignore[arg-type]
                    return await fn(conn)
            except (asyncpg.SerializationError, asyncpg.DeadlockDetectedError):
                retries[0] += 1
                await asyncio.sleep(random.uniform(0, 0.004 * 2 ** min(attempt, 6)))
        return None

    async def one(user: User, rng: random.Random) -> bool:
        labels = sorted(request_for(rng, 10, 20))

        async def hold(conn: asyncpg.Connection) -> int | None:
            rows = await conn.fetch(RAW_TXN_LOCK, show_id, labels)
            if any(r["status"] != "FREE" for r in rows):
                return None
            rid = await conn.fetchval(
                """INSERT INTO reservation (show, "user", status, seat_labels, amount, currency,
                       expires_at) VALUES ($1, $2, 'HELD', $3, $4, 'INR',
                       now() + interval '5 minutes') RETURNING id""",
                show_id, user.id, labels, sum(r["price"] for r in rows))
            await conn.execute(
                """UPDATE show_seat SET status = 'HELD', reservation = $2
                   WHERE id = ANY($1::int[]) AND status = 'FREE'""", [r["id"] for r in rows], rid)
            return int(rid)

        async def release(conn: asyncpg.Connection, rid: int) -> bool:
            res = await conn.fetchrow(
                "SELECT seat_labels FROM reservation WHERE id = $1 FOR UPDATE", rid)
            await conn.execute(
                """UPDATE show_seat SET status = 'FREE', reservation = NULL
                   WHERE show = $1 AND label = ANY($2::varchar[]) AND reservation = $3
                     AND status = 'HELD'""", show_id, list(res["seat_labels"]), rid)
            await conn.execute("UPDATE reservation SET status = 'CANCELLED' WHERE id = $1", rid)
            return True

        rid = await txn(hold)
        if not isinstance(rid, int):
            return False
        return bool(await txn(lambda conn: release(conn, rid)))

    return one


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--users", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    isolation = get_settings().booking_isolation
    await ensure_database()
    await db.start_pool()
    results = {}
    with uvicorn_server({"RATE_LIMITS": "off"}) as url:
        async with httpx2.AsyncClient(base_url=url, timeout=60,
                                      limits=httpx2.Limits(max_connections=64)) as client:
            for path in ("GraphQL/HTTP", "raw asyncpg"):
                (show_id,) = await reset(1, 10, 20)
                key = await create_api_key("bench")
                users = await make_users(args.users)
                retries = [0]
                one = api_pair(client, key, show_id) if path.startswith("GraphQL") \
                    else raw_pair(db.pool(), show_id, isolation, retries)
                st, misses = await loop(args.seconds, users, one)
                st.name = f"reserve+cancel {path}"
                results[path] = st
                print(st.line(f"pairs; {misses} reserve attempts found seats taken"
                              + (f"; retries {retries[0]}" if path.startswith("raw") else "")),
                      flush=True)
    await db.close_pool()
    api, raw = results["GraphQL/HTTP"], results["raw asyncpg"]
    print(f"\n{args.users} users, one 200-seat show, {isolation}: GraphQL "
          f"{api.rps:.1f} pairs/s vs raw {raw.rps:.1f} pairs/s = {api.rps / raw.rps:.1%} "
          "(bound: >= 50 %)")


if __name__ == "__main__":
    asyncio.run(main())
