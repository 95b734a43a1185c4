"""A real Redis primary, a replica and three Sentinels for the Sentinel tests.

Debian's `redis-server` (the suite's Redis, so its binary missing is a broken setup) on free
loopback ports, the Sentinels as `redis-server <conf> --sentinel`, configs under a temp dir.
The Sentinels watch master `boxoffice` with quorum 2 and call the primary down after 1 s
without an answer (`down-after-milliseconds`; 30 s by default), so a failover takes seconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis as sync_redis

from tests.pgpair import free_port

MASTER = "boxoffice"
DOWN_AFTER_MS = 1000


def _wait(what: str, check: object, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(sync_redis.RedisError):
            if check():  # type: ignore[operator]
                return
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


@dataclass
class SentinelSet:
    base: Path
    servers: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)  # port -> process
    sentinels: list[int] = field(default_factory=list)  # their ports
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        """The application's settings for this set (db 0; REDIS_URL's host is not used)."""
        return {"REDIS_SENTINELS": ",".join(f"127.0.0.1:{p}" for p in self.sentinels),
                "REDIS_SENTINEL_MASTER": MASTER, "REDIS_URL": "redis://sentinel-managed/0"}

    def _start(self, args: list[str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def start_server(self, replica_of: int | None = None) -> int:
        port = free_port()
        args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.base), "--loglevel", "warning"]
        if replica_of is not None:
            args += ["--replicaof", "127.0.0.1", str(replica_of)]
        self.servers[port] = self._start(args)
        _wait(f"redis-server on {port}", lambda: sync_redis.Redis(port=port).ping())
        return port

    def start_sentinel(self, master: int, quorum: int) -> int:
        port = free_port()
        conf = self.base / f"sentinel-{port}.conf"  # Sentinel rewrites its config file
        conf.write_text(f"port {port}\nbind 127.0.0.1\ndir {self.base}\n"
                        f"sentinel monitor {MASTER} 127.0.0.1 {master} {quorum}\n"
                        f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}\n"
                        f"sentinel failover-timeout {MASTER} 10000\n")
        self._start(["redis-server", str(conf), "--sentinel", "--loglevel", "warning"])
        self.sentinels.append(port)
        return port

    def sentinel(self, port: int | None = None) -> sync_redis.Redis:
        return sync_redis.Redis(port=port or self.sentinels[0], decode_responses=True)

    def primary(self) -> int:
        """The primary's port, as the first Sentinel sees it."""
        _, port = self.sentinel().sentinel_get_master_addr_by_name(MASTER)
        return int(port)

    def kill(self, port: int) -> None:
        """SIGKILL a Redis server: no goodbye to its clients or its replicas."""
        proc = self.servers.pop(port)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def wait_failover(self, old: int, timeout: float = 30) -> int:
        """Until every Sentinel names a new primary, and that server says it is one."""
        def switched() -> bool:
            ports = {int(self.sentinel(s).sentinel_get_master_addr_by_name(MASTER)[1])
                     for s in self.sentinels}
            if len(ports) != 1 or old in ports:
                return False
            role: Any = sync_redis.Redis(port=ports.pop()).role()
            return bool(role[0] == b"master")
        _wait(f"a Sentinel failover away from {old}", switched, timeout)
        return self.primary()

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def sentinel_set(base: Path, sentinels: int = 3) -> Iterator[SentinelSet]:
    """A primary and one replica watched by `sentinels` Sentinels (quorum: a majority), ready
    to fail over: every Sentinel knows the replica and the other Sentinels."""
    s = SentinelSet(base)
    try:
        primary = s.start_server()
        replica = s.start_server(replica_of=primary)
        def in_sync() -> bool:
            info: Any = sync_redis.Redis(port=replica).info("replication")
            return bool(info["master_link_status"] == "up")
        _wait("the replica in sync", in_sync)
        for _ in range(sentinels):
            s.start_sentinel(primary, quorum=sentinels // 2 + 1)
        for port in s.sentinels:
            _wait(f"Sentinel {port} knows the replica and its peers", lambda p=port: (
                len(s.sentinel(p).sentinel_slaves(MASTER)) == 1
                and len(s.sentinel(p).sentinel_sentinels(MASTER)) == sentinels - 1), 30)
        yield s
    finally:
        s.stop()
