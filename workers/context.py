"""The worker's ctx: what `on_startup` opens and every job reads, and `on_shutdown` closes.

ctx["deps"]      Deps(settings, redis, arq) for the service layer (Redis is arq's own pool)
ctx["channels"]  notification channels by name
ctx["gateway"]   the payment gateway (the reconciler looks charges up)
ctx["settings"]  the Settings the worker runs with, set by whoever creates it (the supervisor
                 passes the process's, tests shorten hold times); else the process's
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from boxoffice import db, metrics
from boxoffice.notify import build_channels
from boxoffice.payments.sandbox import SandboxGateway
from boxoffice.services.deps import Deps
from boxoffice.services.expiry import expire_overdue
from boxoffice.settings import Settings, get_settings
from workers.recovery import reschedule_live_holds

log = logging.getLogger("workers")

Ctx = dict[str, Any]


def deps_of(ctx: Ctx) -> Deps:
    deps: Deps = ctx["deps"]
    return deps


async def startup(ctx: Ctx) -> None:
    settings: Settings = ctx.get("settings") or get_settings()
    # tests and `boxoffice dev` may share a pool already started in this process
    ctx["owns_pool"] = db.engine().pool is None
    if ctx["owns_pool"]:
        await db.start_pool(settings)
    await db.pool().fetchval("SELECT 1")  # fail fast: a worker without its database is no use
    ctx["deps"] = Deps(settings=settings, redis=ctx["redis"], arq=ctx["redis"])
    ctx["channels"] = build_channels(settings)
    ctx["gateway"] = SandboxGateway(ctx["redis"])  # the reconciler's lookups
    ctx["sweep_lock"] = asyncio.Lock()
    # holds that lapsed while no worker ran: free them before anything else
    async with ctx["sweep_lock"]:
        expired = await expire_overdue(ctx["deps"])
    # a Redis that came back empty lost the expiry jobs of live holds: rebuild them
    live = await reschedule_live_holds(ctx["redis"])
    log.info("worker started; %s hold(s) that lapsed while no worker ran were expired, "
             "%s live hold timer(s) rebuilt", expired, live)


async def shutdown(ctx: Ctx) -> None:
    metrics.process_exit()
    if ctx.get("owns_pool"):
        await db.close_pool()
