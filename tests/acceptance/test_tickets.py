"""Tickets: compact JWS, EdDSA, verifiable with `GET /tickets/keys` only; checkIn (door keys
only); cancelShow (admin keys only): counts, refunds, then reserve refused, checkIn invalid."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.acceptance import ops
from tests.acceptance.conftest import World
from tests.acceptance.support import Api, codes
from tests.acceptance.test_booking import confirm, reserve


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def ticket_keys(api: Api) -> dict[str, Any]:
    async with httpx2.AsyncClient(timeout=10) as client:
        resp = await client.get(f"{api.server.base}/tickets/keys")  # no API key: public
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def verify(qr: str, keys: dict[str, Any]) -> dict[str, Any]:
    """Verify a compact JWS with the published keys only; returns the payload."""
    header_b64, payload_b64, signature_b64 = qr.split(".")
    header = json.loads(b64url_decode(header_b64))
    assert header["alg"] == "EdDSA"
    jwk = next(k for k in keys["keys"] if k["kid"] == header["kid"])
    public = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    public.verify(b64url_decode(signature_b64), f"{header_b64}.{payload_b64}".encode())
    return json.loads(b64url_decode(payload_b64))  # type: ignore[no-any-return]


async def booked(world: World, seats: list[str], show_id: str | None = None
                 ) -> tuple[str, str, dict[str, Any]]:
    (fan,) = world.users(1)
    show_id = show_id or world.show()
    r = await reserve(world.main, fan, show_id, seats)
    booking = await confirm(world.main, fan, r["id"], f"acc-ticket-{r['id']}")
    assert booking["__typename"] == "Booking", booking
    return fan, show_id, booking


async def check_in(api: Api, key: str, qr: str) -> dict[str, Any]:
    body = await api.raw(ops.CHECK_IN, {"qr": qr}, key=key)
    assert not body.get("errors"), body
    return body["data"]["checkIn"]  # type: ignore[no-any-return]


async def test_keys_are_public_ed25519_jwks(api: Api) -> None:
    keys = await ticket_keys(api)
    assert keys["keys"]
    for k in keys["keys"]:
        assert k["kid"] and k["alg"] == "EdDSA" and k["crv"] == "Ed25519"
        assert len(b64url_decode(k["x"])) == 32


async def test_tickets_verify_offline_with_the_published_keys(world: World) -> None:
    _, show_id, booking = await booked(world, ["A-1", "A-2"])
    keys = await ticket_keys(world.main)
    for t in booking["tickets"]:
        claims = verify(t["qrPayload"], keys)
        assert str(claims["bookingId"]) == booking["id"]
        assert str(claims["showId"]) == show_id
        assert claims["seat"] == t["seat"]
        assert t["qrSvg"].lstrip().startswith(("<svg", "<?xml"))


async def test_altered_tickets_do_not_verify(world: World) -> None:
    _, _, booking = await booked(world, ["A-3"])
    keys = await ticket_keys(world.main)
    header, payload, signature = booking["tickets"][0]["qrPayload"].split(".")
    claims = json.loads(b64url_decode(payload))
    claims["seat"] = "A-1"
    forged = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"
    try:
        verify(forged, keys)
    except InvalidSignature:
        pass
    else:
        raise AssertionError("an altered payload verified")


async def test_check_in_once_then_already_checked_in(world: World) -> None:
    _, show_id, booking = await booked(world, ["B-1", "B-2"])
    first, second = booking["tickets"]
    got = await check_in(world.main, world.door_key, first["qrPayload"])
    assert got == {"__typename": "CheckedIn", "bookingId": booking["id"], "showId": show_id,
                   "seat": first["seat"]}
    again = await check_in(world.main, world.door_key, first["qrPayload"])
    assert again["__typename"] == "AlreadyCheckedIn"
    assert again["bookingId"] == booking["id"] and again["seat"] == first["seat"]
    assert again["checkedInAt"]
    other = await check_in(world.main, world.door_key, second["qrPayload"])
    assert other["__typename"] == "CheckedIn" and other["seat"] == second["seat"]


async def test_forged_and_garbage_tickets_are_invalid(world: World) -> None:
    _, _, booking = await booked(world, ["B-5"])
    header, payload, signature = booking["tickets"][0]["qrPayload"].split(".")
    claims = json.loads(b64url_decode(payload))
    claims["seat"] = "B-6"
    forged_payload = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"
    bad_signature = f"{header}.{payload}.{b64url(b'x' * 64)}"
    unknown_kid = ".".join([b64url(json.dumps({"alg": "EdDSA", "kid": "nope"}).encode()),
                            payload, signature])
    hs256 = ".".join([b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()), payload,
                      b64url(b"y" * 32)])
    for qr in (forged_payload, bad_signature, unknown_kid, hs256, "garbage", "", "a.b.c"):
        got = await check_in(world.main, world.door_key, qr)
        assert got["__typename"] == "InvalidTicket" and got["message"], (qr, got)
    # the genuine ticket is still unused
    got = await check_in(world.main, world.door_key, booking["tickets"][0]["qrPayload"])
    assert got["__typename"] == "CheckedIn"


async def test_check_in_is_for_door_keys_only(world: World) -> None:
    _, _, booking = await booked(world, ["C-1"])
    qr = booking["tickets"][0]["qrPayload"]
    for key in (world.main.key, world.admin_key):
        body = await world.main.raw(ops.CHECK_IN, {"qr": qr}, key=key)
        assert codes(body) == ["FORBIDDEN"], body
    got = await check_in(world.main, world.door_key, qr)
    assert got["__typename"] == "CheckedIn"  # the refused scans did not use the ticket


async def test_cancel_show_is_for_admin_keys_only(world: World) -> None:
    show_id = world.show()
    for key in (world.main.key, world.door_key):
        body = await world.main.raw(ops.CANCEL_SHOW, {"showId": show_id, "reason": "x"}, key=key)
        assert codes(body) == ["FORBIDDEN"], body
    show = (await world.main(ops.SHOW, {"id": show_id}))["show"]
    assert show is not None
    (fan,) = world.users(1)
    assert (await reserve(world.main, fan, show_id, ["A-1"]))["__typename"] == "Reservation"


async def test_cancel_show_refunds_releases_and_closes_the_show(world: World) -> None:
    api = world.main
    show_id = world.show()
    holders = world.users(2)
    holds = [await reserve(api, t, show_id, [seat]) for t, seat in zip(holders, ["C-1", "C-2"],
                                                                       strict=True)]
    _fan, _, booking = await booked(world, ["C-5", "C-6"], show_id=show_id)
    got = await api(ops.CANCEL_SHOW, {"showId": show_id, "reason": "projector fire"},
                    key=world.admin_key)
    assert got["cancelShow"] == {"showId": show_id, "refundedBookings": 1, "releasedHolds": 2}
    for token, hold in zip(holders, holds, strict=True):
        status = (await api(ops.RESERVATION, {"id": hold["id"]}, token=token))["reservation"]
        assert status["status"] == "CANCELLED"
    (late,) = world.users(1)
    body = await api.raw(ops.RESERVE, {"input": {"showId": show_id, "seats": ["D-1"]}},
                         token=late)
    if not body.get("errors"):
        assert body["data"]["reserve"]["__typename"] != "Reservation", body
    got = await check_in(api, world.door_key, booking["tickets"][0]["qrPayload"])
    assert got["__typename"] == "InvalidTicket", got


async def test_cancel_show_of_an_unknown_show_is_coded(world: World) -> None:
    body = await world.main.raw(ops.CANCEL_SHOW, {"showId": "987654321", "reason": "x"},
                                key=world.admin_key)
    assert codes(body) and codes(body)[0] in {"NOT_FOUND", "BAD_USER_INPUT"}, body
