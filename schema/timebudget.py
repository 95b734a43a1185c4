"""A time budget per query: past it the answer is a coded error, and the work is cancelled.

Mutations are exempt: cancelling one between its payment and its settlement would leave work
for the recovery paths; their own bounds (lock_timeout, bounded retries, gateway timeouts)
apply. Subscriptions stream and are exempt too (they go through `subscribe`, not `execute`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from strawberry.types import ExecutionResult

from boxoffice.settings import get_settings
from schema.documents import is_mutation
from schema.errors import coded

TIMEOUT = "TIMEOUT"


async def within_budget(run: Awaitable[ExecutionResult], query: str | None,
                        operation_name: str | None) -> ExecutionResult:
    budget = get_settings().query_time_budget_seconds
    if budget <= 0 or is_mutation(query, operation_name):
        return await run
    try:
        async with asyncio.timeout(budget):
            return await run
    except TimeoutError:
        return ExecutionResult(data=None, errors=[coded(
            f"The query took longer than its {budget:g} s budget; ask for less", TIMEOUT,
            budgetSeconds=budget)])
