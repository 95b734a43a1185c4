"""Rendering an outbox row (kind + payload) into a message, one function per kind.

Payloads are written by the services (reserve, offers, confirm) and carry everything the message
needs, so rendering never reads booking tables and a late delivery says what was true then.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from boxoffice.notify.channels import Attachment, Message, PermanentDeliveryError

# ISO 4217 currencies without minor units, among those we may sell in
_ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK"}


def money(amount: int, currency: str) -> str:
    if currency in _ZERO_DECIMAL:
        return f"{currency} {amount}"
    return f"{currency} {amount / 100:,.2f}"


def _when(raw: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(raw))
    except ValueError:
        return None


def _minutes_left(payload: dict[str, Any], created_at: datetime | None) -> int | None:
    expires = _when(payload.get("expiresAt"))
    if expires is None or created_at is None:
        return None
    return max(1, math.ceil((expires - created_at).total_seconds() / 60))


def _seats(payload: dict[str, Any]) -> str:
    return ", ".join(payload.get("seats") or []) or "your seats"


def _deadline(payload: dict[str, Any], created_at: datetime | None) -> str:
    expires = _when(payload.get("expiresAt"))
    minutes = _minutes_left(payload, created_at)
    at = f" (by {expires.astimezone(UTC):%H:%M} UTC)" if expires and expires.tzinfo else ""
    return (f"within {minutes} minute{'s' if minutes != 1 else ''}{at}" if minutes
            else f"before the hold expires{at}")


def _hold_created(p: dict[str, Any], created_at: datetime | None) -> Message:
    seats, deadline = _seats(p), _deadline(p, created_at)
    body = (f"We are holding seats {seats} for you.\n\n"
            f"Amount: {money(p.get('amount', 0), p.get('currency', ''))}\n"
            f"Pay {deadline} to book them; after that they are released.\n\n"
            f"Reservation {p.get('reservationId')}\n")
    return Message("HOLD_CREATED", f"Seats {seats} held: pay {deadline}", body,
                   f"Seats {seats} held for you: pay {deadline}.")


def _offer_made(p: dict[str, Any], created_at: datetime | None) -> Message:
    seats, deadline = _seats(p), _deadline(p, created_at)
    body = (f"Good news: seats came back and it is your turn in the queue.\n\n"
            f"Your seats are waiting: {seats}\n"
            f"Amount: {money(p.get('amount', 0), p.get('currency', ''))}\n"
            f"Confirm {deadline}; after that the offer passes to the next person waiting.\n\n"
            f"Reservation {p.get('reservationId')}\n")
    return Message("OFFER_MADE", f"Your seats are waiting: {seats}", body,
                   f"Your seats are waiting: {seats}. Confirm {deadline}.")


def _booking_confirmed(p: dict[str, Any], created_at: datetime | None) -> Message:
    from boxoffice.services.tickets import qr_svg

    seats = _seats(p)
    tickets = p.get("tickets") or []
    lines = [f"  {t['seat']}: {t['qrPayload']}" for t in tickets]
    body = (f"Your booking {p.get('bookingId')} is confirmed: seats {seats}.\n"
            f"Paid: {money(p.get('amount', 0), p.get('currency', ''))}\n\n"
            "Show these codes at the door (one per seat; the QR images are attached):\n"
            + "\n".join(lines) + "\n")
    attachments = tuple(
        Attachment(f"ticket-{t['seat']}.svg", "image/svg+xml", qr_svg(t["qrPayload"]).encode())
        for t in tickets
    )
    return Message("BOOKING_CONFIRMED", f"Booking confirmed: seats {seats}", body,
                   f"Booking {p.get('bookingId')} confirmed: seats {seats}.", attachments)


def _show_cancelled(p: dict[str, Any], created_at: datetime | None) -> Message:
    title = p.get("title") or "your show"
    starts = _when(p.get("startsAt"))
    when = f" on {starts.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if starts and starts.tzinfo else ""
    if p.get("bookingId") is not None:
        what = (f"Your booking {p.get('bookingId')} (seats {_seats(p)}) is refunded in full: "
                f"{money(p.get('amount', 0), p.get('currency', ''))}. Its tickets are void.")
    elif p.get("reservationId") is not None:
        what = f"Your hold on seats {_seats(p)} has been released; nothing was charged."
    else:
        what = "You have been removed from its waiting queue."
    body = (f"We are sorry: {title}{when} has been cancelled.\n\n"
            f"Reason: {p.get('reason', '')}\n\n{what}\n")
    return Message("SHOW_CANCELLED", f"Cancelled: {title}{when}", body,
                   f"{title}{when} is cancelled. {what}")


_RENDERERS: dict[str, Callable[[dict[str, Any], datetime | None], Message]] = {
    "HOLD_CREATED": _hold_created,
    "OFFER_MADE": _offer_made,
    "BOOKING_CONFIRMED": _booking_confirmed,
    "SHOW_CANCELLED": _show_cancelled,
}


def render(kind: str, payload: dict[str, Any], created_at: datetime | None = None) -> Message:
    renderer = _RENDERERS.get(kind)
    if renderer is None:
        raise PermanentDeliveryError(f"no message for notification kind {kind!r}")
    return renderer(payload, created_at)
