"""Ticket QR payloads: compact JWS (RFC 7515) signed with Ed25519 (`EdDSA`, RFC 8037).

The protected header names the signing key (`kid`), the payload is JSON with `bookingId`,
`showId` (GraphQL IDs), `seat` and a random `nonce`. A door scanner verifies it offline with the
public keys from `GET /tickets/keys`; `checkIn` then records the scan (services/checkin.py).
Keys and rotation: boxoffice/ticketkeys.py.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from functools import lru_cache

import jwt
import segno

from boxoffice.ticketkeys import b64url, keyring
from models.catalog import ShowStatus

ALGORITHM = "EdDSA"
MAX_PAYLOAD_CHARS = 2000  # a real ticket is ~350; never parse more than this
_NONCE_RE = re.compile(r"^[0-9a-f]{32}$")


def header_prefix(kid: str) -> str:
    """The first part of every ticket a key signs (PyJWT writes sorted, compact headers)."""
    header = json.dumps({"alg": ALGORITHM, "kid": kid, "typ": "JWT"}, separators=(",", ":"),
                        sort_keys=True)
    return b64url(header.encode()) + "."


_SHOWS_SIGNED_BY = f"""SELECT count(DISTINCT s.id) FROM show s
JOIN movie m ON m.id = s.movie
JOIN booking b ON b.show = s.id
JOIN ticket t ON t.booking = b.id
WHERE s.status = '{ShowStatus.SCHEDULED}'
  AND s.starts_at + make_interval(mins => m.duration_minutes) > now()
  AND t.qr_payload LIKE $1"""

async def upcoming_shows_signed_by(kid: str) -> int:
    """How many shows not yet over hold tickets signed by `kid`: while any does, the key must
    stay in TICKET_SIGNING_KEYS (and so at GET /tickets/keys)."""
    from boxoffice import db

    return int(await db.pool().fetchval(
        _SHOWS_SIGNED_BY, header_prefix(kid).replace("_", "\\_") + "%",
    ))


def sign_ticket(booking_id: int, show_id: int, seat: str, nonce: uuid.UUID) -> str:
    key = keyring().signer
    assert key.private is not None
    claims = {"bookingId": str(booking_id), "showId": str(show_id), "seat": seat,
              "nonce": nonce.hex}
    return jwt.encode(claims, key.private, algorithm=ALGORITHM,
                      headers={"kid": key.kid, "typ": "JWT"})


@dataclass(frozen=True)
class TicketClaims:
    booking_id: int
    show_id: int
    seat: str
    nonce: str
    kid: str


@dataclass(frozen=True)
class TicketRejected:
    message: str


def _id(raw: object) -> int | None:
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    value = int(raw)
    return value if 0 < value < 2**31 else None


def verify_ticket(payload: str) -> TicketClaims | TicketRejected:
    """Check signature and kid against the configured public keys (no database)."""
    if not payload or len(payload) > MAX_PAYLOAD_CHARS:
        return TicketRejected("Not a ticket")
    try:
        header = jwt.get_unverified_header(payload)
    except jwt.PyJWTError:
        return TicketRejected("Not a ticket")
    if header.get("alg") != ALGORITHM:
        return TicketRejected("Not a ticket: unexpected signature algorithm")
    kid = header.get("kid")
    key = keyring().find(kid) if isinstance(kid, str) else None
    if key is None:
        return TicketRejected("Ticket signed with an unknown key")
    try:
        data = jwt.decode(payload, key.public, algorithms=[ALGORITHM])
    except jwt.InvalidSignatureError:
        return TicketRejected("Ticket signature does not verify: forged or altered")
    except jwt.PyJWTError:
        return TicketRejected("Not a ticket")
    booking_id, show_id = _id(data.get("bookingId")), _id(data.get("showId"))
    seat, nonce = data.get("seat"), data.get("nonce")
    if (booking_id is None or show_id is None or not isinstance(seat, str) or len(seat) > 10
            or not isinstance(nonce, str) or not _NONCE_RE.match(nonce)):
        return TicketRejected("Not a ticket: missing or malformed claims")
    return TicketClaims(booking_id, show_id, seat, nonce, key.kid)


def read_ticket(payload: str) -> TicketClaims | None:
    verified = verify_ticket(payload)
    return verified if isinstance(verified, TicketClaims) else None


@lru_cache(maxsize=4096)
def qr_svg(payload: str) -> str:
    return str(segno.make(payload, error="m").svg_inline(scale=4))
