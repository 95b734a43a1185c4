"""The payment gateway interface the confirm service talks to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ChargeResult:
    ok: bool
    charge_id: str | None = None
    decline_code: str | None = None
    message: str = ""


@dataclass(frozen=True)
class RefundResult:
    ok: bool
    refund_id: str | None = None


class GatewayError(Exception):
    """The gateway could not be reached or answered 5xx: the charge's outcome is unknown."""


class PaymentGateway(Protocol):
    async def charge(self, *, amount: int, currency: str, token: str,
                     idempotency_key: str) -> ChargeResult:
        """Charge once per idempotency key: a repeated key returns the first result."""
        ...

    async def refund(self, *, charge_id: str, idempotency_key: str) -> RefundResult:
        ...

    async def find_charge(self, idempotency_key: str) -> ChargeResult | None:
        """The result of the charge made under this idempotency key, None if there was none
        (like listing Stripe's charges by idempotency key): resolves an unknown outcome."""
        ...

    def fingerprint(self, token: str) -> str:
        """A stable, non-secret identifier of the card behind a token (for rate limits)."""
        ...
