"""Automatic persisted queries (Apollo's protocol), over GET and POST.

A request may carry `extensions.persistedQuery = {"version": 1, "sha256Hash": H}`:
- with `query` too, it registers the document under H after checking that H is its SHA-256;
- without `query`, H names a document registered before; an unknown H answers Apollo's
  `PersistedQueryNotFound` (code PERSISTED_QUERY_NOT_FOUND) and the client resends with `query`.

Documents live in Redis (`apq:{H}`, kept `REDIS_TTL` seconds, shared by every process) with an
in-process copy bounded in bytes. A hash names its document forever (that is what a hash is), so
neither copy ever needs invalidating.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from boxoffice import rediskeys
from boxoffice.services.responsecache import ByteLRU

REDIS_TTL = 7 * 24 * 3600
MAX_QUERY = 64 * 1024  # a persisted document is at most this many characters
_LOCAL: ByteLRU[str, str] = ByteLRU(8 * 1024 * 1024)
_HASH = re.compile(r"^[0-9a-f]{64}$")
NOT_FOUND_BODY = (b'{"errors":[{"message":"PersistedQueryNotFound",'
                  b'"extensions":{"code":"PERSISTED_QUERY_NOT_FOUND"}}]}')


class PersistedQueryError(ValueError):
    """A malformed persisted-query request (HTTP 400, code BAD_USER_INPUT)."""


class PersistedQueryNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Persisted:
    sha256: str
    register: bool  # the request carried the query: store it


redis_key = rediskeys.persisted_query


def sha256_of(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def read_extension(extensions: Any, query: str | None) -> Persisted | None:
    """The request's persisted-query extension, checked; None when it has none."""
    if extensions is None:
        return None
    if not isinstance(extensions, dict):
        raise PersistedQueryError("extensions must be an object")
    pq = extensions.get("persistedQuery")
    if pq is None:
        return None
    if not isinstance(pq, dict) or pq.get("version") != 1:
        raise PersistedQueryError("Unsupported persisted query version")
    sha = pq.get("sha256Hash")
    if not isinstance(sha, str) or not _HASH.match(sha.lower()):
        raise PersistedQueryError("sha256Hash must be 64 hexadecimal characters")
    sha = sha.lower()
    if query is not None:
        if not isinstance(query, str):
            raise PersistedQueryError("query must be a string")
        if sha256_of(query) != sha:
            raise PersistedQueryError("provided sha does not match query")
    return Persisted(sha256=sha, register=query is not None)


async def lookup(redis: Redis, sha256: str) -> str:
    """The document registered under this hash (raises PersistedQueryNotFound)."""
    query = _LOCAL.get(sha256)
    if query is not None:
        return query
    raw = await redis.get(redis_key(sha256))
    if raw is None:
        raise PersistedQueryNotFound(sha256)
    query = raw.decode()
    _LOCAL.put(sha256, query, len(raw) + 64)
    return query


async def register(redis: Redis, sha256: str, query: str) -> None:
    """Remember a verified document (documents longer than MAX_QUERY are executed, not kept)."""
    if len(query) > MAX_QUERY:
        return  # (clients send the query only after a PersistedQueryNotFound: rare)
    await redis.set(redis_key(sha256), query, ex=REDIS_TTL)
    _LOCAL.put(sha256, query, len(query) + 64)


def clear_local() -> None:
    _LOCAL.clear()
