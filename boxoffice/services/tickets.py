"""Signed ticket QR payloads a door scanner can verify offline, and their SVG rendering."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache

import segno
from itsdangerous import BadSignature, URLSafeSerializer

from boxoffice.settings import get_settings

_SALT = "boxoffice.ticket"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt=_SALT)


def sign_ticket(booking_id: int, show_id: int, seat: str, nonce: uuid.UUID) -> str:
    """HMAC-signed payload binding booking, show, seat and a random nonce."""
    return _serializer().dumps({"b": booking_id, "s": show_id, "seat": seat, "n": nonce.hex})


@dataclass(frozen=True)
class TicketClaims:
    booking_id: int
    show_id: int
    seat: str
    nonce: str


def read_ticket(payload: str) -> TicketClaims | None:
    try:
        data = _serializer().loads(payload)
    except BadSignature:
        return None
    try:
        return TicketClaims(int(data["b"]), int(data["s"]), str(data["seat"]), str(data["n"]))
    except (KeyError, TypeError, ValueError):
        return None


@lru_cache(maxsize=4096)
def qr_svg(payload: str) -> str:
    return str(segno.make(payload, error="m").svg_inline(scale=4))
