"""The room store every session of this process uses: Redis when ``REDIS_URL`` is set (rooms shared
by every app process using that Redis), otherwise this process's memory."""

from __future__ import annotations

import functools
import os

from lessons.classroom.memory import MemoryRooms
from lessons.classroom.store import RoomStore


def room_store() -> RoomStore:
    return _store_for(os.environ.get("REDIS_URL", ""))


@functools.cache
def _store_for(redis_url: str) -> RoomStore:
    if not redis_url:
        return MemoryRooms()
    from lessons.classroom.redis_rooms import RedisRooms  # the redis client is needed only then

    return RedisRooms(redis_url)
