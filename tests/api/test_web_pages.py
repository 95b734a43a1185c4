"""The pages a browser gets from the app (in-process): the fan's app at /, GraphiQL at
GET /graphql from local assets only, its dev-only headers, and GRAPHIQL=off."""

from __future__ import annotations

import gzip
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from boxoffice.app import create_app
from boxoffice.settings import reset_settings_cache
from boxoffice.web import WEB_DIR

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
REFS = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.fixture
async def page_client(clean: None, monkeypatch: pytest.MonkeyPatch
                      ) -> AsyncIterator[Any]:
    clients: list[httpx2.AsyncClient] = []
    contexts: list[Any] = []

    async def make(**env: str) -> httpx2.AsyncClient:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        reset_settings_cache()
        app = create_app()
        ctx = app.router.lifespan_context(app)
        await ctx.__aenter__()
        contexts.append(ctx)
        client = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app),
                                    base_url="http://test")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
    for ctx in contexts:
        await ctx.__aexit__(None, None, None)
    monkeypatch.undo()
    reset_settings_cache()


async def assert_local_assets(client: httpx2.AsyncClient, html: str) -> None:
    refs = REFS.findall(html)
    assert refs, html
    for ref in refs:
        if ref.startswith(("data:", "#")):
            continue
        assert ref.startswith("/") and not ref.startswith("//"), f"not a local asset: {ref}"
        resp = await client.get(ref)
        assert resp.status_code == 200, ref


async def test_the_web_app_is_served_at_the_root(page_client) -> None:
    client = await page_client()
    resp = await client.get("/", headers=BROWSER)
    assert resp.status_code == 200 and "text/html" in resp.headers["content-type"]
    assert '<main id="main"' in resp.text
    await assert_local_assets(client, resp.text)


async def test_graphiql_is_served_from_local_assets_without_a_key(page_client) -> None:
    client = await page_client(GRAPHIQL="on", BOXOFFICE_ENV="test")
    resp = await client.get("/graphql", headers=BROWSER)
    assert resp.status_code == 200 and "text/html" in resp.headers["content-type"]
    assert 'id="graphiql"' in resp.text and "http" not in resp.text.split("<body>")[1]
    assert '"headers"' not in resp.text  # outside dev, nothing is pre-filled
    await assert_local_assets(client, resp.text)
    # the built page names its bundle, and every name it loads is in the package
    assert (WEB_DIR / "graphiql.html").exists()


async def test_graphiql_prefills_the_dev_key_only_in_dev(page_client) -> None:
    env = {"GRAPHIQL_API_KEY": "bo_dev_key</script>", "GRAPHIQL_TOKEN": "tok123"}
    dev = await page_client(BOXOFFICE_ENV="dev", **env)
    html = (await dev.get("/graphql", headers=BROWSER)).text
    assert '"X-API-Key": "bo_dev_key\\u003c/script>"' in html  # escaped: cannot end the tag
    assert '"Authorization": "Bearer tok123"' in html
    prod = await page_client(BOXOFFICE_ENV="production", **env)
    assert "bo_dev_key" not in (await prod.get("/graphql", headers=BROWSER)).text


async def test_graphiql_off_answers_404_and_the_api_still_works(page_client) -> None:
    client = await page_client(GRAPHIQL="off")
    assert (await client.get("/graphql", headers=BROWSER)).status_code == 404
    resp = await client.post("/graphql", json={"query": "{ __typename }"})
    assert resp.status_code in (200, 401)  # answered by the API, not the page
    assert "graphiql" not in resp.text.lower()


async def test_the_apps_first_load_is_under_200_kb_of_gzipped_javascript(page_client) -> None:
    client = await page_client()
    html = (await client.get("/", headers=BROWSER)).text
    scripts = [r for r in REFS.findall(html) if r.endswith(".js")]  # entry + modulepreloads
    assert scripts, html
    total = 0
    for ref in scripts:
        total += len(gzip.compress((await client.get(ref)).content))
    assert total < 200_000, f"{total} bytes gzipped"


async def test_only_a_browser_get_without_an_operation_gets_graphiql(page_client) -> None:
    client = await page_client()
    apq = '{"persistedQuery":{"version":1,"sha256Hash":"' + "0" * 64 + '"}}'
    for params, accept in [({"query": "{ __typename }"}, BROWSER["Accept"]),
                           ({"extensions": apq}, BROWSER["Accept"]),
                           ({}, "*/*"), ({}, "application/json")]:
        resp = await client.get("/graphql", params=params, headers={"Accept": accept})
        assert 'id="graphiql"' not in resp.text, (params, accept)
