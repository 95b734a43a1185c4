"""The graphql-ws npm client (Node) against a real uvicorn process: snapshot, delta, 4403."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.api.booking_ops import RESERVE
from tests.factories import make_show
from tests.realtime.support import graphql

NODE_DIR = Path(__file__).parent / "node"

@pytest.fixture(scope="module")
def node_client() -> Path:
    """client.mjs with its dependencies installed (npm ci from the lockfile, once). No node or
    no registry is a failure, not a skip: the web build needs them too."""
    assert shutil.which("node") and shutil.which("npm"), "node/npm are not installed"
    if not (NODE_DIR / "node_modules" / "graphql-ws").exists():
        command = ["npm", "ci"] if (NODE_DIR / "package-lock.json").exists() else ["npm", "install"]
        subprocess.run([*command, "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True,
                       capture_output=True, timeout=180)
    return NODE_DIR / "client.mjs"


async def start(node_client: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        "node", str(node_client), *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)


async def test_graphql_ws_client_gets_a_snapshot_then_a_delta(servers, world, node_client):
    a, b = servers
    show = await make_show(rows=2, per_row=5)
    proc = await start(node_client, a.ws, world.key, str(show.show_id), "2")
    assert proc.stdout is not None
    first = json.loads(await asyncio.wait_for(proc.stdout.readline(), 15))["seatMap"]
    assert first["snapshot"]["free"] == 10 and first["changes"] == []
    await graphql(b.http, world.key, RESERVE,
                  {"input": {"showId": str(show.show_id), "seats": ["B-5"]}},
                  token=world.tokens[0])
    second = json.loads(await asyncio.wait_for(proc.stdout.readline(), 5))["seatMap"]
    assert second["version"] == first["version"] + 1
    assert second["changes"] == [{"label": "B-5", "status": "HELD"}]
    assert await asyncio.wait_for(proc.wait(), 5) == 0


async def test_graphql_ws_client_is_rejected_with_4403_without_a_valid_key(servers, world,
                                                                          node_client):
    a, _ = servers
    proc = await start(node_client, a.ws, "bo_wrong", "1")
    _, err = await asyncio.wait_for(proc.communicate(), 15)
    assert proc.returncode == 3
    assert json.loads(err.decode().strip().splitlines()[-1])["closeCode"] == 4403
