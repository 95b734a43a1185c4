"""The README's Sentinel configuration works as written: a real Redis and a real Sentinel (the
Debian redis-server binary in sentinel mode) on free ports; redis-py's `master_for` and arq's
`RedisSettings(sentinel=True)` find the primary through the sentinel and use it."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from arq.connections import RedisSettings, create_pool
from redis.asyncio import Redis
from redis.asyncio.sentinel import Sentinel
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.pgpair import free_port


@contextlib.contextmanager
def _server(args: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def _answers(port: int) -> None:
    for _ in range(200):
        r = Redis(port=port)
        try:
            if await r.ping():
                return
        except RedisConnectionError:
            pass
        finally:
            await r.aclose()
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing answers on port {port}")


@pytest.fixture
async def sentinel_pair(tmp_path: Path) -> AsyncIterator[tuple[int, list[tuple[str, int]]]]:
    primary, sentinel = free_port(), free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(f"port {sentinel}\nbind 127.0.0.1\ndir {tmp_path}\n"
                    f"sentinel monitor boxoffice 127.0.0.1 {primary} 1\n")
    with _server(["redis-server", "--port", str(primary), "--bind", "127.0.0.1",
                  "--save", "", "--appendonly", "no", "--dir", str(tmp_path)]), \
            _server(["redis-server", str(conf), "--sentinel"]):
        await _answers(primary)
        await _answers(sentinel)
        yield primary, [("127.0.0.1", sentinel)]


async def test_readme_sentinel_configuration_reaches_the_primary(sentinel_pair):
    primary, sentinels = sentinel_pair
    redis = Sentinel(sentinels, socket_timeout=0.5).master_for("boxoffice", db=0)
    arq = await create_pool(RedisSettings(host=sentinels, sentinel=True,
                                          sentinel_master="boxoffice"))
    direct = Redis(port=primary)
    try:
        await redis.set("seatmap:{show:1}:version", 7)
        assert await direct.get("seatmap:{show:1}:version") == b"7"
        job = await arq.enqueue_job("deliver_notifications", _job_id="sentinel-probe")
        assert job is not None
        assert await direct.zscore("arq:queue", "sentinel-probe") is not None
    finally:
        await redis.aclose()
        await arq.aclose()
        await direct.aclose()
