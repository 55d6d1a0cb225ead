"""Two replicas behind HAProxy, as `make serve REPLICAS=2` starts them (deploy/serve.py): a websocket
session runs a lesson through the proxy, static files come through it, an upload reaches the
replica that holds the uploader's session (the affinity cookie), where the other replica refuses it,
and a class started on one replica is followed by a student on the other (the Redis serve.py starts).

Needs the Debian haproxy and redis-server packages: skipped with one line when haproxy is missing,
failed under CI=true.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from bench import class_mode, load
from harness.server import ROOT, free_port

START_TIMEOUT_S = 300.0  # two cold replicas on a busy 2-core machine
REPLICAS = ("replica1", "replica2")
AFFINITY = "LAB_REPLICA"
XSRF = "_streamlit_xsrf"


def require_haproxy() -> None:
    if shutil.which("haproxy"):
        return
    reason = "no haproxy (.ci/run installs the Debian package)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"proxy tests must run under CI=true, but: {reason}", pytrace=False)
    pytest.skip(f"proxy tests skipped: {reason}", allow_module_level=True)


require_haproxy()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory) -> Iterator[str]:
    """The proxy's base URL, with two healthy replicas behind it."""
    scratch = tmp_path_factory.mktemp("proxy")
    port = free_port()
    command = [
        *(sys.executable, "-m", "deploy.serve", "--replicas", "2"),
        *("--address", "127.0.0.1", "--port", str(port), "--config", str(scratch / "haproxy.cfg")),
    ]
    with (scratch / "serve.log").open("w") as log:
        serving = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_both_replicas(base, serving, scratch / "serve.log")
        yield base
    finally:
        serving.terminate()
        serving.wait(timeout=30)


def wait_for_both_replicas(base: str, serving: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert serving.poll() is None, log.read_text()[-3000:]
        answered = {replica: answers(base, replica) for replica in REPLICAS}
        if all(answered.values()):
            return
        time.sleep(1.0)
    raise AssertionError(f"the replicas were not healthy in time:\n{log.read_text()[-3000:]}")


def answers(base: str, replica: str) -> bool:
    try:
        reply = requests.get(f"{base}/_stcore/health", cookies={AFFINITY: replica}, timeout=5)
    except requests.RequestException:
        return False
    return reply.status_code == 200 and reply.headers.get("X-Lab-Replica") == replica


def first_visit(base: str) -> requests.Session:
    """A browser's first requests: the page (which sets the affinity cookie), then the health check
    its script makes (which sets the XSRF cookie)."""
    browser = requests.Session()
    assert browser.get(f"{base}/", timeout=30).status_code == 200
    assert browser.get(f"{base}/_stcore/health", timeout=30).status_code == 200
    assert browser.cookies.get(AFFINITY) in REPLICAS
    return browser


def run_apart(coroutine: Coroutine):
    """``asyncio.run(coroutine)`` on a thread of its own: after the browser tests, Playwright's event
    loop is running on this one, where asyncio.run refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def cookie_header(browser: requests.Session) -> str:
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


async def lesson_session(base: str, cookie: str) -> load.Session:
    """Open lesson 4 over the proxy's websocket, move its step size once; -> the session."""
    async with await load.connect(base, cookie) as socket:
        session = load.Session(socket, "backward", {})
        _, errors, _ = await session.rerun()
        assert errors == []
        _, errors, _ = await session.move(load.SLIDER)
        assert errors == []
        return session


def test_a_websocket_session_runs_a_lesson_and_moves_a_slider_through_the_proxy(proxy):
    browser = first_visit(proxy)
    session = run_apart(lesson_session(proxy, cookie_header(browser)))
    assert session.session_id
    assert {"Particles", load.SLIDER} <= set(session.sliders)


def test_static_files_come_through_the_proxy(proxy):
    (bundle,) = (ROOT / "static").glob("plotly-*.min.js")
    reply = requests.get(f"{proxy}/app/static/{bundle.name}", timeout=30)
    assert reply.status_code == 200
    assert reply.content == bundle.read_bytes()


def upload(base: str, browser: requests.Session, session_id: str, replica: str) -> int:
    """PUT a small CSV for ``session_id`` with the affinity cookie of ``replica``; -> HTTP status."""
    cookies = {**browser.cookies.get_dict(), AFFINITY: replica}
    reply = requests.put(
        f"{base}/_stcore/upload_file/{session_id}/points-1",
        files={"file": ("points.csv", b"x,y\n0,0\n1,1\n2,0\n0,2\n1,3\n", "text/csv")},
        headers={"X-Xsrftoken": browser.cookies[XSRF]},
        cookies=cookies,
        timeout=30,
    )
    return reply.status_code


def test_an_upload_reaches_the_replica_that_holds_the_session(proxy):
    browser = first_visit(proxy)
    own = browser.cookies[AFFINITY]
    (other,) = set(REPLICAS) - {own}

    async def uploads() -> tuple[int, int]:
        async with await load.connect(proxy, cookie_header(browser)) as socket:  # the session stays open
            session = load.Session(socket, "own-data", {})
            await session.rerun()
            return await asyncio.to_thread(
                lambda: (
                    upload(proxy, browser, session.session_id, own),
                    upload(proxy, browser, session.session_id, other),
                )
            )

    to_own, to_other = run_apart(uploads())
    assert to_own == 204
    assert to_other == 400  # the other replica has no such session: affinity is what makes uploads work


async def follow_across_replicas(base: str) -> tuple[class_mode.Client, class_mode.Client]:
    """A teacher on replica1 starts a class and moves the step size to 0.1; a student on replica2
    joins with the code; -> both, once the student's page shows h = 0.1 (TimeoutError if never)."""
    stream = load.stream_url(base)
    teacher = class_mode.Client(stream, cookie=f"{AFFINITY}=replica1")
    student = class_mode.Client(stream, cookie=f"{AFFINITY}=replica2")
    try:
        code = await class_mode.start_class(teacher)
        await student.open("", f"class={code}")
        await student.wait_for(lambda: "step_size" in student.widgets, timeout=60)
        await teacher.select("step_size", "0.1")
        await student.wait_for(lambda: class_mode.step_in(student.query) == "0.1", timeout=60)
    finally:
        for client in (teacher, student):
            await client.close()
    return teacher, student


def test_a_student_on_the_other_replica_follows_the_teachers_class(proxy):
    teacher, student = run_apart(follow_across_replicas(proxy))
    assert (teacher.replica, student.replica) == ("replica1", "replica2")
