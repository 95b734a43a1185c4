"""`boxoffice import` of a national catalog: 10,000 shows, against raw COPY of the same rows.

    python -m benchmarks.import_catalog [--shows 10000] [--cinemas 100] [--seats-per-row 15]

It generates a catalog file (`--cinemas` cinemas in 5 cities, 2 halls of 10 rows each, the
shows spread over the halls hour by hour), then in one run, on an emptied database of its own
(`<DATABASE_URL's database>_importbench`, created and migrated here):

1. `import` from the JSON text: parse + check, then one transaction (timed separately);
2. the same file again (the idempotent no-op an operator's nightly job mostly is);
3. the baseline: the same rows (cities … show_seat, with ids computed in Python) written with
   asyncpg's binary COPY in one transaction, after emptying the tables again: the floor for
   putting these rows into these tables with these indexes — without FK triggers, as the
   import skips them when it runs as a superuser (catalog_import/bulk.py), then with them.

Bound (issue 12): 10,000 shows in under 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devtools.localsvc import create_database  # noqa: E402

TABLES = ["show_seat", "show_price", "show", "cinema_seat", "seat_category", "cinema_hall",
          "cinema", "postal_code", "movie", "city"]
CITIES = [("blr", "Bangalore", 12.97, 77.59), ("mum", "Mumbai", 19.07, 72.87),
          ("del", "Delhi", 28.61, 77.20), ("maa", "Chennai", 13.08, 80.27),
          ("hyd", "Hyderabad", 17.38, 78.48)]
BANDS = (("CLASSIC", 4, 20000), ("PRIME", 4, 30000), ("RECLINER", 2, 50000))
IST = ZoneInfo("Asia/Kolkata")


def generate(shows: int, cinemas: int, per_row: int) -> dict[str, Any]:
    halls_per_cinema = 2
    movies = [{"id": f"m{i}", "title": f"Generated Feature {i}",
               "rating": round(5 + i % 50 / 10, 1), "durationMinutes": 90 + i % 60,
               "languages": ["Hindi", "English"], "genres": ["Drama"]} for i in range(40)]
    rows = []
    letter = 0
    for category, n, price in BANDS:
        for _ in range(n):
            rows.append({"row": chr(ord("A") + letter), "seats": per_row, "category": category,
                         "price": price})
            letter += 1
    cinema_list: list[dict[str, Any]] = []
    for i in range(cinemas):
        cid, _, lat, lng = CITIES[i % len(CITIES)]
        cinema_list.append({
            "id": f"c{i:04d}", "city": cid, "name": f"Bench Cinema {i:04d}",
            "postalCode": f"B{i:05d}", "lat": round(lat + (i % 17) / 100, 5),
            "lng": round(lng + (i % 13) / 100, 5),
            "halls": [{"id": f"h{j}", "name": f"Hall {j}", "rows": rows}
                      for j in range(halls_per_cinema)]})
    halls = [(c["id"], h["id"]) for c in cinema_list for h in c["halls"]]
    start = datetime.now(IST).replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(
        days=1)
    show_list = []
    for k in range(shows):
        cinema, hall = halls[k % len(halls)]
        slot = k // len(halls)  # 9:00 … 23:00 then the next day
        at = start + timedelta(days=slot // 15, hours=slot % 15)
        show_list.append({"id": f"s{k:06d}", "movie": f"m{k % len(movies)}", "cinema": cinema,
                          "hall": hall, "startsAt": at.isoformat(),
                          "onSaleAt": (at - timedelta(days=3)).isoformat(), "currency": "INR"})
    return {"cities": [{"id": c, "name": n} for c, n, _, _ in CITIES], "movies": movies,
            "cinemas": cinema_list, "shows": show_list}


async def empty(conn: Any) -> None:
    await conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")


async def copy_baseline(conn: Any, data: dict[str, Any], *, fk_triggers: bool) -> int:
    """The same rows, ids assigned here, written with binary COPY in one transaction
    (without FK triggers: `session_replication_role = replica`, as the importer does)."""
    city_ids = {c["id"]: i + 1 for i, c in enumerate(data["cities"])}
    movie_ids = {m["id"]: i + 1 for i, m in enumerate(data["movies"])}
    tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {
        "city": (["id", "source_id", "name"],
                 [(i, c["id"], c["name"]) for c, i in zip(data["cities"], city_ids.values(),
                                                         strict=True)]),
        "movie": (["id", "source_id", "title", "rating", "duration_minutes", "languages",
                   "genres"],
                  [(movie_ids[m["id"]], m["id"], m["title"], m["rating"], m["durationMinutes"],
                    m["languages"], m["genres"]) for m in data["movies"]]),
        "postal_code": (["code", "city", "lat", "lng"], []),
        "cinema": (["id", "source_id", "city", "name", "postal_code", "lat", "lng"], []),
        "cinema_hall": (["id", "cinema", "source_id", "name"], []),
        "seat_category": (["id", "hall", "name", "rank"], []),
        "cinema_seat": (["id", "hall", "category", "row", "number", "label", "x", "y"], []),
        "show": (["id", "source_id", "movie", "hall", "cinema", "starts_at", "currency",
                  "on_sale_at", "total_seats", "free_seats", "seat_version"], []),
        "show_price": (["show", "category", "price"], []),
        "show_seat": (["show", "cinema_seat", "label", "row", "number", "x", "y", "category",
                       "price", "status"], []),
    }
    hall_ids: dict[tuple[str, str], int] = {}
    cats: dict[int, dict[str, tuple[int, int]]] = {}
    seats: dict[int, list[tuple[Any, ...]]] = {}
    for ci, c in enumerate(data["cinemas"], 1):
        tables["postal_code"][1].append((c["postalCode"], city_ids[c["city"]], c["lat"],
                                         c["lng"]))
        tables["cinema"][1].append((ci, c["id"], city_ids[c["city"]], c["name"],
                                    c["postalCode"], c["lat"], c["lng"]))
        for h in c["halls"]:
            hid = len(hall_ids) + 1
            hall_ids[(c["id"], h["id"])] = hid
            tables["cinema_hall"][1].append((hid, ci, h["id"], h["name"]))
            cats[hid] = {}
            seats[hid] = []
            for y, r in enumerate(h["rows"]):
                if r["category"] not in cats[hid]:
                    cid = len(tables["seat_category"][1]) + 1
                    cats[hid][r["category"]] = (cid, r["price"])
                    tables["seat_category"][1].append((cid, hid, r["category"], len(cats[hid])))
                cid = cats[hid][r["category"]][0]
                for n in range(1, r["seats"] + 1):
                    sid = len(tables["cinema_seat"][1]) + 1
                    row = (sid, hid, cid, r["row"], n, f"{r['row']}-{n}", n, y)
                    tables["cinema_seat"][1].append(row)
                    seats[hid].append((row, r["category"], r["price"]))
    for show_id, s in enumerate(data["shows"], 1):
        hid = hall_ids[(s["cinema"], s["hall"])]
        n = len(seats[hid])
        tables["show"][1].append((show_id, s["id"], movie_ids[s["movie"]], hid,
                                  int(s["cinema"][1:]) + 1,
                                  datetime.fromisoformat(s["startsAt"]), s["currency"],
                                  datetime.fromisoformat(s["onSaleAt"]), n, n, 0))
        tables["show_price"][1].extend((show_id, cid, price)
                                       for cid, price in cats[hid].values())
        tables["show_seat"][1].extend(
            (show_id, seat[0], seat[5], seat[3], seat[4], seat[6], seat[7], category, price,
             "FREE") for seat, category, price in seats[hid])
    async with conn.transaction():
        if not fk_triggers:
            await conn.execute("SET LOCAL session_replication_role = replica")
        for table, (columns, records) in tables.items():
            await conn.copy_records_to_table(table, records=records, columns=columns)
    return len(tables["show_seat"][1])


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shows", type=int, default=10_000)
    p.add_argument("--cinemas", type=int, default=100)
    p.add_argument("--seats-per-row", type=int, default=15)
    args = p.parse_args()

    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/boxoffice")
    url = base.rsplit("/", 1)[0] + "/" + base.rsplit("/", 1)[1].split("?")[0] + "_importbench"
    os.environ["DATABASE_URL"] = url
    create_database(url)
    from boxoffice import db
    from boxoffice.catalog_import import import_catalog, parse_catalog
    from boxoffice.migrate import ensure_migrated

    await ensure_migrated(url)
    await db.start_pool()
    try:
        data = generate(args.shows, args.cinemas, args.seats_per_row)
        raw = json.dumps(data)
        async with db.pool().acquire() as conn:
            await empty(conn)
        halls = sum(len(c["halls"]) for c in data["cinemas"])
        print(f"catalog: {len(data['shows']):,} shows, {len(data['cinemas'])} cinemas, "
              f"{halls} halls, file {len(raw) / 1e6:.1f} MB")

        t0 = time.perf_counter()
        catalog = parse_catalog(raw)
        t1 = time.perf_counter()
        report = await import_catalog(catalog)
        t2 = time.perf_counter()
        seats = await db.pool().fetchval("SELECT count(*) FROM show_seat")
        again = await import_catalog(parse_catalog(raw))
        t3 = time.perf_counter()
        assert len(report.shows) == args.shows and again.shows == report.shows

        async with db.pool().acquire() as conn:
            await empty(conn)
            t4 = time.perf_counter()
            copied = await copy_baseline(conn, data, fk_triggers=False)
            t5 = time.perf_counter()
            await empty(conn)
            t6 = time.perf_counter()
            await copy_baseline(conn, data, fk_triggers=True)
            t7 = time.perf_counter()
            await empty(conn)
        assert copied == seats, (copied, seats)

        total = t2 - t0
        print(f"import (first)        {total:7.2f} s  = parse+check {t1 - t0:.2f} s "
              f"+ database {t2 - t1:.2f} s   ({seats:,} show seats)  bound: < 30 s")
        print(f"import (same again)   {t3 - t2:7.2f} s  (nothing written)")
        print(f"baseline: raw COPY    {t5 - t4:7.2f} s  (same rows, ids precomputed, "
              "no FK triggers, like the import)")
        print(f"  COPY with FK checks {t7 - t6:7.2f} s  (what a non-superuser role would pay)")
        print(f"import / COPY         {total / (t5 - t4):7.2f}x")
    finally:
        await db.close_pool()


if __name__ == "__main__":
    asyncio.run(main())
