"""Helpers for the ticket and show-cancellation tests: book through the API, scan, cancel."""

from __future__ import annotations

from typing import Any

from tests.api.booking_ops import CONFIRM, RESERVE, operation

CHECK_IN = operation("CheckIn")
CANCEL_SHOW = operation("CancelShow")


async def reserve(api: Any, token: str, show_id: int, seats: list[str]) -> dict[str, Any]:
    data = await api(RESERVE, {"input": {"showId": str(show_id), "seats": seats}}, token=token)
    return data["reserve"]  # type: ignore[no-any-return]


async def book(api: Any, token: str, show_id: int, seats: list[str],
               key: str | None = None) -> dict[str, Any]:
    r = await reserve(api, token, show_id, seats)
    assert r["__typename"] == "Reservation", r
    data = await api(CONFIRM, {"input": {"reservationId": r["id"], "paymentToken": "tok_visa",
                                         "idempotencyKey": key or f"book-{r['id']}"}},
                     token=token)
    booking: dict[str, Any] = data["confirm"]
    assert booking["__typename"] == "Booking", booking
    return booking


async def check_in(api: Any, key: str, payload: str) -> dict[str, Any]:
    body = await api.raw(CHECK_IN, {"qrPayload": payload}, api_key=key)
    assert not body.get("errors"), body["errors"]
    return body["data"]["checkIn"]  # type: ignore[no-any-return]


async def cancel_show(api: Any, key: str, show_id: int, reason: str = "Projector failure"
                      ) -> dict[str, Any]:
    return await api.raw(CANCEL_SHOW, {"showId": str(show_id), "reason": reason},  # type: ignore[no-any-return]
                         api_key=key)


def error_code(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or []
    return errors[0].get("extensions", {}).get("code") if errors else None
