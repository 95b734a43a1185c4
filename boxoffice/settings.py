"""Settings, read once from the environment.

`DATABASE_URL` and `REDIS_URL` always win when set. When unset, the defaults point at the
project-local services that `boxoffice dev` (and `make test`) bring up, see `devtools/localsvc.py`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:55432/boxoffice"
DEFAULT_REDIS_URL = "redis://127.0.0.1:56379/0"
_DEV_SECRET = "dev-insecure-secret-change-me"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def _bool_off(name: str) -> bool:
    """True unless the variable says off/false/0/no."""
    return os.environ.get(name, "on").strip().lower() not in {"off", "false", "0", "no"}


ISOLATION_LEVELS = ("read_committed", "serializable")


def _isolation() -> str:
    raw = os.environ.get("BOOKING_ISOLATION", "").strip().lower().replace(" ", "_") or None
    if raw is not None and raw not in ISOLATION_LEVELS:
        raise ValueError(f"BOOKING_ISOLATION must be one of {', '.join(ISOLATION_LEVELS)}")
    return raw or "read_committed"
def _graphiql_headers() -> dict[str, str]:
    """GraphiQL's pre-filled headers: `boxoffice dev` passes its dev key and token, never
    outside BOXOFFICE_ENV=dev."""
    if os.environ.get("BOXOFFICE_ENV", "").strip().lower() != "dev":
        return {}
    headers = {"X-API-Key": os.environ.get("GRAPHIQL_API_KEY", "")}
    if os.environ.get("GRAPHIQL_TOKEN"):
        headers["Authorization"] = f"Bearer {os.environ['GRAPHIQL_TOKEN']}"
    return headers if headers["X-API-Key"] else {}


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    secret_key: str
    # Redis Sentinel (boxoffice/redisconn.py): where to ask for the primary of which master;
    # unset, REDIS_URL's host is the primary
    redis_sentinels: tuple[tuple[str, int], ...] = ()
    redis_sentinel_master: str = "boxoffice"
    hold_seconds: int = 300
    offer_seconds: int = 300
    rate_limits_enabled: bool = True
    # sliding-window limits (count per window seconds)
    reserve_limit_per_user: int = 30
    reserve_window_seconds: int = 60
    confirm_limit_per_card: int = 10
    confirm_window_seconds: int = 600
    max_seats_per_reservation: int = 10
    token_ttl_seconds: int = 7 * 24 * 3600
    # how long a payment may keep a hold alive past its expiry while the gateway answers
    # (PAYMENT_GRACE_SECONDS, 1-120); it must cover a charge and a lookup (2 x the timeout)
    payment_grace_seconds: int = 10
    payment_gateway_timeout_seconds: float = 4.0
    db_pool_min: int = 2
    db_pool_max: int = 20
    lock_timeout_ms: int = 2000
    serialization_retries: int = 8
    # isolation of booking transactions (boxoffice.db.serializable): read_committed|serializable.
    # READ COMMITTED by default: the row locks, guarded writes and constraints already prevent
    # double-booking, and SSI's page-level predicate locks abort most concurrent bookings of one
    # show (README "Isolation level")
    booking_isolation: str = "read_committed"
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    max_subscriptions_per_connection: int = 20
    smtp_url: str | None = None
    notification_channel: str = "log"
    smtp_from: str = "BoxOffice <tickets@boxoffice.local>"
    smtp_timeout_seconds: float = 10.0
    # outbox delivery: attempts per notification, then FAILED; backoff doubles from the base
    notify_max_attempts: int = 6
    notify_backoff_seconds: float = 2.0
    notify_backoff_max_seconds: float = 300.0
    # Ed25519 ticket keys, first signs (boxoffice/ticketkeys.py); unset: derived from secret_key
    ticket_signing_keys: str | None = None
    # the public surface (boxoffice/http/, schema/limits.py; README "Security")
    env: str = "production"  # BOXOFFICE_ENV; "dev" allows the built-in SECRET_KEY
    secret_keys_old: tuple[str, ...] = ()  # still accepted for verification during a rotation
    graphiql: bool = True
    introspection: bool = True
    # permessage-deflate on websockets (WS_DEFLATE=on): off by default, since seat-map deltas
    # are ~100-byte frames that compression barely shrinks while it costs CPU per connection
    # per frame (benchmarks/fanout_nginx.py; README "Realtime at scale")
    ws_deflate: bool = False
    max_body_bytes: int = 1 << 20
    max_query_chars: int = 20_000
    max_query_tokens: int = 2_000
    query_cost_budget: int = 25_000
    query_max_depth: int = 20
    query_max_aliases: int = 30
    query_time_budget_seconds: float = 10.0
    rate_per_key: float = 1_000.0  # token bucket refill per second, and its size (an app key
    # is shared by all of its users: this is the app's quota, the address bucket the fan's)
    burst_per_key: int = 5_000
    rate_per_address: float = 20.0
    burst_per_address: int = 200
    metrics_token: str | None = None
    # rendered public responses kept per process (boxoffice/http/publicreads.py)
    response_cache_mb: int = 32
    # on-sale waiting room: fans admitted per second per show, how long an admission lasts
    admission_rate: float = 50.0
    admission_seconds: int = 600
    # browse reads from a streaming replica (boxoffice/replica.py); booking never reads it
    database_read_url: str | None = None
    # GraphiQL headers pre-filled only in dev (GRAPHIQL=off is `graphiql` above)
    graphiql_headers: dict[str, str] = field(default_factory=dict)
    # the sandbox gateway's injected faults, for drills (boxoffice/payments/sandbox.py)
    sandbox_latency_seconds: tuple[float, float] = (0.0, 0.0)
    sandbox_failure_rate: float = 0.0

    @classmethod
    def from_env(cls) -> Settings:
        origins = tuple(o for o in os.environ.get("ALLOWED_ORIGINS", "").split(",") if o)
        return cls(
            database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            redis_url=os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
            redis_sentinels=_sentinels(os.environ.get("REDIS_SENTINELS", "")),
            redis_sentinel_master=os.environ.get("REDIS_SENTINEL_MASTER") or "boxoffice",
            secret_key=os.environ.get("SECRET_KEY") or _DEV_SECRET,
            hold_seconds=_int("HOLD_SECONDS", 300),
            offer_seconds=_int("OFFER_SECONDS", 300),
            rate_limits_enabled=_bool_off("RATE_LIMITS"),
            reserve_limit_per_user=_int("RESERVE_LIMIT_PER_USER", 30),
            reserve_window_seconds=_int("RESERVE_WINDOW_SECONDS", 60),
            confirm_limit_per_card=_int("CONFIRM_LIMIT_PER_CARD", 10),
            confirm_window_seconds=_int("CONFIRM_WINDOW_SECONDS", 600),
            db_pool_min=_int("DB_POOL_MIN", 2),
            db_pool_max=_int("DB_POOL_MAX", 20),
            lock_timeout_ms=_int("LOCK_TIMEOUT_MS", 2000),
            payment_grace_seconds=min(max(_int("PAYMENT_GRACE_SECONDS", 10), 1), 120),
            payment_gateway_timeout_seconds=float(
                os.environ.get("PAYMENT_GATEWAY_TIMEOUT_SECONDS") or 4.0),
            allowed_origins=origins,
            smtp_url=os.environ.get("SMTP_URL") or None,
            notification_channel=os.environ.get(
                "NOTIFICATION_CHANNEL", "email" if os.environ.get("SMTP_URL") else "log"
            ),
            smtp_from=os.environ.get("SMTP_FROM") or "BoxOffice <tickets@boxoffice.local>",
            notify_max_attempts=_int("NOTIFY_MAX_ATTEMPTS", 6),
            notify_backoff_seconds=_float("NOTIFY_BACKOFF_SECONDS", 2.0),
            notify_backoff_max_seconds=_float("NOTIFY_BACKOFF_MAX_SECONDS", 300.0),
            sandbox_latency_seconds=_range("SANDBOX_LATENCY_SECONDS"),
            sandbox_failure_rate=_float("SANDBOX_FAILURE_RATE", 0.0),
            ticket_signing_keys=os.environ.get("TICKET_SIGNING_KEYS") or None,
            **_surface_from_env(),
            response_cache_mb=_int("RESPONSE_CACHE_MB", 32),
            admission_rate=_float("ADMISSION_RATE", 50.0),
            admission_seconds=_int("ADMISSION_SECONDS", 600),
            database_read_url=os.environ.get("DATABASE_READ_URL") or None,
            booking_isolation=_isolation(),
            graphiql_headers=_graphiql_headers(),
        )


def _sentinels(raw: str) -> tuple[tuple[str, int], ...]:
    """`host:port,host:port` (the port defaults to Sentinel's 26379)."""
    found = []
    for item in (i.strip() for i in raw.split(",")):
        if item:
            host, _, port = item.rpartition(":") if ":" in item else (item, "", "26379")
            found.append((host.strip("[]"), int(port)))
    return tuple(found)


def _range(name: str) -> tuple[float, float]:
    """`0.5` (fixed) or `0.2-1.5` (uniform between): seconds."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return (0.0, 0.0)
    lo, _, hi = raw.partition("-")
    return (float(lo), float(hi or lo))


def _surface_from_env() -> dict[str, Any]:
    old = [*os.environ.get("SECRET_KEYS_OLD", "").split(","),
           os.environ.get("SECRET_KEY_PREVIOUS", "")]
    return dict(
        env=os.environ.get("BOXOFFICE_ENV", "production").strip().lower(),
        secret_keys_old=tuple(k for k in (o.strip() for o in old) if k),
        graphiql=_bool_off("GRAPHIQL"),
        introspection=_bool_off("INTROSPECTION"),
        ws_deflate=os.environ.get("WS_DEFLATE", "off").strip().lower() in {"on", "true", "1",
                                                                          "yes"},
        max_body_bytes=_int("MAX_BODY_BYTES", 1 << 20),
        max_query_chars=_int("MAX_QUERY_CHARS", 20_000),
        max_query_tokens=_int("MAX_QUERY_TOKENS", 2_000),
        query_cost_budget=_int("QUERY_COST_BUDGET", 25_000),
        query_max_depth=_int("QUERY_MAX_DEPTH", 20),
        query_max_aliases=_int("QUERY_MAX_ALIASES", 30),
        query_time_budget_seconds=_float("QUERY_TIME_BUDGET_SECONDS", 10.0),
        rate_per_key=_float("RATE_PER_KEY", 1_000.0),
        burst_per_key=_int("BURST_PER_KEY", 5_000),
        rate_per_address=_float("RATE_PER_ADDRESS", 20.0),
        burst_per_address=_int("BURST_PER_ADDRESS", 200),
        metrics_token=os.environ.get("METRICS_TOKEN") or None,
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()


def reset_settings_cache() -> None:
    """Tests change the environment; this makes the next `get_settings()` re-read it."""
    get_settings.cache_clear()
