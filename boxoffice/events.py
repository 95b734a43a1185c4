"""Pub/sub channel names shared by the publishers (services/seatevents.py) and the realtime
hub (boxoffice/realtime/, our interface over broadcaster). Redis pub/sub is at most once, so
every seat event carries the show's version and subscribers resync on a gap.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from boxoffice.settings import get_settings


@lru_cache(maxsize=8)
def _namespace_of(redis_url: str) -> str:
    db = urlsplit(redis_url).path.strip("/")
    return f"db{db}:" if db not in ("", "0") else ""


def _namespace() -> str:
    """Pub/sub channels are global to a Redis server: SELECT does not separate them. Deployments
    sharing a server on different databases (tests, benchmarks, staging) would otherwise receive
    each other's seat events for the same show ids, so channels outside db 0 carry the db."""
    return _namespace_of(get_settings().redis_url)


def seats_channel(show_id: int) -> str:
    return f"{_namespace()}show:{{{show_id}}}:seats"


def queue_channel(show_id: int) -> str:
    return f"{_namespace()}show:{{{show_id}}}:queue"


def reservation_channel(reservation_id: int) -> str:
    return f"{_namespace()}reservation:{reservation_id}"


def room_channel(show_id: int) -> str:
    return f"{_namespace()}show:{{{show_id}}}:room"
