"""The rules of a room, on both stores (in-process, and Redis from test_classroom_redis.py's
fixture): only the teacher key drives it, an old update is ignored, rooms and members are bounded,
an idle room is gone, each member's answer counts once."""

from __future__ import annotations

import pytest
from test_classroom_redis import clean_redis, redis_url  # noqa: F401  (the Redis fixtures)

from lessons.classroom import rooms
from lessons.classroom.memory import MemoryRooms
from lessons.classroom.redis_rooms import RedisRooms
from lessons.classroom.rooms import Broadcast

NOW = 1_000_000.0


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        return MemoryRooms()
    return RedisRooms(request.getfixturevalue("clean_redis"))


def driven_room(store) -> tuple[str, str]:
    code, key = store.open(NOW)
    assert store.publish(rooms.signed(key, code, 1, Broadcast(page="langevin")), NOW)
    return code, key


def test_a_room_code_is_short_and_readable_off_a_projector(store):
    code, _ = store.open(NOW)
    assert len(code) == rooms.CODE_LENGTH and set(code) <= set(rooms.CODE_ALPHABET)
    assert rooms.normal_code(f" {code[:3].lower()}-{code[3:]} ") == code


def test_an_update_signed_with_another_key_is_ignored(store):
    code, _ = driven_room(store)
    forged = rooms.signed("not the key", code, 2, Broadcast(page="duality"))
    assert not store.publish(forged, NOW)
    assert store.view(code, NOW).broadcast.page == "langevin"


def test_an_update_whose_broadcast_was_changed_after_signing_is_ignored(store):
    code, key = driven_room(store)
    update = rooms.signed(key, code, 2, Broadcast(page="forward"))
    tampered = rooms.Update(code, 2, Broadcast(page="duality"), update.signature)
    assert not store.publish(tampered, NOW)


def test_a_replayed_update_is_ignored(store):
    code, key = driven_room(store)
    old = rooms.signed(key, code, 2, Broadcast(page="forward"))
    assert store.publish(old, NOW)
    assert store.publish(rooms.signed(key, code, 3, Broadcast(page="backward")), NOW)
    assert not store.publish(old, NOW)
    assert store.view(code, NOW).broadcast.page == "backward"


def test_an_update_for_one_room_cannot_drive_another(store):
    code, key = driven_room(store)
    other, _ = driven_room(store)
    assert not store.publish(
        rooms.Update(other, 5, Broadcast(), rooms.signed(key, code, 5, Broadcast()).signature), NOW
    )


def test_the_number_of_rooms_is_bounded_and_an_idle_room_frees_its_place(store):
    for _ in range(rooms.MAX_ROOMS):
        assert store.open(NOW) is not None
    assert store.open(NOW) is None
    assert store.open(NOW + rooms.IDLE_SECONDS + 1) is not None


def test_the_number_of_members_is_bounded(store):
    code, _ = store.open(NOW)
    members = [store.join(code, NOW) for _ in range(rooms.MAX_MEMBERS)]
    assert all(members) and len(set(members)) == rooms.MAX_MEMBERS
    assert store.join(code, NOW) is None
    assert store.view(code, NOW).members == rooms.MAX_MEMBERS


def test_an_idle_room_expires_and_activity_keeps_it(store):
    code, key = store.open(NOW)
    later = NOW + rooms.IDLE_SECONDS * 0.9
    assert store.publish(rooms.signed(key, code, 1, Broadcast(page="forward")), later)
    assert store.view(code, later + rooms.IDLE_SECONDS * 0.9) is not None
    assert store.view(code, later + rooms.IDLE_SECONDS + 1) is None
    assert store.join(code, later + rooms.IDLE_SECONDS + 1) is None


def test_answers_count_each_member_once_only_for_the_open_question_until_it_is_revealed(store):
    code, key = store.open(NOW)
    first, second = store.join(code, NOW), store.join(code, NOW)
    assert not store.answer(code, first, "q", "Wider", NOW)  # no question open yet
    assert store.publish(rooms.signed(key, code, 1, Broadcast(question="q")), NOW)
    assert store.answer(code, first, "q", "Narrower", NOW)
    assert store.answer(code, first, "q", "Wider", NOW)
    assert store.answer(code, second, "q", "Wider", NOW)
    assert not store.answer(code, "made-up member", "q", "Wider", NOW)
    assert not store.answer(code, second, "another question", "Wider", NOW)
    assert store.view(code, NOW).tally == {"Wider": 2}
    assert store.publish(rooms.signed(key, code, 2, Broadcast(question="q", revealed=True)), NOW)
    assert not store.answer(code, first, "q", "Narrower", NOW)
    assert store.publish(rooms.signed(key, code, 3, Broadcast(question="next")), NOW)
    assert store.view(code, NOW).tally == {}  # a new question starts from no answers


def test_a_view_holds_neither_the_key_nor_member_tokens(store):
    code, key = store.open(NOW)
    member = store.join(code, NOW)
    text = repr(store.view(code, NOW))
    assert key not in text and member not in text


def test_a_room_survives_its_json_form():
    room = rooms.new_room("ABCDEF", NOW)
    room = rooms.joined(room, "m1", NOW)
    room = rooms.published(
        room, rooms.signed(room.key, "ABCDEF", 1, Broadcast("forward", (("h", "1"),), 3)), NOW
    )
    assert rooms.from_json(rooms.to_json(room)) == room
