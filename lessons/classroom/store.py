"""Where rooms live: the operations every backend offers, written once over three primitives that
each backend implements (load a room, change one atomically, add one within the bound)."""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import partial

from lessons.classroom import rooms
from lessons.classroom.rooms import Room, RoomView, Update

Change = Callable[[Room], Room | None]  # the room after a change, or None to leave it as it was


class RoomStore(ABC):
    """Rooms shared by every session that reaches this store."""

    def open(self, now: float) -> tuple[str, str] | None:
        """A new room's (code, teacher key), or None when there are MAX_ROOMS already."""
        for _ in range(8):  # a code already taken: draw another
            room = rooms.new_room(rooms.new_code(), now)
            added = self._add(room, now)
            if added is None:
                return None
            if added:
                return room.code, room.key
        return None

    def teaches(self, code: str, key: str, now: float) -> bool:
        room = self._live(code, now)
        return room is not None and rooms.is_teacher(room, key)

    def join(self, code: str, now: float) -> str | None:
        """A new anonymous member token in room ``code``, or None (no such room, or it is full)."""
        member = secrets.token_urlsafe(9)
        return member if self._change(code, partial(rooms.joined, member=member, now=now), now) else None

    def publish(self, update: Update, now: float) -> bool:
        return self._change(update.code, partial(rooms.published, update=update, now=now), now) is not None

    def answer(self, code: str, member: str, question: str, choice: str, now: float) -> bool:
        change = partial(rooms.answered, member=member, question=question, choice=choice, now=now)
        return self._change(code, change, now) is not None

    def view(self, code: str, now: float) -> RoomView | None:
        room = self._live(code, now)
        return None if room is None else rooms.view(room)

    def _live(self, code: str, now: float) -> Room | None:
        room = self._load(code)
        return None if room is None or rooms.expired(room, now) else room

    @abstractmethod
    def _load(self, code: str) -> Room | None:
        """The stored room ``code``, expired or not, or None."""

    @abstractmethod
    def _change(self, code: str, change: Change, now: float) -> Room | None:
        """Apply ``change`` to the live room ``code`` atomically; the new room, or None if there is no
        live room or the change refused."""

    @abstractmethod
    def _add(self, room: Room, now: float) -> bool | None:
        """Store a new room: True, False when its code is taken, None when MAX_ROOMS live rooms exist."""
