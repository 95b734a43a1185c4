"""A sandbox gateway with Stripe's test-token semantics, idempotent across processes (Redis).

Tokens: `tok_visa`, `tok_mastercard` succeed; `tok_chargeDeclined` (generic_decline),
`tok_chargeDeclinedInsufficientFunds` (insufficient_funds), `tok_chargeDeclinedExpiredCard`
(expired_card), `tok_chargeDeclinedFraudulent` (fraudulent) are declined; `tok_visa_slow`
succeeds after a delay (to exercise a payment in flight); anything else is declined as
`invalid_token`.

Faults, to exercise unknown outcomes: `tok_visa_lostResponse` is charged but the answer is lost
(GatewayError after the charge is recorded), `tok_gatewayError` answers 5xx without charging,
`tok_gatewayTimeout` never answers (the caller's timeout ends it; nothing is charged).
`find_charge` looks a charge up by its idempotency key.

Injected faults for drills (`SANDBOX_LATENCY_SECONDS`, `SANDBOX_FAILURE_RATE`, read by
`from_settings`): every charge answers after a uniform delay in the range (the charge is made
first, so a caller that times out meanwhile leaves a real charge behind, as a slow gateway does),
and a fraction of charges fail: half with a 503 before charging, half charged with the answer lost.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import secrets

from redis.asyncio import Redis

from boxoffice.payments.gateway import ChargeResult, GatewayError, RefundResult
from boxoffice.settings import Settings

_DECLINES = {
    "tok_chargeDeclined": ("generic_decline", "Your card was declined."),
    "tok_chargeDeclinedInsufficientFunds": ("insufficient_funds", "Insufficient funds."),
    "tok_chargeDeclinedExpiredCard": ("expired_card", "Your card has expired."),
    "tok_chargeDeclinedFraudulent": ("fraudulent", "Your card was declined."),
}
_OK = {"tok_visa", "tok_mastercard", "tok_visa_slow", "tok_visa_lostResponse"}


class SandboxGateway:
    def __init__(self, redis: Redis, slow_seconds: float = 1.5,
                 latency: tuple[float, float] = (0.0, 0.0), failure_rate: float = 0.0) -> None:
        self._redis = redis
        self._slow = slow_seconds
        self._latency = latency
        self._failure_rate = failure_rate

    @classmethod
    def from_settings(cls, redis: Redis, settings: Settings) -> SandboxGateway:
        return cls(redis, latency=settings.sandbox_latency_seconds,
                   failure_rate=settings.sandbox_failure_rate)

    def fingerprint(self, token: str) -> str:
        return hashlib.sha256(f"card:{token}".encode()).hexdigest()[:16]

    async def charge(self, *, amount: int, currency: str, token: str,
                     idempotency_key: str) -> ChargeResult:
        key = f"sandbox:charge:{idempotency_key}"
        stored = await self._redis.get(key)
        if stored:
            return ChargeResult(**json.loads(stored))
        if token == "tok_gatewayError":
            raise GatewayError("sandbox: 502 Bad Gateway")
        if token == "tok_gatewayTimeout":
            await asyncio.sleep(3600)
        if token == "tok_visa_slow":
            await asyncio.sleep(self._slow)
        injected = self._failure_rate > 0 and random.random() < self._failure_rate
        if injected and random.random() < 0.5:
            raise GatewayError("sandbox: injected 503 Service Unavailable")
        if token in _OK and amount >= 0:
            result = ChargeResult(ok=True, charge_id="ch_" + secrets.token_hex(12))
        else:
            code, message = _DECLINES.get(token, ("invalid_token", "Unknown payment token."))
            result = ChargeResult(ok=False, decline_code=code, message=message)
        # first writer wins: a concurrent duplicate gets the same answer
        await self._redis.set(key, json.dumps(result.__dict__), nx=True, ex=7 * 24 * 3600)
        if self._latency[1] > 0:
            await asyncio.sleep(random.uniform(*self._latency))
        if token == "tok_visa_lostResponse" or injected:
            raise GatewayError("sandbox: connection reset after the charge was made")
        return ChargeResult(**json.loads(await self._redis.get(key) or "{}"))

    async def find_charge(self, idempotency_key: str) -> ChargeResult | None:
        stored = await self._redis.get(f"sandbox:charge:{idempotency_key}")
        return ChargeResult(**json.loads(stored)) if stored else None

    async def refund(self, *, charge_id: str, idempotency_key: str) -> RefundResult:
        """Refund a whole charge once per idempotency key (a repeated key returns the first
        refund); `refunds_of(charge_id)` counts real refunds, so tests can prove "exactly once"."""
        key = f"sandbox:refund:{idempotency_key}"
        refund_id = "re_" + hashlib.sha256(key.encode()).hexdigest()[:12]
        if await self._redis.set(key, charge_id, nx=True, ex=7 * 24 * 3600):
            await self._redis.sadd("sandbox:refunded", charge_id)  # type: ignore[misc]
            await self._redis.hincrby("sandbox:refund_count", charge_id, 1)  # type: ignore[misc]
        return RefundResult(ok=True, refund_id=refund_id)

    async def refunds_of(self, charge_id: str) -> int:
        raw = await self._redis.hget("sandbox:refund_count", charge_id)  # type: ignore[misc]
        return int(raw or 0)
