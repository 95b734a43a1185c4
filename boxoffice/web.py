"""The browser side: the fan's web app at `/` and GraphiQL at GET /graphql, both built by
`web/` (Vite) into boxoffice/static/web/ and served from the package: no asset from outside."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

WEB_DIR = Path(__file__).parent / "static" / "web"
_CONFIG_SLOT = '<script id="boxoffice-config" type="application/json">{}</script>'


@lru_cache(maxsize=1)
def _graphiql_template() -> str:
    html = (WEB_DIR / "graphiql.html").read_text(encoding="utf-8")
    if _CONFIG_SLOT not in html:
        raise RuntimeError("graphiql.html lacks its config slot: rebuild web/ (npm run build)")
    return html


def wants_graphiql(method: str, params: Mapping[str, object], accept: str) -> bool:
    """A browser opening /graphql: a GET that accepts HTML and carries no operation (an APQ
    GET has `extensions` and no `query`; `curl`'s */* alone is not a browser)."""
    return (method == "GET" and params.get("query") is None
            and params.get("extensions") is None and "text/html" in accept)


def graphiql_page(headers: dict[str, str]) -> str:
    """The built GraphiQL page with its default headers (dev only) filled in."""
    # "<" escaped so that no value can close the script element
    config = json.dumps({"headers": headers} if headers else {}).replace("<", "\\u003c")
    return _graphiql_template().replace(
        _CONFIG_SLOT, _CONFIG_SLOT.replace("{}", config), 1)


def web_app_mount() -> Mount:
    """`/` and its assets; mounted last, so every API route wins over a file name."""
    return Mount("/", app=StaticFiles(directory=WEB_DIR, html=True), name="web")
