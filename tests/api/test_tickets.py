"""Tickets are Ed25519 compact JWS: verifiable offline with GET /tickets/keys, rotatable, and
scanned once at the door by door keys only."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from boxoffice import db
from boxoffice.auth import create_api_key
from boxoffice.settings import reset_settings_cache
from boxoffice.ticketkeys import generate_pem, keyring, public_pem
from tests.api.ticketing import book, check_in, error_code
from tests.factories import make_show


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def verify_offline(jwks: dict, payload: str) -> dict:
    """What a door scanner does, with nothing but `cryptography` and the public JWKS."""
    header_b64, claims_b64, sig_b64 = payload.split(".")
    header = json.loads(b64url_decode(header_b64))
    assert header["alg"] == "EdDSA"
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    public = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    public.verify(b64url_decode(sig_b64), f"{header_b64}.{claims_b64}".encode())
    return json.loads(b64url_decode(claims_b64))


@pytest.fixture
def rotate(monkeypatch):
    """Set TICKET_SIGNING_KEYS for the rest of a test (settings are re-read)."""

    def apply(value: str) -> None:
        monkeypatch.setenv("TICKET_SIGNING_KEYS", value)
        reset_settings_cache()

    yield apply
    monkeypatch.delenv("TICKET_SIGNING_KEYS", raising=False)
    reset_settings_cache()


async def test_ticket_is_a_jws_verifiable_with_the_public_keys_only(api):
    show = await make_show()
    alice = await api.token("alice@example.com")
    booking = await book(api, alice, show.show_id, ["C-3", "C-4"])
    resp = await api.client.get("/tickets/keys")  # public: no API key
    assert resp.status_code == 200
    jwks = resp.json()
    assert [set(k) >= {"kid", "alg", "crv", "x"} for k in jwks["keys"]] == [True]
    assert jwks["keys"][0]["alg"] == "EdDSA" and jwks["keys"][0]["crv"] == "Ed25519"
    assert "d" not in jwks["keys"][0]  # never the private half
    for ticket in booking["tickets"]:
        header = json.loads(b64url_decode(ticket["qrPayload"].split(".")[0]))
        assert header["kid"] == jwks["keys"][0]["kid"] and header["typ"] == "JWT"
        claims = verify_offline(jwks, ticket["qrPayload"])
        assert claims["bookingId"] == booking["id"] and claims["showId"] == str(show.show_id)
        assert claims["seat"] == ticket["seat"] and len(claims["nonce"]) == 32
        assert ticket["qrSvg"].startswith("<svg")


async def test_altered_or_forged_tickets_fail_offline_and_at_the_door(api):
    show = await make_show()
    alice = await api.token("alice@example.com")
    booking = await book(api, alice, show.show_id, ["C-3"])
    jwks = (await api.client.get("/tickets/keys")).json()
    door = await create_api_key("door-1", role="door")
    payload = booking["tickets"][0]["qrPayload"]
    header_b64, claims_b64, sig_b64 = payload.split(".")
    claims = json.loads(b64url_decode(claims_b64))

    # another seat in the claims, signature kept: altered
    altered = ".".join([header_b64, b64url(json.dumps({**claims, "seat": "A-1"}).encode()),
                        sig_b64])
    # signed by a key that is not ours, under our kid: forged
    forger = Ed25519PrivateKey.generate()
    signing_input = f"{header_b64}.{claims_b64}".encode()
    forged = f"{header_b64}.{claims_b64}.{b64url(forger.sign(signing_input))}"
    # a kid nobody published
    other_header = b64url(json.dumps({"alg": "EdDSA", "kid": "not-ours", "typ": "JWT"}).encode())
    unknown_kid = (f"{other_header}.{claims_b64}."
                   f"{b64url(forger.sign(f'{other_header}.{claims_b64}'.encode()))}")
    # alg confusion: "none" and HMAC with the public key as secret
    none_alg = b64url(json.dumps({"alg": "none", "kid": claims.get("kid", "x")}).encode())

    for bad in (altered, forged):
        with pytest.raises(InvalidSignature):
            verify_offline(jwks, bad)
    for bad in (altered, forged, unknown_kid, f"{none_alg}.{claims_b64}.", "garbage", "",
                "a.b.c", "x" * 5000):
        result = await check_in(api, door, bad)
        assert result["__typename"] == "InvalidTicket", (bad[:40], result)
    untouched = await db.pool().fetchval("SELECT count(*) FROM ticket WHERE used_at IS NOT NULL")
    assert untouched == 0
    assert (await check_in(api, door, payload))["__typename"] == "CheckedIn"


async def test_check_in_once_then_already_checked_in(api):
    show = await make_show()
    alice = await api.token("alice@example.com")
    booking = await book(api, alice, show.show_id, ["D-1", "D-2"])
    door = await create_api_key("door-1", role="door")
    first, second = booking["tickets"]
    scan = await check_in(api, door, first["qrPayload"])
    assert scan == {"__typename": "CheckedIn", "bookingId": booking["id"],
                    "showId": str(show.show_id), "seat": "D-1"}
    again = await check_in(api, door, first["qrPayload"])
    assert again["__typename"] == "AlreadyCheckedIn"
    assert again["bookingId"] == booking["id"] and again["seat"] == "D-1"
    used_at = await db.pool().fetchval("SELECT used_at FROM ticket WHERE seat_label = 'D-1'")
    assert again["checkedInAt"].startswith(used_at.isoformat()[:19])
    # the other seat of the booking is its own ticket
    assert (await check_in(api, door, second["qrPayload"]))["__typename"] == "CheckedIn"


async def test_concurrent_scans_of_one_ticket_check_in_exactly_once(api):
    show = await make_show()
    alice = await api.token("alice@example.com")
    booking = await book(api, alice, show.show_id, ["E-5"])
    door = await create_api_key("door-1", role="door")
    payload = booking["tickets"][0]["qrPayload"]
    results = await asyncio.gather(*(check_in(api, door, payload) for _ in range(12)))
    kinds = sorted(r["__typename"] for r in results)
    assert kinds == ["AlreadyCheckedIn"] * 11 + ["CheckedIn"]


@pytest.mark.parametrize("role", ["client", "admin"])
async def test_check_in_is_for_door_keys_only(api, role):
    show = await make_show()
    alice = await api.token("alice@example.com")
    booking = await book(api, alice, show.show_id, ["F-1"])
    key = api.api_key if role == "client" else await create_api_key("ops", role="admin")
    body = await api.raw("mutation($p: String!) { checkIn(qrPayload: $p) { __typename } }",
                         {"p": booking["tickets"][0]["qrPayload"]}, api_key=key)
    assert error_code(body) == "FORBIDDEN" and body["data"] is None
    assert await db.pool().fetchval("SELECT used_at FROM ticket") is None
    missing = await api.raw("mutation($p: String!) { checkIn(qrPayload: $p) { __typename } }",
                            {"p": "x"}, api_key=None)
    assert error_code(missing) == "UNAUTHENTICATED"


async def test_a_refunded_booking_is_refused_at_the_door(api):
    show = await make_show()
    alice = await api.token("alice@example.com")
    booking = await book(api, alice, show.show_id, ["G-1"])
    door = await create_api_key("door-1", role="door")
    await db.pool().execute("UPDATE payment SET status = 'REFUNDED'")
    result = await check_in(api, door, booking["tickets"][0]["qrPayload"])
    assert result["__typename"] == "InvalidTicket" and "refunded" in result["message"]


async def test_key_rotation_new_key_signs_old_tickets_still_verify(api, rotate, tmp_path):
    show = await make_show()
    alice, bob = await api.token("alice@example.com"), await api.token("bob@example.com")
    door = await create_api_key("door-1", role="door")
    old_ticket = (await book(api, alice, show.show_id, ["H-1"]))["tickets"][0]["qrPayload"]
    old_kid = (await api.client.get("/tickets/keys")).json()["keys"][0]["kid"]

    # rotate: a new private key (a file) signs; the old key stays as its public half only
    new_pem = generate_pem()
    (tmp_path / "new.pem").write_text(new_pem)
    old_private = keyring().signer  # the SECRET_KEY-derived development key
    assert old_private.kid == old_kid
    old_pem = old_private.private.private_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    old_public_b64 = base64.b64encode(public_pem(old_pem).encode()).decode()
    rotate(f"{tmp_path / 'new.pem'},{old_public_b64}")

    jwks = (await api.client.get("/tickets/keys")).json()
    kids = [k["kid"] for k in jwks["keys"]]
    assert len(kids) == 2 and kids[1] == old_kid and kids[0] != old_kid
    new_ticket = (await book(api, bob, show.show_id, ["H-2"]))["tickets"][0]["qrPayload"]
    assert verify_offline(jwks, new_ticket)["seat"] == "H-2"
    assert json.loads(b64url_decode(new_ticket.split(".")[0]))["kid"] == kids[0]
    assert verify_offline(jwks, old_ticket)["seat"] == "H-1"
    assert (await check_in(api, door, old_ticket))["__typename"] == "CheckedIn"
    assert (await check_in(api, door, new_ticket))["__typename"] == "CheckedIn"

    # once the old key is dropped from the list, its tickets no longer verify
    rotate(str(tmp_path / "new.pem"))
    assert [k["kid"] for k in (await api.client.get("/tickets/keys")).json()["keys"]] == kids[:1]
    gone = await check_in(api, door, old_ticket)
    assert gone["__typename"] == "InvalidTicket" and "unknown key" in gone["message"]


def test_a_public_key_cannot_be_the_signing_key(monkeypatch):
    from boxoffice.ticketkeys import KeyConfigError, load_keyring

    pem = public_pem(generate_pem())
    with pytest.raises(KeyConfigError):
        load_keyring(pem, "s" * 32)
    with pytest.raises(KeyConfigError):
        load_keyring("/no/such/file.pem", "s" * 32)


async def test_a_key_is_needed_while_an_upcoming_show_holds_its_tickets(api):
    from boxoffice.services.tickets import header_prefix, upcoming_shows_signed_by

    show = await make_show()
    alice = await api.token("alice@example.com")
    kid = keyring().signer.kid
    assert await upcoming_shows_signed_by(kid) == 0
    payload = (await book(api, alice, show.show_id, ["B-1"]))["tickets"][0]["qrPayload"]
    assert payload.startswith(header_prefix(kid))
    assert await upcoming_shows_signed_by(kid) == 1
    assert await upcoming_shows_signed_by(kid.replace(kid[0], "_")) == 0
    await db.pool().execute("UPDATE show SET starts_at = now() - interval '1 day'")
    assert await upcoming_shows_signed_by(kid) == 0  # the show is over: the key may go


def test_ticket_key_cli_generates_a_key_and_its_public_half(tmp_path, capsys):
    from boxoffice.cli import main

    main(["ticket-key", "generate"])
    private = capsys.readouterr().out
    assert private.startswith("-----BEGIN PRIVATE KEY-----")
    (tmp_path / "k.pem").write_text(private)
    main(["ticket-key", "public", str(tmp_path / "k.pem")])
    public = capsys.readouterr().out
    assert public.startswith("-----BEGIN PUBLIC KEY-----") and public == public_pem(private)
