"""The fan's web app in Debian's chromium: first load until the seat map is interactive, and
how soon another fan's hold shows on the page, each next to a baseline from the same run.

- first load: a fresh browser context opens `/#apiKey=…&token=…&show=ID` until the first FREE
  seat is in the DOM (HTML, JS, websocket, snapshot, SVG). Baseline: the same browser loading
  `/healthz` (the browser's own floor on this machine).
- a hold seen live: another fan reserves a seat over HTTP; time until the page marks it HELD.
  Baseline: a Python graphql-ws subscriber (gql) on the same show, same mutation.

Usage: python -m benchmarks.web_app [--runs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

os.environ.setdefault("DATABASE_URL",
                      "postgresql://postgres@127.0.0.1:5432/boxoffice_bench_web")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
os.environ["RATE_LIMITS"] = "off"

import httpx2
from playwright.async_api import async_playwright

from benchmarks._harness import uvicorn_server
from boxoffice import db
from boxoffice.auth import create_api_key, get_or_create_user, issue_token
from boxoffice.migrate import ensure_migrated
from tests.realtime.support import SEAT_MAP
from tests.web.conftest import CHROMIUM_ARGS, _install_chromium

RESERVE = """mutation R($input: ReserveInput!) { reserve(input: $input) { __typename } }"""


def ms(xs: list[float]) -> str:
    s = sorted(xs)
    return (f"p50 {statistics.median(s) * 1000:7.1f} ms  max {s[-1] * 1000:7.1f} ms  "
            f"(n={len(s)})")


async def main(runs: int) -> None:
    await ensure_migrated(os.environ["DATABASE_URL"])
    await db.start_pool()
    from tests.factories import make_show, truncate_all

    await truncate_all()
    show = await make_show(rows=10, per_row=20, name="webbench")
    key = await create_api_key("web-bench")
    tokens = [issue_token(await get_or_create_user(f"fan{i}@bench.example"))
              for i in range(2 * runs + 1)]
    labels = [f"{r}-{n}" for r in "ABCDEFGHIJ" for n in range(1, 21)]

    with uvicorn_server() as base:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=_install_chromium(),
                                              args=CHROMIUM_ARGS, headless=True)
            floor, first, live, py_live = [], [], [], []
            for i in range(runs):
                ctx = await browser.new_context()
                page = await ctx.new_page()
                t0 = time.perf_counter()
                await page.goto(base + "/healthz")
                floor.append(time.perf_counter() - t0)
                await ctx.close()

                ctx = await browser.new_context()
                page = await ctx.new_page()
                t0 = time.perf_counter()
                await page.goto(f"{base}/#apiKey={key}&token={tokens[0]}&show={show.show_id}")
                await page.wait_for_selector('[data-seat][data-status="FREE"]', state="attached")
                first.append(time.perf_counter() - t0)

                # another fan holds a seat: the page marks it HELD
                label = labels[2 * i]
                async with httpx2.AsyncClient(timeout=10) as http:
                    t0 = time.perf_counter()
                    await http.post(base + "/graphql", json={
                        "query": RESERVE,
                        "variables": {"input": {"showId": str(show.show_id), "seats": [label]}}},
                        headers={"X-API-Key": key, "Authorization": f"Bearer {tokens[1 + i]}"})
                    await page.wait_for_selector(f'[data-seat="{label}"][data-status="HELD"]',
                                                 state="attached", timeout=10_000)
                    live.append(time.perf_counter() - t0)
                await ctx.close()
            await browser.close()

        # baseline: the same kind of hold seen by a Python graphql-ws subscriber
        from gql import Client, GraphQLRequest
        from gql.transport.websockets import WebsocketsTransport

        ws = base.replace("http", "ws") + "/graphql"
        for i in range(runs):
            label = labels[2 * i + 1]
            transport = WebsocketsTransport(url=ws, init_payload={"apiKey": key},
                                            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL])
            async with Client(transport=transport) as session:
                events = session.subscribe(GraphQLRequest(SEAT_MAP,
                                           variable_values={"showId": str(show.show_id)}))
                await anext(events)  # the snapshot
                async with httpx2.AsyncClient(timeout=10) as http:
                    t0 = time.perf_counter()
                    await http.post(base + "/graphql", json={
                        "query": RESERVE,
                        "variables": {"input": {"showId": str(show.show_id), "seats": [label]}}},
                        headers={"X-API-Key": key,
                                 "Authorization": f"Bearer {tokens[1 + runs + i]}"})
                    while True:
                        ev = await anext(events)
                        if any(c["label"] == label for c in ev["seatMap"]["changes"]):
                            break
                    py_live.append(time.perf_counter() - t0)
    await db.close_pool()

    print(f"{'baseline: browser loads /healthz':<44} {ms(floor)}")
    print(f"{'web app: open a show until a seat is FREE':<44} {ms(first)}")
    print(f"{'baseline: hold seen by a Python subscriber':<44} {ms(py_live)}")
    print(f"{'web app: hold by another fan shown HELD':<44} {ms(live)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    asyncio.run(main(parser.parse_args().runs))
