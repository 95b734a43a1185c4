"""Payment jobs: the reconciler that settles payments a failure left PENDING."""

from __future__ import annotations

from boxoffice.services.reconcile import reconcile_pending
from workers.context import Ctx, deps_of


async def reconcile_payments(ctx: Ctx) -> int:
    """Cron, every 5 s: resolve PENDING payments older than an attempt can last."""
    results = await reconcile_pending(deps_of(ctx), ctx["gateway"])
    return sum(results.values())
