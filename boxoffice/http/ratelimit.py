"""Token buckets in Redis: per API key and per client address, every operation.

One script, one round trip, for all the buckets a request draws from: a request is admitted
only when every bucket has a token, and then takes one from each (a refused request costs the
caller nothing, so a client that backs off as told recovers). Time comes from the Redis server
(`TIME`), so API processes with skewed clocks share one view of each bucket.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from boxoffice import rediskeys

log = logging.getLogger(__name__)

# KEYS: bucket keys; ARGV: rate_1, burst_1, rate_2, burst_2, ...
# Returns the seconds to wait as a string ("0" = admitted and charged).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local wait = 0
local level = {}
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local v = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens, ts = tonumber(v[1]), tonumber(v[2])
  if tokens == nil or ts == nil then tokens, ts = burst, now end
  tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
  level[i] = tokens
  if tokens < 1 then wait = math.max(wait, (1 - tokens) / rate) end
end
if wait == 0 then
  for i, key in ipairs(KEYS) do
    local rate, burst = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
    redis.call('HSET', key, 'tokens', tostring(level[i] - 1), 'ts', tostring(now))
    redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
  end
end
return tostring(wait)
"""


@dataclass(frozen=True)
class Bucket:
    key: str
    rate: float  # tokens per second
    burst: int  # bucket size


def address_bucket(address: str, rate: float, burst: int) -> Bucket:
    return Bucket(rediskeys.address_bucket(address), rate, burst)


def key_bucket(raw_key: str, rate: float, burst: int) -> Bucket:
    # keyed by a digest: the raw key never lands in Redis, and any length maps to 32 chars
    digest = hashlib.sha256(raw_key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return Bucket(rediskeys.api_key_bucket(digest), rate, burst)


async def take(redis: Redis, buckets: list[Bucket]) -> float:
    """Seconds to wait before retrying (0.0 when admitted). Fails open when Redis is down:
    a rate limit protects capacity, it must not take the API down with Redis."""
    args: list[str] = []
    for b in buckets:
        args += [str(b.rate), str(b.burst)]
    try:
        wait = await redis.eval(_TAKE, len(buckets), *[b.key for b in buckets], *args)  # type: ignore[misc]
    except (RedisError, OSError) as exc:
        log.warning("rate limit check skipped: %s", exc)
        return 0.0
    return float(wait)
