"""Every Redis key and pub/sub channel name of boxoffice, in one place.

Everything that belongs to one show carries the hash tag `{show:ID}`: Redis Cluster hashes only
the tag, so all of a show's keys and channels share one slot. A Lua script may then touch any
of one show's keys in a single call, and a cluster shards the load by show. The family comes
first so one family can be scanned (`queue:{show:*}`):

    seatmap:{show:ID}:version|bits|index|meta|maxrun|closed|refresh   seat-map cache
    queue:{show:ID}, queue:{show:ID}:wants|seq                        the waiting queue
    room:{show:ID}:line|admitted|state                                the on-sale waiting room
    events:{show:ID}:seats|queue|room, events:{show:ID}:reservation:R pub/sub channels

Global by design (no show, or many): `rooms:active` (the shows whose room the worker
advances), `catalog:epoch` (moved by catalog-wide changes), `apq:SHA256` (persisted queries),
`rl:…` (rate limits per user, card, address and API key), the payment sandbox's `sandbox:…`,
arq's own keys (`arq:…`, job ids such as `expire:R` and `notify:N`) and each hub's
`boxoffice:hub:UUID:health` channel.

Pub/sub channels are global to a Redis server (SELECT does not separate them): deployments
sharing a server on different databases (tests, benchmarks, staging) would receive each other's
events for the same show ids, so channels outside db 0 carry the db (`db3:events:{show:7}:seats`).
The prefix sits outside the hash tag, so the slot is the show's either way.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from boxoffice.settings import get_settings


def show_tag(show_id: int) -> str:
    """The hash tag every key and channel of one show carries."""
    return f"{{show:{show_id}}}"


# ---------------------------------------------------------------------------------------------
# seat-map cache (services/seatcache.py, seatruns.py, showclosed.py, realtime/refresher.py)


def seat_version(show_id: int) -> str:
    return f"seatmap:{show_tag(show_id)}:version"


def seat_bitmap(show_id: int) -> str:
    return f"seatmap:{show_tag(show_id)}:bits"


def seat_index(show_id: int) -> str:
    return f"seatmap:{show_tag(show_id)}:index"


def seat_meta(show_id: int) -> str:
    return f"seatmap:{show_tag(show_id)}:meta"


def seat_max_run(show_id: int) -> str:
    return f"seatmap:{show_tag(show_id)}:maxrun"


def seat_map_closed(show_id: int) -> str:
    return f"seatmap:{show_tag(show_id)}:closed"


def seat_refresh_lock(show_id: int) -> str:
    return f"seatmap:{show_tag(show_id)}:refresh"


# ---------------------------------------------------------------------------------------------
# the waiting queue (services/queue.py, workers/queue.py)


def queue(show_id: int) -> str:
    return f"queue:{show_tag(show_id)}"


def queue_wants(show_id: int) -> str:
    return f"queue:{show_tag(show_id)}:wants"


def queue_seq(show_id: int) -> str:
    return f"queue:{show_tag(show_id)}:seq"


QUEUE_SCAN_MATCH = "queue:{show:*}"  # SCAN MATCH for every show's queue (sorted sets)
_QUEUE_KEY = re.compile(r"^queue:\{show:(\d+)\}$")


def show_of_queue(key: str | bytes) -> int | None:
    """The show id of a `queue(show_id)` key, or None for any other key."""
    m = _QUEUE_KEY.match(key.decode() if isinstance(key, bytes) else key)
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------------------------------------
# the on-sale waiting room (services/waitingroom.py)


def room_line(show_id: int) -> str:
    return f"room:{show_tag(show_id)}:line"


def room_admitted(show_id: int) -> str:
    return f"room:{show_tag(show_id)}:admitted"


def room_state(show_id: int) -> str:
    return f"room:{show_tag(show_id)}:state"


ACTIVE_ROOMS = "rooms:active"  # global: the set of show ids whose room the worker advances

# ---------------------------------------------------------------------------------------------
# global keys

CATALOG_EPOCH = "catalog:epoch"


def persisted_query(sha256: str) -> str:
    return f"apq:{sha256}"


def reserve_limit(user_id: int) -> str:
    return f"rl:reserve:user:{user_id}"


def confirm_limit(card_fingerprint: str) -> str:
    return f"rl:confirm:card:{card_fingerprint}"


def address_bucket(address: str) -> str:
    return f"rl:tb:addr:{address[:64]}"


def api_key_bucket(key_digest: str) -> str:
    return f"rl:tb:key:{key_digest}"


# ---------------------------------------------------------------------------------------------
# pub/sub channels


@lru_cache(maxsize=8)
def _namespace_of(redis_url: str) -> str:
    db = urlsplit(redis_url).path.strip("/")
    return f"db{db}:" if db not in ("", "0") else ""


def _namespace() -> str:
    return _namespace_of(get_settings().redis_url)


def seats_channel(show_id: int) -> str:
    return f"{_namespace()}events:{show_tag(show_id)}:seats"


def queue_channel(show_id: int) -> str:
    return f"{_namespace()}events:{show_tag(show_id)}:queue"


def room_channel(show_id: int) -> str:
    return f"{_namespace()}events:{show_tag(show_id)}:room"


def reservation_channel(show_id: int, reservation_id: int) -> str:
    return f"{_namespace()}events:{show_tag(show_id)}:reservation:{reservation_id}"


_SEATS_CHANNEL = re.compile(r"^(?:db\d+:)?events:\{show:(\d+)\}:seats$")


def show_of_seats_channel(channel: str) -> int | None:
    """The show id of a `seats_channel(show_id)` name, or None for any other channel."""
    m = _SEATS_CHANNEL.match(channel)
    return int(m.group(1)) if m else None
