"""WS_DEFLATE: `boxoffice serve` declines permessage-deflate unless it is turned on.

Seat-map deltas are ~100-byte frames: compressing each one per connection barely shrinks it and
costs the server and every client CPU per frame (benchmarks/fanout_nginx.py `--no-deflate`). A
browser offers the extension; the handshake answer shows whether the server took it."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import httpx2
import pytest
from websockets.asyncio.client import connect

from tests.realtime.support import BIN, free_port


async def _extensions_agreed(tmp_path: Path, **env: str) -> str | None:
    port = free_port()
    with (tmp_path / f"serve-{port}.log").open("wb") as sink:
        proc = await asyncio.create_subprocess_exec(
            BIN, "serve", "--port", str(port), stdout=sink, stderr=subprocess.STDOUT,
            env={**os.environ, **env})
    try:
        async with httpx2.AsyncClient(timeout=5) as c:
            for _ in range(150):  # up to ~30 s on a busy machine
                try:
                    if (await c.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx2.HTTPError:
                    pass
                assert proc.returncode is None, (tmp_path / f"serve-{port}.log").read_text()
                await asyncio.sleep(0.2)
        async with connect(f"ws://127.0.0.1:{port}/graphql", compression="deflate",
                           subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            assert ws.response is not None
            return ws.response.headers.get("Sec-WebSocket-Extensions")
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 15)


@pytest.mark.parametrize(("setting", "agreed"), [(None, False), ("on", True)])
async def test_permessage_deflate_only_when_turned_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str | None,
        agreed: bool) -> None:
    env = {"WS_DEFLATE": setting} if setting else {}
    monkeypatch.delenv("WS_DEFLATE", raising=False)
    extensions = await _extensions_agreed(tmp_path, **env)
    assert ("permessage-deflate" in (extensions or "")) is agreed, extensions
