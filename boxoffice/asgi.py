"""`uvicorn boxoffice.asgi:app`: the application, built when the server first calls it.

Nothing is read at import: the first ASGI event (the lifespan's startup) builds the app from
the process's `Settings` (the environment, read once then), which create_app hands to
everything it opens (tests/test_import_env.py).
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from boxoffice.app import create_app
from boxoffice.settings import get_settings

log = logging.getLogger(__name__)


class LazyApp:
    """An ASGI app that builds the real one on its first call."""

    def __init__(self) -> None:
        self.app: Starlette | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            try:
                self.app = create_app(get_settings())
            except Exception as exc:
                if scope["type"] != "lifespan":
                    raise
                # a failed startup, so the server exits (bad TICKET_SIGNING_KEYS, settings):
                # an exception here would read to uvicorn as "lifespan unsupported" and it
                # would serve anyway
                log.exception("the application could not be built")
                await receive()  # lifespan.startup
                await send({"type": "lifespan.startup.failed",
                            "message": f"{type(exc).__name__}: {exc}"})
                return
        await self.app(scope, receive, send)


app = LazyApp()
