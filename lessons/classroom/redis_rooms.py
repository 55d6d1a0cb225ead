"""Rooms in Redis (``REDIS_URL``): every app process using the same Redis shares them, so students on
different replicas follow one teacher. A room is one JSON value that expires after IDLE_SECONDS
without a change; a change is an optimistic transaction (WATCH, then MULTI/EXEC, retried when another
process changed the room first). A sorted set of live codes by last activity bounds their number."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import redis

from lessons.classroom import rooms
from lessons.classroom.rooms import Room
from lessons.classroom.store import Change, RoomStore

PREFIX = "langevin-lab:room:"
LIVE = "langevin-lab:rooms"  # sorted set: code -> last activity
RETRIES = 50


class RedisRooms(RoomStore):
    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=5, decode_responses=True)

    def _load(self, code: str) -> Room | None:
        text = self._redis.get(PREFIX + code)
        return None if text is None else rooms.from_json(text)

    def _change(self, code: str, change: Change, now: float) -> Room | None:
        with self._redis.pipeline() as pipe:
            for _ in range(RETRIES):
                try:
                    pipe.watch(PREFIX + code)
                    text = pipe.get(PREFIX + code)
                    room = None if text is None else rooms.from_json(text)
                    if room is None or rooms.expired(room, now):
                        return None
                    changed = change(room)
                    if changed is None:
                        return None
                    pipe.multi()
                    self._store(pipe, changed)
                    pipe.execute()
                    return changed
                except redis.WatchError:
                    continue
                finally:
                    pipe.reset()
        return None

    def _add(self, room: Room, now: float) -> bool | None:
        self._redis.zremrangebyscore(LIVE, "-inf", now - rooms.IDLE_SECONDS)  # rooms gone idle
        with self._redis.pipeline() as pipe:
            for _ in range(RETRIES):
                try:
                    pipe.watch(LIVE)
                    if pipe.exists(PREFIX + room.code):
                        return False
                    if pipe.zcard(LIVE) >= rooms.MAX_ROOMS:
                        return None
                    pipe.multi()
                    self._store(pipe, room)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue
                finally:
                    pipe.reset()
        return None

    @staticmethod
    def _store(pipe: redis.client.Pipeline, room: Room) -> None:
        pipe.set(PREFIX + room.code, rooms.to_json(room), ex=int(rooms.IDLE_SECONDS))
        pipe.zadd(LIVE, {room.code: room.active})


@contextlib.contextmanager
def local_redis_server(folder: Path, port: int, timeout: float = 20.0) -> Iterator[str]:
    """A redis-server of one's own on 127.0.0.1:``port``, keeping nothing on disk (its log in
    ``folder``), for the tests and the benchmark; yields its URL, stops it after. FileNotFoundError
    without the program (Debian package ``redis-server``), RuntimeError if it does not answer."""
    program = shutil.which("redis-server")
    if program is None:
        raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
    log = folder / "redis.log"
    command = [program, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder)]
    command += ["--save", "", "--appendonly", "no", "--logfile", str(log)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_for_ping(redis.Redis.from_url(url), process, log, timeout)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for_ping(client: redis.Redis, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(redis.ConnectionError):
            client.ping()
            return
        time.sleep(0.1)
    text = log.read_text()[-2000:] if log.exists() else ""
    raise RuntimeError(f"redis-server did not answer: {text}")
