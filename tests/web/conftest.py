"""Browser fixtures: Debian's chromium driven by Playwright against a real uvicorn process.

Everything the tests need is installed here when missing (apt's chromium; the `playwright`
package comes with the dev extra). Playwright never downloads a browser: it drives the
system chromium through `executable_path`."""

from __future__ import annotations

import random
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    async_playwright,
)

from boxoffice import db
from boxoffice.auth import create_api_key, get_or_create_user, issue_token
from boxoffice.services.seatcache import clear_seat_cache
from tests.realtime.support import Server, World, uvicorn

CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts" / "web"


def _install_chromium() -> str:
    """The chromium binary, installed from Debian's packages when missing (CI runs as root)."""
    path = shutil.which("chromium")
    if path is None:
        install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
        env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        if subprocess.run(install, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, check=True, capture_output=True)
            subprocess.run(install, env=env, check=True, capture_output=True)
        path = shutil.which("chromium")
    assert path, "chromium is not installed and apt-get could not install it"
    return path


@pytest.fixture(scope="package")
def chromium() -> str:
    return _install_chromium()


@pytest.fixture(scope="package")
def server(database: None) -> Iterator[Server]:
    with uvicorn() as s:
        yield s


@pytest.fixture(scope="package")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield b
        await b.close()


@pytest.fixture(autouse=True)
async def _fresh_seat_cache() -> AsyncIterator[None]:
    clear_seat_cache()
    yield
    clear_seat_cache()


@pytest.fixture
async def world(clean: None) -> World:
    # show ids at a random offset: pub/sub channels are global to the Redis server
    await db.pool().execute("SELECT setval('show_id_seq', $1)",
                            random.randrange(10_000, 500_000_000))
    key = await create_api_key("web-tests")
    tokens = [issue_token(await get_or_create_user(f"fan{i}@example.com")) for i in range(3)]
    return World(key, tokens)


@dataclass
class Tab:
    """A page in its own browser context (a separate fan), offline except for our server."""

    page: Page
    context: BrowserContext
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    async def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
async def open_tab(browser: Browser, server: Server
                   ) -> AsyncIterator[Callable[..., Awaitable[Tab]]]:
    tabs: list[Tab] = []
    origin = f"127.0.0.1:{server.port}"

    async def open_(path: str, viewport: tuple[int, int] = (1280, 900)) -> Tab:
        context = await browser.new_context(viewport={"width": viewport[0],
                                                      "height": viewport[1]})
        tab = Tab(await context.new_page(), context)

        async def offline(route: Route) -> None:
            if urlsplit(route.request.url).netloc == origin:
                await route.continue_()
            else:  # the host only: nothing from a CDN or anywhere else
                tab.blocked.append(route.request.url)
                await route.abort()

        await context.route("**/*", offline)

        def console(m: ConsoleMessage) -> None:
            # GraphiQL fetches the schema before anyone typed an X-API-Key outside dev: the gate
            # answers that 401 (the contract), which the browser logs; nothing else is excused
            excused = path.startswith("/graphql") and "status of 401" in m.text
            if m.type == "error" and not excused:
                tab.errors.append(m.text)

        tab.page.on("console", console)
        tab.page.on("pageerror", lambda e: tab.errors.append(str(e)))
        await tab.page.goto(f"http://{origin}{path}")
        tabs.append(tab)
        return tab

    yield open_
    for tab in tabs:
        await tab.context.close()
    for tab in tabs:
        assert tab.blocked == [], f"requests outside the host: {tab.blocked}"
        assert tab.errors == [], f"console errors: {tab.errors}"
