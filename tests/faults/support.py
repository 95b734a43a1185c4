"""Private servers the fault tests may kill: a redis-server and a Postgres cluster of their own
(the shared servers on 6379/5432 are never touched), and `boxoffice` processes to run on them."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis as sync_redis

from devtools import localsvc
from tests.realtime.support import free_port

ROOT = Path(__file__).resolve().parents[2]


def _wait(check, what: str, within: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {within} s")
        time.sleep(0.05)


class PrivateRedis:
    """redis-server on its own port, without persistence: every start is empty."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        client = sync_redis.Redis(port=self.port, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except sync_redis.RedisError:
            return False
        finally:
            client.close()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(self.answers, f"redis-server on {self.port}")

    def kill(self) -> None:
        """SIGKILL: Redis goes away with everything in it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    r = PrivateRedis()
    r.start()
    try:
        yield r
    finally:
        r.stop()


class PrivateCluster:
    """A Postgres cluster of our own under /var/tmp/bo-faults-*, run as the postgres OS user
    (initdb refuses root), on a random port; `stop()`/`start()`/`restart()` are real."""

    def __init__(self) -> None:
        bindir = localsvc._pg_bindir()
        if bindir is None:
            raise RuntimeError("no Postgres binaries (apt-get install postgresql)")
        self.bindir = bindir
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="bo-faults-", dir="/var/tmp"))
        self.data = self.base / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            pw = pwd.getpwnam(localsvc.PG_OS_USER)
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
        localsvc._initdb(self.bindir, self.data, self.as_postgres)

    def url(self, dbname: str = "boxoffice") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def _ctl(self, *args: str) -> None:
        localsvc._sh([str(self.bindir / "pg_ctl"), "-D", str(self.data), *args],
                     as_postgres=self.as_postgres, cwd=self.base)

    def start(self) -> None:
        self._ctl("-l", str(self.base / "server.log"), "-o", f"-p {self.port}", "-w", "start")
        _wait(lambda: localsvc.postgres_answers(self.port), f"Postgres on {self.port}")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self._ctl("-m", "fast", "-w", "restart")

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    cluster = PrivateCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


def boxoffice_cli(*args: str, env: dict[str, str]) -> str:
    """Run `boxoffice ARGS` to completion with this environment; its stdout."""
    out = subprocess.run([sys.executable, "-m", "boxoffice.cli", *args], env={**os.environ, **env},
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"boxoffice {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return out.stdout


class Process:
    """A `boxoffice` command running in the background, its output in a file."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.log = Path(tempfile.mkstemp(prefix="bo-faults-", suffix=".log")[1])
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "boxoffice.cli", *args],
                                         env={**os.environ, **env}, cwd=ROOT, stdout=out,
                                         stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.unlink(missing_ok=True)


@contextlib.contextmanager
def boxoffice_process(*args: str, env: dict[str, str]) -> Iterator[Process]:
    p = Process(list(args), env)
    try:
        yield p
    finally:
        p.stop()
