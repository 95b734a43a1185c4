"""The safety net for cancelled shows: refunds the gateway did not confirm are retried here.

cancelShow refunds every booking right away; when the gateway fails for some, the admin gets
TRY_AGAIN and may retry, but nobody has to: this cron finishes them. The per-booking gateway
idempotency key (services/show_cancel.py) makes a refund the admin's retry already made a
no-op here.
"""

from __future__ import annotations

import logging

from boxoffice.payments.sandbox import SandboxGateway
from boxoffice.services.show_cancel import refund_bookings
from models.booking import Booking, PaymentStatus
from models.catalog import ShowStatus
from workers.context import Ctx, deps_of

log = logging.getLogger("workers")


async def finish_show_refunds(ctx: Ctx) -> int:
    """Refund what is still paid for in cancelled shows; returns how many remain unrefunded."""
    b = Booking
    shows = await (b.select(b.show).distinct()
                   .where((b.show.status == ShowStatus.CANCELLED)
                          & (b.payment.status == PaymentStatus.SUCCEEDED)))
    if not shows:
        return 0
    gateway = SandboxGateway(deps_of(ctx).redis)  # the gateway the API uses (boxoffice/app.py)
    pending = 0
    for row in shows:
        pending += await refund_bookings(gateway, row["show"])
    log.info("cancelled shows: retried refunds in %d show(s), %d still pending",
             len(shows), pending)
    return pending
