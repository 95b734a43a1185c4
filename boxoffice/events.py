"""Pub/sub channel names shared by the publishers (services/seatevents.py) and the realtime
hub (boxoffice/realtime/, over redis-py's PubSub). Redis pub/sub is at most once, so
every seat event carries the show's version and subscribers resync on a gap. The names
themselves live with every other Redis name in boxoffice/rediskeys.py.
"""

from __future__ import annotations

from boxoffice.rediskeys import queue_channel, reservation_channel, room_channel, seats_channel

__all__ = ["queue_channel", "reservation_channel", "room_channel", "seats_channel"]
