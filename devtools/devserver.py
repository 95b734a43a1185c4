"""`boxoffice dev`: everything for a first run on one machine.

Local Postgres and Redis when `DATABASE_URL`/`REDIS_URL` are unset, migrate, seed the demo
catalog, print an API key and a demo user's token, then run `serve` and `worker` side by side
until Ctrl-C (or SIGTERM), or until either of them dies.

Settings (and the engine built from them) are read on first use and then cached: the URLs are
put in `os.environ` and the settings cache reset before anything connects.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from types import FrameType

DEMO_EMAIL = "demo@example.com"
STOP_GRACE_SECONDS = 10.0


def _export_service_urls() -> None:
    from devtools.localsvc import ensure_postgres, ensure_redis

    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = ensure_postgres("boxoffice")
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = ensure_redis(0)

    from boxoffice.settings import reset_settings_cache

    reset_settings_cache()


async def _prepare() -> tuple[str, str]:
    """Migrate, seed, and mint credentials; one event loop for all of it (one Piccolo pool)."""
    from boxoffice.auth import create_api_key, get_or_create_user, issue_token
    from boxoffice.db import with_pool
    from boxoffice.migrate import migrate
    from devtools.seed import seed_demo

    await migrate()

    async def seed_and_mint() -> tuple[str, str]:
        await seed_demo()
        key = await create_api_key("dev")
        token = issue_token(await get_or_create_user(DEMO_EMAIL))
        return key, token

    result: tuple[str, str] = await with_pool(seed_and_mint)
    return result


def _print_banner(host: str, port: int, api_key: str, token: str) -> None:
    shown_host = "localhost" if host in ("0.0.0.0", "127.0.0.1", "::") else host
    url = f"http://{shown_host}:{port}/graphql"
    headers = f'{{"X-API-Key": "{api_key}", "Authorization": "Bearer {token}"}}'
    print(
        f"""
boxoffice dev
  database   {os.environ["DATABASE_URL"]}
  redis      {os.environ["REDIS_URL"]}
  GraphiQL   {url}
  web app    http://{shown_host}:{port}/#apiKey={api_key}&token={token}
  API key    {api_key}
  demo user  {DEMO_EMAIL}
  token      {token}

Paste into GraphiQL's Headers tab:
  {headers}
or:
  curl -s {url} -H 'Content-Type: application/json' -H 'X-API-Key: {api_key}' \\
       -d '{{"query": "{{ cities {{ name }} }}"}}'
More tokens: boxoffice token EMAIL...   Stop: Ctrl-C (Postgres and Redis keep running;
`python -m devtools.localsvc stop` ends the project-local ones).
""",
        flush=True,
    )


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if `dev` itself is killed (Linux), so a
    `kill -9` of the parent cannot leave an orphaned server holding the port."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "boxoffice.cli", *args],
        env=dict(os.environ),
        # own process group: a terminal's Ctrl-C reaches only us, and we forward it once;
        # a second SIGINT would make uvicorn skip its graceful shutdown
        process_group=0,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )


def supervise(children: dict[str, subprocess.Popen[bytes]]) -> int:
    """Wait until a signal arrives or a child exits, then stop the rest. Returns the exit
    code: 0 after a requested stop, else the dead child's (1 if it exited 0 unasked)."""
    requested: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        requested.append(signum)
        _signal_all(children, signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    died: tuple[str, int] | None = None
    try:
        while not requested and died is None:
            died = next(((n, c) for n, p in children.items() if (c := p.poll()) is not None),
                        None)
            time.sleep(0.2)
        if died is not None and not requested:
            print(f"boxoffice dev: {died[0]} exited with code {died[1]}; stopping the rest",
                  file=sys.stderr, flush=True)
            _signal_all(children, signal.SIGTERM)
        _reap(children)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if requested or died is None:
        return 0
    return died[1] if died[1] > 0 else 1


def _signal_all(children: dict[str, subprocess.Popen[bytes]], signum: int) -> None:
    for proc in children.values():
        if proc.poll() is None:
            proc.send_signal(signum)


def _reap(children: dict[str, subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for proc in children.values():
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_dev(host: str, port: int) -> None:
    os.environ["BOXOFFICE_ENV"] = "dev"  # the built-in SECRET_KEY is fine on one machine
    _export_service_urls()
    api_key, token = asyncio.run(_prepare())
    _print_banner(host, port, api_key, token)
    # GraphiQL pre-fills these headers, only under BOXOFFICE_ENV=dev (settings.py)
    os.environ.setdefault("BOXOFFICE_ENV", "dev")
    os.environ.update(GRAPHIQL_API_KEY=api_key, GRAPHIQL_TOKEN=token)
    children = {
        "serve": _spawn("serve", "--host", host, "--port", str(port)),
        "worker": _spawn("worker"),
    }
    raise SystemExit(supervise(children))
