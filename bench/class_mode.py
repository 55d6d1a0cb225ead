"""Class mode under a class: one teacher and N students as websocket clients speaking Streamlit's own
protocol to real app servers (what a browser tab sends: reruns, fragment ticks, widget values; no
browser, no chart drawing). Measures (1) the time from the teacher's step-size move to each student's
session finishing the run that shows it, and (2) the time from a student's answer to the teacher's
tally counting it. One server (in-process rooms), or two servers sharing rooms through a redis-server
of the bench's own (students split between them, the teacher on the first). With ``--browsers K``, K
more students join in real headless Chromium tabs (bench/browser's instrumented sessions, on the
last server), and (3) the time from the move to each tab's charts showing other data is measured too.

    .venv/bin/python -m bench.class_mode --students 28 --browsers 2 [--redis]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

import websockets
from playwright.async_api import async_playwright
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.browser.session import new_session
from harness import server
from harness.server import CHROMIUM, CHROMIUM_ARGS
from lessons.classroom.redis_rooms import local_redis_server

MOVES = ("0.1", "0.05", "0.1", "0.05", "0.1", "0.05")  # the teacher's step sizes, one move each
SETTLE_S = 3.0  # between two moves: every student is in step again well before
WAIT_S = 30.0  # a student who has not shown a move after this long counts as a miss
JOIN_WAIT_S = 300.0  # every student in step after joining (each arrival is a few whole-page runs)
ANSWER_SPREAD_S = 4.0  # students answer at random moments over this long
FOLLOW_TARGET_S, TALLY_TARGET_S = 1.5, 2.0


class Client:
    """One browser tab as the server sees it: the page it is on, its address, its widgets (label or
    key -> id, fragment), the auto-rerun fragments it ticks, and what it was shown when."""

    def __init__(self, ws_url: str, cookie: str = "") -> None:
        self.ws_url, self.cookie, self.page_hash, self.query = ws_url, cookie, "", ""
        self.replica = ""  # which replica a proxy sent the websocket to (its X-Lab-Replica header)
        self.widgets: dict[str, tuple[str, str, list[str]]] = {}  # name -> (id, fragment id, options)
        self.texts: list[tuple[float, str]] = []  # (when, markdown or html body)
        self.queries: list[tuple[float, str]] = []  # (when the run that wrote it finished, query)
        self._pending_query: str | None = None
        self._ticks: dict[str, asyncio.Task] = {}
        self._socket = None
        self._reader: asyncio.Task | None = None

    async def open(self, page: str, query: str) -> None:
        headers = {"Cookie": self.cookie} if self.cookie else None
        self._socket = await websockets.connect(
            self.ws_url, subprotocols=["streamlit"], additional_headers=headers, max_size=None
        )
        self.replica = self._socket.response.headers.get("X-Lab-Replica", "")
        self._reader = asyncio.create_task(self._read())
        self.query = query
        await self._send(page_name=page)

    async def close(self) -> None:
        if self._socket is None:  # never opened
            return
        for task in (*self._ticks.values(), self._reader):
            task.cancel()
        await self._socket.close()

    async def click(self, name: str) -> None:
        widget_id, fragment, _ = self.widgets[name]
        state = {"id": widget_id, "trigger_value": True}
        await self._send(widget_states=[state], fragment_id=fragment)

    async def select(self, name: str, option: str) -> None:
        widget_id, fragment, options = self.widgets[name]
        assert option in options, (option, options)
        state = {"id": widget_id, "string_array_value": [option]}
        await self._send(widget_states=[state], fragment_id=fragment)

    async def _send(self, *, page_name: str = "", widget_states=(), fragment_id: str = "", auto=False):
        message = BackMsg()
        client = message.rerun_script
        client.query_string, client.page_script_hash, client.page_name = self.query, self.page_hash, page_name
        client.fragment_id, client.is_auto_rerun = fragment_id, auto
        for state in widget_states:
            widget = client.widget_states.widgets.add()
            widget.id = state["id"]
            if "trigger_value" in state:
                widget.trigger_value = True
            else:
                widget.string_array_value.data.extend(state["string_array_value"])
        await self._socket.send(message.SerializeToString())

    async def _read(self) -> None:
        async for data in self._socket:
            self._receive(ForwardMsg.FromString(data), time.perf_counter())

    def _receive(self, message: ForwardMsg, now: float) -> None:
        kind = message.WhichOneof("type")
        if kind == "navigation":  # the page this run is for (new_session names the main script)
            self.page_hash = message.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = self._pending_query = message.page_info_changed.query_string
        elif kind == "script_finished" and self._pending_query is not None:
            self.queries.append((now, self._pending_query))
            self._pending_query = None
        elif kind == "auto_rerun" and message.auto_rerun.fragment_id not in self._ticks:
            rerun = message.auto_rerun
            self._ticks[rerun.fragment_id] = asyncio.create_task(
                self._tick(rerun.fragment_id, rerun.interval)
            )
        elif kind == "stop_auto_rerun":
            for task in self._ticks.values():
                task.cancel()
            self._ticks.clear()
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            self._element(message.delta.new_element, message.delta.fragment_id, now)

    def _element(self, element, fragment: str, now: float) -> None:
        kind = element.WhichOneof("type")
        if kind == "button":
            self.widgets[element.button.label] = (element.button.id, fragment, [])
        elif kind == "slider":
            name = element.slider.id.rsplit("-", 1)[-1]
            self.widgets[name] = (element.slider.id, fragment, list(element.slider.options))
        elif kind in {"markdown", "html"}:
            self.texts.append((now, getattr(element, kind).body))

    async def _tick(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self._send(fragment_id=fragment_id, auto=True)

    async def wait_for(self, test, timeout: float = WAIT_S) -> None:
        deadline = time.perf_counter() + timeout
        while not test():
            if time.perf_counter() > deadline:
                raise TimeoutError("the page never showed what was awaited")
            await asyncio.sleep(0.05)


def step_in(query: str) -> str | None:
    found = re.search(r"(?:^|&)step_size=([^&]+)", query)
    return found.group(1) if found else None


class BrowserStudent:
    """A student in a real headless Chromium tab (bench/browser's instrumented session), for the time
    from the teacher's move to the moment this tab's charts show other data (lab.js)."""

    def __init__(self, session) -> None:
        self.session = session

    async def mark(self) -> None:
        await self.session.page.evaluate("() => window.__lab.mark()")

    async def shown_at(self, deadline: float) -> float | None:
        """When (time.time() seconds) a chart first changed after ``mark``, or None by ``deadline``."""
        page = self.session.page
        while True:  # read at least once: the page keeps the time, so a late look still finds it
            changed = await page.evaluate(
                "() => window.__lab.firstChange === null ? null"
                " : (performance.timeOrigin + window.__lab.firstChange) / 1000"
            )
            if changed is not None:
                return changed if changed <= deadline else None
            if time.time() >= deadline:
                return None
            await asyncio.sleep(0.05)


async def open_browsers(playwright, base: str, code: str, count: int) -> tuple[object, list[BrowserStudent]]:
    """``count`` Chromium tabs joined with the class link, their charts drawn."""
    if not count:
        return None, []
    browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    tabs = [await new_session(browser, f"{base}/?class={code}") for _ in range(count)]
    for tab in tabs:  # on the teacher's page (lesson 1), its animated chart drawn, the run over
        await tab.page.wait_for_function(
            "() => location.pathname.endsWith('/langevin') && window.__lab.cloud() !== undefined"
            " && window.__lab.loaded()",
            timeout=120_000,
        )
    return browser, [BrowserStudent(tab) for tab in tabs]


async def start_class(teacher: Client) -> str:
    """Open lesson 1 at 200 particles as ``teacher`` and press "Start a class"; -> the class code."""
    await teacher.open("langevin", "particles=200")
    await teacher.wait_for(lambda: "Start a class" in teacher.widgets and teacher.queries)
    await teacher.click("Start a class")
    await teacher.wait_for(lambda: any("Class code" in text for _, text in teacher.texts))
    return next(
        re.search(r"\*\*([A-Z0-9]{6})\*\*", t).group(1) for _, t in teacher.texts if "Class code" in t
    )


async def class_run(urls: list[str], students: int, browsers: int = 0) -> dict:
    async with async_playwright() as playwright:
        return await _class_run(urls, students, browsers, playwright)


async def _class_run(urls: list[str], students: int, browsers: int, playwright) -> dict:
    teacher = Client(urls[0])
    code = await start_class(teacher)
    pupils = [Client(urls[index % len(urls)]) for index in range(students)]
    for pupil in pupils:
        await pupil.open("", f"class={code}")
        await asyncio.sleep(0.2)  # students arrive one after another
    for pupil in pupils:
        await pupil.wait_for(lambda p=pupil: step_in(p.query) == step_in(teacher.query), timeout=JOIN_WAIT_S)
    base = urls[-1].replace("ws://", "http://").removesuffix("/_stcore/stream")
    browser, tabs = await open_browsers(playwright, base, code, browsers)
    follow, drawn = await moves(teacher, pupils, tabs)
    print(
        f"teacher move -> student shows it: {summary(follow)} (target p95 <= {FOLLOW_TARGET_S} s)", flush=True
    )
    if tabs:
        print(f"teacher move -> a browser student's chart changes: {summary(drawn)}", flush=True)
    tally = await answers(teacher, pupils)
    for client in (teacher, *pupils):
        await client.close()
    if browser is not None:
        await browser.close()
    return {"follow": follow, "tally": tally, "drawn": drawn}


async def moves(
    teacher: Client, pupils: list[Client], tabs: list[BrowserStudent]
) -> tuple[list[float], list[float]]:
    """Seconds from each teacher move to each student's run showing it, and to each browser tab's
    charts changing (inf: not within WAIT_S)."""
    latencies, drawn = [], []
    for value in MOVES:
        await asyncio.sleep(SETTLE_S)
        for tab in tabs:
            await tab.mark()
        moved, moved_epoch = time.perf_counter(), time.time()
        await teacher.select("step_size", value)
        shown_at = [None] * len(pupils)
        while None in shown_at and time.perf_counter() < moved + WAIT_S:
            await asyncio.sleep(0.02)
            shown_at = [first_shown(pupil, moved, value, moved + WAIT_S) for pupil in pupils]
        latencies += [shown - moved if shown is not None else float("inf") for shown in shown_at]
        for tab in tabs:
            changed = await tab.shown_at(moved_epoch + WAIT_S)
            drawn.append((changed - moved_epoch) if changed is not None else float("inf"))
    return latencies, drawn


def first_shown(pupil: Client, since: float, value: str, until: float) -> float | None:
    """When ``pupil``'s first run between ``since`` and ``until`` with step size ``value`` finished, if
    one has; each student's record is read on its own, so one slow student does not count the others
    as misses."""
    return next(
        (when for when, query in pupil.queries if since <= when <= until and step_in(query) == value), None
    )


async def answers(teacher: Client, pupils: list[Client]) -> list[float]:
    """Seconds from each student's answer to the teacher's tally counting as many answers."""
    ask = next(name for name in teacher.widgets if name.startswith("Ask: h goes"))
    await teacher.click(ask)
    for pupil in pupils:
        await pupil.wait_for(lambda p=pupil: "Wider" in p.widgets, timeout=JOIN_WAIT_S)
    rng = random.Random(0)
    order = sorted(range(len(pupils)), key=lambda _: rng.random())
    sent = []
    start = time.perf_counter()
    for rank, index in enumerate(order):
        await asyncio.sleep(max(0.0, start + ANSWER_SPREAD_S * rank / len(pupils) - time.perf_counter()))
        sent.append(time.perf_counter())
        await pupils[index].click("Wider")
    await teacher.wait_for(lambda: counted(teacher) >= len(pupils))
    return [tally_time(teacher, rank + 1) - when for rank, when in enumerate(sent)]


def counted(teacher: Client) -> int:
    """The most answers the teacher's tally has shown."""
    return max((int(m.group(1)) for _, text in teacher.texts if (m := ANSWERED.search(text))), default=0)


def tally_time(teacher: Client, count: int) -> float:
    return next(
        when for when, text in teacher.texts if (m := ANSWERED.search(text)) and int(m.group(1)) >= count
    )


ANSWERED = re.compile(r"<small>(\d+) answered</small>")


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    misses = sum(value == float("inf") for value in values)
    return (
        f"median {statistics.median(ordered):.2f} s, p95 {p95:.2f} s, max {ordered[-1]:.2f} s "
        f"({len(values)} samples, {misses} missed)"
    )


def with_servers(count: int, redis_url: str, folder: Path, students: int, browsers: int = 0) -> dict:
    env = dict(server.SERVER_ENV)
    if redis_url:
        server.SERVER_ENV["REDIS_URL"] = redis_url
    try:
        with contextlib.ExitStack() as stack:
            bases = [
                stack.enter_context(server.streamlit_server(folder / f"app{i}.log"))[0] for i in range(count)
            ]
            urls = [base.replace("http://", "ws://") + "/_stcore/stream" for base in bases]
            return asyncio.run(class_run(urls, students, browsers))
    finally:
        server.SERVER_ENV.clear()
        server.SERVER_ENV.update(env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--redis", action="store_true", help="two app servers sharing rooms through Redis")
    parser.add_argument(
        "--browsers",
        type=int,
        default=0,
        help="of the students, this many in real Chromium tabs (charts drawn)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        load = os.getloadavg()
        if args.redis:
            with local_redis_server(Path(folder), server.free_port()) as url:
                result = with_servers(2, url, Path(folder), args.students, args.browsers)
        else:
            result = with_servers(1, "", Path(folder), args.students, args.browsers)
    setup = "two servers + Redis" if args.redis else "one server, in-process rooms"
    print(f"{setup}; {args.students} students; nproc {os.cpu_count()}; load average before {load[0]:.1f}")
    print(
        f"teacher move -> student shows it: {summary(result['follow'])} (target p95 <= {FOLLOW_TARGET_S} s)"
    )
    if result["drawn"]:
        print(f"teacher move -> a browser student's chart changes: {summary(result['drawn'])}")
    print(f"answer -> teacher's tally: {summary(result['tally'])} (target p95 <= {TALLY_TARGET_S} s)")


if __name__ == "__main__":
    main()
