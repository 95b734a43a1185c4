"""Identity: client API keys (stored hashed) and signed, expiring user bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from cachetools import LRUCache
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from boxoffice.lrucache import bounded
from boxoffice.secretkeys import verification_keys
from boxoffice.settings import Settings, get_settings
from models.booking import ApiKey, ApiKeyRole, AppUser

_TOKEN_SALT = "boxoffice.user-token"


ROLES = tuple(ApiKeyRole)  # the model's enum; the migration's CHECK matches it (tests)


@dataclass(frozen=True)
class ApiClient:
    id: int
    name: str
    role: str = "client"  # client | door | admin (models.booking.ApiKeyRole)


@dataclass(frozen=True)
class User:
    id: int
    email: str


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


async def create_api_key(name: str, role: str = "client") -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    raw = "bo_" + secrets.token_urlsafe(24)
    await ApiKey.insert(ApiKey(name=name, key_hash=hash_key(raw), revoked=False, role=role))
    return raw


async def revoke_api_keys(name: str) -> int:
    """Revoke every key with this name; returns how many were live."""
    revoked = await (ApiKey.update({ApiKey.revoked: True})
                     .where((ApiKey.name == name) & (ApiKey.revoked == False))  # noqa: E712
                     .returning(ApiKey.id))
    return len(revoked)


# Keys are checked on every operation: cache positive and negative answers briefly, so a
# flood of requests costs one dict lookup, and a revoked key stops working within the TTL.
# Bounded LRU: a flood of made-up keys evicts the oldest entries, never grows memory (and is
# throttled per address before it gets here, boxoffice/http/gate.py).
_KEY_CACHE: LRUCache[str, tuple[float, ApiClient | None]] = bounded(10_000)
_KEY_TTL = 5.0  # the contract: a revoked key stops working within 5 s on every process
MAX_KEY_CHARS = 200


async def verify_api_key(raw: str | None) -> ApiClient | None:
    if not raw or len(raw) > MAX_KEY_CHARS:
        return None
    now = time.monotonic()
    hit = _KEY_CACHE.get(raw)
    if hit is not None and hit[0] > now:
        return hit[1]
    row = await (ApiKey.select(ApiKey.id, ApiKey.name, ApiKey.role)
                 .where((ApiKey.key_hash == hash_key(raw)) & (ApiKey.revoked == False))  # noqa: E712
                 .first())
    client = ApiClient(id=row["id"], name=row["name"], role=row["role"]) if row else None
    _KEY_CACHE[raw] = (now + _KEY_TTL, client)
    return client


def _serializer() -> URLSafeTimedSerializer:
    # signs with the current SECRET_KEY, still verifies tokens of the previous ones (rotation)
    return URLSafeTimedSerializer(verification_keys(), salt=_TOKEN_SALT)


def issue_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "email": user.email})


# Verified tokens, until they expire (at most a minute): a client sends the same token on
# every request, and checking its HMAC is a measurable share of a reserve's CPU.
# verified tokens, valid for the settings (keys) they were verified with: a rotation that drops a
# key must not leave tokens it signed accepted from the cache
_TOKEN_CACHE: LRUCache[str, tuple[float, User, Settings]] = bounded(50_000)
_TOKEN_CACHE_SECONDS = 60.0


def read_token(token: str | None) -> User | None:
    """The user a bearer token names, or None when it is missing, forged or expired."""
    if not token or len(token) > 500:
        return None
    now = time.time()
    settings = get_settings()
    hit = _TOKEN_CACHE.get(token)
    if hit is not None and hit[0] > now and hit[2] is settings:
        return hit[1]
    ttl = settings.token_ttl_seconds
    try:
        data, issued = _serializer().loads(token, max_age=ttl, return_timestamp=True)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        return None
    user = User(id=data["uid"], email=str(data.get("email", "")))
    _TOKEN_CACHE[token] = (min(now + _TOKEN_CACHE_SECONDS, issued.timestamp() + ttl), user,
                           settings)
    return user


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def get_or_create_user(email: str) -> User:
    email = email.strip().lower()
    # an upsert that always returns the row: DO NOTHING would return nothing for a known email
    rows = await (AppUser.insert(AppUser(email=email))
                  .on_conflict(target=AppUser.email, action="DO UPDATE", values=[AppUser.email])
                  .returning(AppUser.id, AppUser.email))
    return User(id=rows[0]["id"], email=rows[0]["email"])
