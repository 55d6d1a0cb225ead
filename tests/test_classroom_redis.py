"""Class mode on Redis: a real ``redis-server`` (the Debian package) on a free port in a temporary
folder, started by the fixture. Without it the tests skip, and fail under CI=true (.ci/run installs
it). The room rules of test_classroom_rooms.py run on this store too; here, two stores (as two app
processes would hold) share one room."""

from __future__ import annotations

import os

import pytest

from harness.server import free_port
from lessons.classroom import rooms
from lessons.classroom.redis_rooms import RedisRooms, local_redis_server
from lessons.classroom.rooms import Broadcast

NOW = 1_000_000.0


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory):
    """A fresh redis-server for the session, no persistence; its URL. Skips without the program,
    fails instead under CI=true."""
    try:
        with local_redis_server(tmp_path_factory.mktemp("redis"), free_port()) as url:
            yield url
    except FileNotFoundError as missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis tests must run under CI=true, but: {missing}", pytrace=False)
        pytest.skip(str(missing))


@pytest.fixture
def clean_redis(redis_url):
    """The session's Redis, emptied for this test."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    return redis_url


def test_two_processes_stores_share_one_room_and_its_tally(clean_redis):
    teacher_side, student_side = RedisRooms(clean_redis), RedisRooms(clean_redis)
    code, key = teacher_side.open(NOW)
    member = student_side.join(code, NOW)
    assert teacher_side.publish(rooms.signed(key, code, 1, Broadcast(page="forward", question="q")), NOW)
    assert student_side.view(code, NOW).broadcast.page == "forward"
    assert student_side.answer(code, member, "q", "Larger than 1", NOW)
    assert teacher_side.view(code, NOW).tally == {"Larger than 1": 1}
    assert student_side.teaches(code, key, NOW) and not student_side.teaches(code, "guess", NOW)


def test_concurrent_answers_from_many_members_are_all_counted(clean_redis):
    from concurrent.futures import ThreadPoolExecutor

    store = RedisRooms(clean_redis)
    code, key = store.open(NOW)
    members = [store.join(code, NOW) for _ in range(30)]
    assert store.publish(rooms.signed(key, code, 1, Broadcast(question="q")), NOW)
    replicas = [RedisRooms(clean_redis) for _ in range(4)]
    with ThreadPoolExecutor(8) as pool:
        answered = list(
            pool.map(lambda i: replicas[i % 4].answer(code, members[i], "q", "Wider", NOW), range(30))
        )
    assert all(answered)
    assert store.view(code, NOW).tally == {"Wider": 30}
