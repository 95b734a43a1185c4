"""GraphQL-shaped JSON answers sent by the ASGI layer, before any GraphQL machinery runs."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Send


def error_body(message: str, code: str, **extensions: Any) -> bytes:
    return json.dumps(
        {"data": None, "errors": [{"message": message,
                                   "extensions": {"code": code, **extensions}}]},
        separators=(",", ":"),
    ).encode()


async def send_error(send: Send, status: int, message: str, code: str,
                     headers: dict[str, str] | None = None, **extensions: Any) -> None:
    body = error_body(message, code, **extensions)
    raw_headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(body)).encode()),
                   (b"cache-control", b"no-store")]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})
