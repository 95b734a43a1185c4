"""Ticket signing keys (Ed25519): which key signs, which keys verify, and their public JWKS.

`TICKET_SIGNING_KEYS` is a comma-separated list; each entry is a path to a PEM file, a PEM
itself, or a base64-encoded PEM. The first entry must be a private key: it signs every new
ticket. The others verify only and may be public keys: after a rotation the old key stays in the
list (its private half can be discarded) until every show it signed tickets for is over.
Without the variable the signing key is derived from SECRET_KEY (HKDF): fine for development,
but it ties ticket keys to the token secret and cannot rotate on its own, so production sets
`TICKET_SIGNING_KEYS`.

A key's `kid` is its RFC 7638 JWK thumbprint, so it needs no configuration and never collides.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

_HKDF_INFO = b"boxoffice.ticket-signing-key.v1"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class TicketKey:
    kid: str
    public: Ed25519PublicKey
    private: Ed25519PrivateKey | None  # None: verify-only (a retired key)

    @property
    def x(self) -> str:
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return b64url(raw)

    def jwk(self) -> dict[str, str]:
        return {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": self.kid,
                "x": self.x}


def _key(private: Ed25519PrivateKey | None, public: Ed25519PublicKey) -> TicketKey:
    x = b64url(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    # RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"),
                           sort_keys=True)
    return TicketKey(b64url(hashlib.sha256(canonical.encode()).digest()), public, private)


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[TicketKey, ...]  # keys[0] signs

    @property
    def signer(self) -> TicketKey:
        return self.keys[0]

    def find(self, kid: str) -> TicketKey | None:
        return next((k for k in self.keys if k.kid == kid), None)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [k.jwk() for k in self.keys]}


class KeyConfigError(ValueError):
    """TICKET_SIGNING_KEYS names something that is not a usable Ed25519 key."""


def _pem_of(entry: str) -> bytes:
    if entry.startswith("-----BEGIN"):
        return entry.encode()
    if os.path.isfile(entry):
        with open(entry, "rb") as f:
            return f.read()
    try:
        decoded = base64.b64decode(entry, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if not decoded.startswith(b"-----BEGIN"):
        raise KeyConfigError(f"TICKET_SIGNING_KEYS: {entry[:40]!r} is neither a PEM file, "
                             "a PEM nor a base64-encoded PEM")
    return decoded


def _parse(entry: str) -> TicketKey:
    pem = _pem_of(entry)
    if b"PRIVATE KEY" in pem:
        private = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise KeyConfigError("TICKET_SIGNING_KEYS: only Ed25519 keys can sign tickets")
        return _key(private, private.public_key())
    public = serialization.load_pem_public_key(pem)
    if not isinstance(public, Ed25519PublicKey):
        raise KeyConfigError("TICKET_SIGNING_KEYS: only Ed25519 keys can verify tickets")
    return _key(None, public)


def derived_key(secret_key: str) -> TicketKey:
    """The development fallback: a key derived from SECRET_KEY, stable across processes."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=_HKDF_INFO).derive(secret_key.encode())
    private = Ed25519PrivateKey.from_private_bytes(seed)
    return _key(private, private.public_key())


@lru_cache(maxsize=4)
def load_keyring(configured: str | None, secret_key: str) -> KeyRing:
    entries = [e.strip() for e in (configured or "").split(",") if e.strip()]
    if not entries:
        return KeyRing((derived_key(secret_key),))
    keys = tuple(_parse(e) for e in entries)
    if keys[0].private is None:
        raise KeyConfigError("TICKET_SIGNING_KEYS: the first entry must be a private key "
                             "(it signs new tickets)")
    return KeyRing(keys)


def keyring() -> KeyRing:
    from boxoffice.settings import get_settings

    s = get_settings()
    return load_keyring(s.ticket_signing_keys, s.secret_key)


def generate_pem() -> str:
    """A fresh Ed25519 private key as PKCS#8 PEM (`boxoffice ticket-key generate`)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(private_pem: str) -> str:
    """The public half of a private PEM: what stays in the list after a rotation."""
    key = _parse(private_pem.strip())
    return key.public.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
