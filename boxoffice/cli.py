"""The `boxoffice` console script."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from devtools.devserver import run_dev


def _run(coro_fn: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    return asyncio.run(coro_fn())


async def _with_pool(fn: Callable[[], Awaitable[Any]]) -> Any:
    from boxoffice import db

    return await db.with_pool(fn)


def cmd_migrate(args: argparse.Namespace) -> None:
    from boxoffice.migrate import migrate

    _run(migrate)


def cmd_seed_demo(args: argparse.Namespace) -> None:
    from devtools.seed import seed_demo, seed_scale

    async def go() -> None:
        await seed_demo()
        if args.scale:
            await seed_scale(args.scale)

    _run(lambda: _with_pool(go))


def _require_secret() -> None:
    """Outside BOXOFFICE_ENV=dev a real SECRET_KEY is required (boxoffice/secretkeys.py)."""
    from boxoffice.secretkeys import secret_problem
    from boxoffice.settings import get_settings

    problem = secret_problem(get_settings())
    if problem:
        print(f"boxoffice: {problem}", file=sys.stderr)
        raise SystemExit(2)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from boxoffice import logs
    from boxoffice.multiproc import for_serve
    from boxoffice.settings import get_settings

    _require_secret()
    for_serve(args.workers)  # one metrics folder for every worker process (boxoffice/metrics.py)
    uvicorn.run(
        "boxoffice.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
        log_config=logs.config(),  # applied again in each --workers process
        ws_ping_interval=20,
        ws_max_size=1 << 20,  # a websocket message is capped like an HTTP body (1 MiB)
        ws_per_message_deflate=get_settings().ws_deflate,  # WS_DEFLATE, off by default
    )


def cmd_worker(args: argparse.Namespace) -> None:
    from boxoffice.settings import get_settings
    from boxoffice.tracing import instrument_worker
    from workers.settings import WorkerSettings
    from workers.supervisor import run_supervised

    _require_secret()
    instrument_worker()  # OTEL_ENABLED=on: the worker's asyncpg and Redis spans
    # restarts the arq worker when Redis or Postgres drops; the settings, read here once,
    # are what its pool, Redis and jobs use
    run_supervised(WorkerSettings, get_settings())


def cmd_apikey_create(args: argparse.Namespace) -> None:
    from boxoffice.auth import create_api_key

    key = _run(lambda: _with_pool(lambda: create_api_key(args.name, args.role)))
    print(key)


def cmd_apikey_revoke(args: argparse.Namespace) -> None:
    from boxoffice.auth import revoke_api_keys

    revoked = _run(lambda: _with_pool(lambda: revoke_api_keys(args.name)))
    if not revoked:
        print(f"no live API key named {args.name!r}", file=sys.stderr)
        raise SystemExit(1)
    print(f"revoked {revoked} key(s) named {args.name!r}", file=sys.stderr)


def cmd_token(args: argparse.Namespace) -> None:
    from boxoffice.auth import get_or_create_user, issue_token

    async def go() -> list[str]:
        return [issue_token(await get_or_create_user(e)) for e in args.emails]

    for token in _run(lambda: _with_pool(go)):
        print(token)


def cmd_import(args: argparse.Namespace) -> None:
    from boxoffice.catalog_import.cli import run_import

    raise SystemExit(run_import(args.file))


def cmd_cluster(args: argparse.Namespace) -> None:
    from boxoffice.cluster import run_from_args

    raise SystemExit(run_from_args(args))


def cmd_dev(args: argparse.Namespace) -> None:
    run_dev(host=args.host, port=args.port)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="boxoffice", description="Movie-ticket booking backend")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="apply all migrations to DATABASE_URL").set_defaults(
        fn=cmd_migrate
    )
    seed = sub.add_parser("seed-demo", help="load the deterministic demo catalog")
    seed.add_argument("--scale", type=int, default=0, help="add a generated catalog of N cinemas")
    seed.set_defaults(fn=cmd_seed_demo)

    serve = sub.add_parser("serve", help="run the ASGI app with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(fn=cmd_serve)

    sub.add_parser("worker", help="run the arq worker").set_defaults(fn=cmd_worker)

    apikey = sub.add_parser("apikey", help="manage client API keys")
    apikey_sub = apikey.add_subparsers(dest="apikey_command", required=True)
    create = apikey_sub.add_parser("create", help="print a new API key")
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=["client", "door", "admin"], default="client",
                        help="client: apps; door: checkIn; admin: admin mutations")
    create.set_defaults(fn=cmd_apikey_create)
    revoke = apikey_sub.add_parser("revoke", help="revoke every key with this name (within 5 s)")
    revoke.add_argument("name")
    revoke.set_defaults(fn=cmd_apikey_revoke)

    token = sub.add_parser("token", help="print a bearer token for each email")
    token.add_argument("emails", nargs="+")
    token.set_defaults(fn=cmd_token)

    imp = sub.add_parser("import", help="load or update a catalog file (CONTRACT.md format)")
    imp.add_argument("file", help="the catalog, JSON")
    imp.set_defaults(fn=cmd_import)

    from boxoffice.cluster import add_arguments as cluster_arguments

    cluster = sub.add_parser("cluster", help="nginx + N serve + M worker processes (honcho)")
    cluster_arguments(cluster)
    cluster.set_defaults(fn=cmd_cluster)

    dev = sub.add_parser("dev", help="local Postgres+Redis if needed, migrate, seed, serve+worker")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.set_defaults(fn=cmd_dev)

    from boxoffice.cli_ticketkeys import register as register_ticket_key

    register_ticket_key(sub)
    return p


def main(argv: list[str] | None = None) -> None:
    from boxoffice.logs import configure

    configure()  # LOG_LEVEL, LOG_FORMAT: serve, worker and dev alike (boxoffice/logs.py)
    args = build_parser().parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main()
