"""Rooms in this process's memory: every session of one app server shares them (the default)."""

from __future__ import annotations

import threading

from lessons.classroom import rooms
from lessons.classroom.rooms import Room
from lessons.classroom.store import Change, RoomStore


class MemoryRooms(RoomStore):
    def __init__(self) -> None:
        self._rooms: dict[str, Room] = {}
        self._lock = threading.Lock()

    def _load(self, code: str) -> Room | None:
        return self._rooms.get(code)

    def _change(self, code: str, change: Change, now: float) -> Room | None:
        with self._lock:
            room = self._rooms.get(code)
            if room is None or rooms.expired(room, now):
                return None
            changed = change(room)
            if changed is not None:
                self._rooms[code] = changed
            return changed

    def _add(self, room: Room, now: float) -> bool | None:
        with self._lock:
            for code in [code for code, old in self._rooms.items() if rooms.expired(old, now)]:
                del self._rooms[code]
            if room.code in self._rooms:
                return False
            if len(self._rooms) >= rooms.MAX_ROOMS:
                return None
            self._rooms[room.code] = room
            return True
