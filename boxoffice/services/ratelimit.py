"""Sliding-window rate limits in Redis (anti-scalping): one sorted set per subject."""

from __future__ import annotations

import math
import time
import uuid

from redis.asyncio import Redis

# Atomically: drop hits older than the window, count, admit and record when under the limit.
# Returns {allowed, retry_after_ms}.
_SLIDING_WINDOW = """
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]),
    tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, window)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, math.max(1, tonumber(oldest[2]) + window - now)}
"""


async def hit(redis: Redis, key: str, limit: int, window_seconds: int) -> int:
    """Record one hit. Returns 0 when allowed, else the seconds until the next hit is allowed."""
    now_ms = int(time.time() * 1000)
    allowed, retry_ms = await redis.eval(  # type: ignore[misc]
        _SLIDING_WINDOW, 1, key, now_ms, window_seconds * 1000, limit, uuid.uuid4().hex  # type: ignore[arg-type]
    )
    return 0 if int(allowed) == 1 else max(1, math.ceil(int(retry_ms) / 1000))
