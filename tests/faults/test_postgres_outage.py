"""While Postgres is down every answer is a coded GraphQL error (TRY_AGAIN, HTTP 503), never a
bare text 500; when it is back the same process answers again by itself. The API runs as a
process on a private cluster that the test really stops."""

from __future__ import annotations

import asyncio

import httpx2

from tests.faults.support import boxoffice_process
from tests.realtime.support import free_port
from tests.workers.conftest import wait_until

SEARCH = '{ search(input:{keyword:"marvel", first:1}) { edges { node { showId } } } }'
RESERVE = 'mutation { reserve(input:{showId:"1", seats:["A-1"]}) { __typename } }'
BOOKINGS = '{ reservation(id: "1") { id } }'


async def ask(client: httpx2.AsyncClient, url: str, query: str, key: str, token: str):
    r = await client.post(url, json={"query": query},
                          headers={"X-API-Key": key, "Authorization": f"Bearer {token}"})
    assert r.headers["content-type"].startswith("application/json"), (r.status_code, r.text)
    return r.status_code, r.json()


async def test_postgres_down_gives_coded_errors_and_recovers(cluster_world) -> None:
    w = cluster_world
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with boxoffice_process("serve", "--port", str(port), env=w.env) as api:
        async with httpx2.AsyncClient(timeout=20) as client:
            async def ready() -> bool:
                try:
                    return (await client.get(f"{base}/readyz")).status_code == 200
                except httpx2.HTTPError:
                    return False

            await wait_until(ready, within=30)
            status, body = await ask(client, f"{base}/graphql", SEARCH, w.api_key, w.token)
            assert status == 200 and "errors" not in body, body

            w.cluster.stop()
            try:
                answers = []
                for round_ in range(2):
                    for query in (SEARCH, RESERVE, BOOKINGS):
                        # a known key (cached) and unknown keys (looked up in Postgres)
                        for key in (w.api_key, f"bo_unknown_{round_}"):
                            answers.append(await ask(client, f"{base}/graphql", query, key,
                                                     w.token))
                    await asyncio.sleep(0.2)
                for status, body in answers:
                    codes = {e["extensions"]["code"] for e in body.get("errors") or []}
                    assert status in (200, 503), body
                    if status == 503:
                        assert codes == {"TRY_AGAIN"}, body
                    else:  # nothing needed Postgres (served from a cache)
                        assert codes <= {"TRY_AGAIN"}, body
                assert any(status == 503 for status, _ in answers)
                ready_status = (await client.get(f"{base}/readyz")).status_code
                assert ready_status == 503
                assert api.alive(), api.output()
            finally:
                w.cluster.start()

            async def answers_again() -> bool:
                status, body = await ask(client, f"{base}/graphql", SEARCH, w.api_key, w.token)
                return status == 200 and "errors" not in body

            await wait_until(answers_again, within=30)
            assert "Exception in ASGI application" not in api.output(), api.output()
