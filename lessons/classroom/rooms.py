"""A class room as plain data, and the rules every backend applies to it (no Streamlit, no I/O).

The teacher's screen is a ``Broadcast``; the teacher changes it only through an ``Update`` signed with
the room's teacher key (HMAC-SHA256) and numbered past the room's last one, so a forged update (wrong
key) or a replayed one (an old number) changes nothing. Students are anonymous random member tokens;
a member's answer to the open question replaces its earlier one, so each student counts once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass, replace

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read off a projector
CODE_LENGTH = 6
MAX_ROOMS = 50
MAX_MEMBERS = 150
IDLE_SECONDS = 2 * 3600.0  # a room nobody touched for this long is gone
MAX_QUERY_CHARS = 20_000  # own data in a setting makes the query long; anything longer is refused
MAX_CHOICE_CHARS = 40


@dataclass(frozen=True)
class Broadcast:
    """What the teacher shows: the page, its settings in URL form, the time slider's frame, the open
    question ("" for none) and whether its answer is revealed."""

    page: str = "home"
    query: tuple[tuple[str, str], ...] = ()
    frame: int | None = None
    question: str = ""
    revealed: bool = False


@dataclass(frozen=True)
class Update:
    """A new broadcast for room ``code``, numbered ``seq`` and signed with the teacher key."""

    code: str
    seq: int
    broadcast: Broadcast
    signature: str


@dataclass(frozen=True)
class Room:
    """A room as the backend stores it; ``key`` never leaves the backend but to its teacher."""

    code: str
    key: str
    seq: int
    broadcast: Broadcast
    members: frozenset[str]
    answers: tuple[tuple[str, str], ...]  # (member, choice) for the open question
    active: float  # when anyone last used the room (time.time())


@dataclass(frozen=True)
class RoomView:
    """What a session may read of a room: no key, no member tokens."""

    code: str
    seq: int
    broadcast: Broadcast
    tally: dict[str, int]
    members: int


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_room(code: str, now: float) -> Room:
    return Room(code, secrets.token_urlsafe(18), 0, Broadcast(), frozenset(), (), now)


def normal_code(text: str) -> str:
    """A typed room code as stored: upper case, without spaces or dashes."""
    return "".join(char for char in text.upper() if char.isalnum())


def signed(key: str, code: str, seq: int, broadcast: Broadcast) -> Update:
    return Update(code, seq, broadcast, _signature(key, code, seq, broadcast))


def _signature(key: str, code: str, seq: int, broadcast: Broadcast) -> str:
    message = json.dumps([code, seq, asdict(broadcast)], sort_keys=True, separators=(",", ":"))
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def is_teacher(room: Room, key: str) -> bool:
    return hmac.compare_digest(room.key.encode(), key.encode())


def published(room: Room, update: Update, now: float) -> Room | None:
    """The room after the teacher's ``update``, or None when it is forged, replayed or too large.
    Opening another question clears the answers."""
    expected = _signature(room.key, update.code, update.seq, update.broadcast)
    if (
        update.code != room.code
        or update.seq <= room.seq
        or not hmac.compare_digest(expected, update.signature)
    ):
        return None
    if sum(len(name) + len(value) for name, value in update.broadcast.query) > MAX_QUERY_CHARS:
        return None
    answers = room.answers if update.broadcast.question == room.broadcast.question else ()
    return replace(room, seq=update.seq, broadcast=update.broadcast, answers=answers, active=now)


def joined(room: Room, member: str, now: float) -> Room | None:
    """The room with ``member`` in it, or None when it is full."""
    if member not in room.members and len(room.members) >= MAX_MEMBERS:
        return None
    return replace(room, members=room.members | {member}, active=now)


def answered(room: Room, member: str, question: str, choice: str, now: float) -> Room | None:
    """The room with ``member``'s answer to the open ``question`` (replacing an earlier one), or None
    when the member is unknown, the question is not the open one or is revealed already."""
    open_question = room.broadcast.question
    if member not in room.members or not open_question or question != open_question:
        return None
    if room.broadcast.revealed or not choice or len(choice) > MAX_CHOICE_CHARS:
        return None
    answers = tuple(sorted({**dict(room.answers), member: choice}.items()))
    return replace(room, answers=answers, active=now)


def expired(room: Room, now: float) -> bool:
    return now - room.active > IDLE_SECONDS


def view(room: Room) -> RoomView:
    tally: dict[str, int] = {}
    for _, choice in room.answers:
        tally[choice] = tally.get(choice, 0) + 1
    return RoomView(room.code, room.seq, room.broadcast, tally, len(room.members))


def to_json(room: Room) -> str:
    fields = {**asdict(room), "members": sorted(room.members)}
    return json.dumps(fields, separators=(",", ":"))


def from_json(text: str) -> Room:
    fields = json.loads(text)
    broadcast = fields["broadcast"]
    return Room(
        code=fields["code"],
        key=fields["key"],
        seq=fields["seq"],
        broadcast=Broadcast(**{**broadcast, "query": tuple(tuple(pair) for pair in broadcast["query"])}),
        members=frozenset(fields["members"]),
        answers=tuple(tuple(pair) for pair in fields["answers"]),
        active=fields["active"],
    )
