"""A real Postgres primary and streaming standby for the replica and failover tests.

Debian's binaries (/usr/lib/postgresql/15/bin): `initdb` for the primary, `pg_basebackup` for the
standby, both on free loopback ports, data under /var/tmp/bo-import-*. Postgres refuses to run as
root, so as root every command runs as the `postgres` OS user (`runuser`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

BIN = Path(os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str], timeout: float = 60) -> None:
    proc = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, timeout=timeout,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")


def kill_postmaster(pid: int) -> None:
    """SIGKILL a postmaster and every backend it forked: nothing gets to flush or say bye."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True,
                              check=False).stdout.split()
    for p in [pid, *map(int, children)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)


@dataclass
class PgNode:
    name: str
    data: Path
    port: int

    @property
    def log(self) -> Path:
        return self.data.parent / f"{self.name}.log"

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        _run([str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
              "-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1", "start"])

    def stop(self, mode: str = "fast") -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            _run([str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def promote(self) -> None:
        _run([str(BIN / "pg_ctl"), "-D", str(self.data), "-w", "promote"])

    def pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def psql(self, *commands: str, db: str = "postgres") -> str:
        """Run SQL commands with psql (synchronously: usable from a test's crash callback)."""
        out = subprocess.run(_as_postgres([
            str(BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d",
            db, "-Atq", "-v", "ON_ERROR_STOP=1", *(a for c in commands for a in ("-c", c))]),
            capture_output=True, text=True, timeout=30, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"psql failed: {out.stderr[-2000:]}")
        return out.stdout.strip()

    async def fetchval(self, sql: str, db: str = "postgres") -> object:
        conn = await asyncpg.connect(self.url(db), timeout=5)
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()


@dataclass
class PgPair:
    base: Path
    primary: PgNode
    standby: PgNode

    async def wait_caught_up(self) -> None:
        """Until the standby has replayed everything the primary has written so far (30 s)."""
        target = await self.primary.fetchval("SELECT pg_current_wal_lsn()::text")
        async with asyncio.timeout(30):
            for _ in range(1_000_000):
                if await self.standby.fetchval(
                        f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
                    return
                await asyncio.sleep(0.05)


def _write_conf(node: PgNode, lines: list[str]) -> None:
    conf = node.data / "postgresql.auto.conf"
    text = conf.read_text() if conf.exists() else ""
    conf.write_text(text + "".join(f"{line}\n" for line in lines))
    if os.geteuid() == 0:
        shutil.chown(conf, "postgres", "postgres")


@contextlib.contextmanager
def pg_pair(tag: str, *, synchronous: bool = False) -> Iterator[PgPair]:
    """A primary and a streaming standby (`application_name=standby`); with `synchronous`, the
    primary waits for the standby on every commit (`synchronous_standby_names`)."""
    base = Path(tempfile.mkdtemp(prefix=f"bo-import-{tag}-", dir="/var/tmp"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    primary = PgNode("primary", base / "primary", free_port())
    standby = PgNode("standby", base / "standby", free_port())
    try:
        _run([str(BIN / "initdb"), "-D", str(primary.data), "-U", "postgres", "--auth=trust",
              "-E", "UTF8", "--no-sync"], timeout=120)
        _write_conf(primary, ["wal_level = replica", "max_wal_senders = 5",
                              "wal_keep_size = '256MB'", "fsync = on",
                              "shared_buffers = '32MB'", "max_connections = 60"])
        primary.start()
        _run([str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
              "-U", "postgres", "-D", str(standby.data), "-X", "stream", "-R", "--no-sync"],
             timeout=120)
        _write_conf(standby, [
            f"primary_conninfo = 'host=127.0.0.1 port={primary.port} user=postgres "
            "application_name=standby'",
        ])
        standby.start()
        pair = PgPair(base, primary, standby)
        _wait_streaming(primary)
        if synchronous:  # only once the standby streams, or the primary's writes would wait
            _run([str(BIN / "psql"), "-h", "127.0.0.1", "-p", str(primary.port), "-U",
                  "postgres", "-c", "ALTER SYSTEM SET synchronous_standby_names = 'standby'",
                  "-c", "SELECT pg_reload_conf()"])
        yield pair
    finally:
        standby.stop("immediate")
        primary.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)


def _wait_streaming(primary: PgNode, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(_as_postgres([
            str(BIN / "psql"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-Atc", "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"]),
            capture_output=True, text=True, check=False)
        if out.stdout.strip() == "1":
            return
        time.sleep(0.1)
    raise TimeoutError("standby is not streaming")
