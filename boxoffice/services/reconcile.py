"""The payment reconciler: no payment stays PENDING.

A payment is PENDING between its claim and its settlement. A process that dies in between (or
loses Postgres or the gateway at the wrong moment) leaves it so, and its hold in flight until the
grace ends. The worker runs `reconcile_pending` every few seconds: each PENDING payment older
than an attempt can last (settlement.takeover_after_seconds) is taken over — one taker, by a
compare-and-set on `updated_at` — and resolved by asking the gateway under its idempotency key:
charged → booked if the hold is still HELD, else refunded; declined → DECLINED; no charge → the
claim is abandoned (nothing was charged, the hold lapses on its own time).
"""

from __future__ import annotations

import logging
from collections import Counter

from boxoffice import db
from boxoffice.auth import User
from boxoffice.payments.gateway import PaymentGateway
from boxoffice.services.deps import Deps
from boxoffice.services.outcomes import BookingView, PaymentDeclinedOutcome
from boxoffice.services.settlement import (
    Claim,
    NotCharged,
    PaymentInterrupted,
    gateway_key,
    release_for_takeover,
    resolve_unknown,
    takeover_after_seconds,
)
from models.booking import PaymentStatus

log = logging.getLogger(__name__)

_STALE = f"""SELECT p.id, p.reservation, p.amount, p.currency, p.idempotency_key, p."user",
                  u.email
           FROM payment p JOIN app_user u ON u.id = p."user"
           WHERE p.status = '{PaymentStatus.PENDING}'
             AND p.updated_at < now() - make_interval(secs => $1)
           ORDER BY p.updated_at LIMIT $2"""

_TAKE = f"""UPDATE payment SET updated_at = now()
           WHERE id = $1 AND status = '{PaymentStatus.PENDING}'
             AND updated_at < now() - make_interval(secs => $2)
           RETURNING id"""


async def reconcile_pending(deps: Deps, gateway: PaymentGateway, limit: int = 200) -> Counter[str]:
    """Resolve stale PENDING payments; counts by result (booked, declined, refunded,
    not_charged, retry_later)."""
    after = takeover_after_seconds(deps.settings)
    results: Counter[str] = Counter()
    for p in await db.pool().fetch(_STALE, after, limit):
        if not await db.pool().fetchval(_TAKE, p["id"], after):
            continue  # a retry with the same key took it over first
        claim = Claim(p["id"], p["reservation"], p["amount"], p["currency"],
                      gateway_key(p["user"], p["idempotency_key"]))
        try:
            outcome = await resolve_unknown(deps, gateway, claim, User(p["user"], p["email"]))
        except NotCharged:
            results["not_charged"] += 1
            continue
        except PaymentInterrupted:
            results["retry_later"] += 1
            continue
        except Exception:
            log.exception("payment %s could not be reconciled; retrying later", p["id"])
            await release_for_takeover(p["id"])
            results["retry_later"] += 1
            continue
        match outcome:
            case BookingView():
                results["booked"] += 1
            case PaymentDeclinedOutcome():
                results["declined"] += 1
            case _:
                results["refunded"] += 1
    if results:
        log.info("payments reconciled: %s", dict(results))
    return results
