"""GraphQL documents the booking tests send: the front-end contract's own operations, so the
tests exercise exactly what web and mobile clients send."""

import asyncio
from pathlib import Path
from typing import Any

_OPERATIONS = Path(__file__).resolve().parents[2] / "frontend_contract" / "operations"


def operation(name: str) -> str:
    return (_OPERATIONS / f"{name}.graphql").read_text()


RESERVE = operation("Reserve")
CONFIRM = operation("Confirm")
RESERVATION = operation("Reservation")

CANCEL = """
mutation Cancel($id: ID!) {
  cancelReservation(reservationId: $id) {
    __typename
    ... on Reservation { id status seats }
    ... on NotFound { message }
  }
}"""


async def confirm_like_a_client(api: Any, token: str, rid: str, payment: str,
                                key: str) -> dict[str, Any]:
    """A careful client: on TRY_AGAIN (contention, an attempt in flight) it retries with
    the same key."""
    for _ in range(50):
        body = await api.raw(CONFIRM, {"input": {"reservationId": rid, "paymentToken": payment,
                                                 "idempotencyKey": key}}, token=token)
        codes = [e["extensions"]["code"] for e in body.get("errors") or []]
        if codes != ["TRY_AGAIN"]:
            assert not codes, body
            return body["data"]["confirm"]
        await asyncio.sleep(0.2)
    raise AssertionError("still TRY_AGAIN after 50 attempts")
