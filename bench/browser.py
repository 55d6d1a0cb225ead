"""Interactivity benchmark in a real browser: headless system Chromium driving `streamlit run app.py`.

Every page of the app (read from app.py) is measured where it applies; medians of 10 tries (3 with
--quick). All times are read inside the page (``performance.now()``), so the driver's own delays do
not count:

- cold load: a new browser context (empty HTTP cache, new Streamlit session) opens the page with a new
  seed (the server simulates); navigation start -> first chart drawn, with where the time goes. The
  first 2 tries also reload the page in the same context (a repeat visit: scripts cached);
- slider move: the step-size thumb is focused and ArrowLeft/ArrowRight pressed; keydown -> the animated
  chart holding new data (requestAnimationFrame polling of its frames), at the page defaults and at
  10,000 particles, for new simulations (after a seed bump) and for runs already drawn (cached);
- bytes per slider move: the websocket messages the page receives for one move;
- playback: frames per second while playing (plotly_animatingframe events) with the Play button
  (FRAME_MS per frame) and with ``Plotly.animate`` at frame duration 0, what rendering alone allows;
- classroom: N sessions (browser contexts) on one server, each moving the step size for a minute
  with 1-3 s pauses; errors, latency percentiles, the server's RSS, and the CPU time of the server,
  of the browser and of everything else on the machine. 30 sessions; if that does not hold, three
  more runs bisect for the largest size that holds.

Run from the repository root; rewrites the "browser" section of bench/RESULTS.md. On a 2-core machine
the full run takes about 20 min (80 cold loads, 200 slider moves, 4 classroom minutes plus opening 30
sessions); --quick about 5 min; --tries and --only trim it:

    .venv/bin/python bench/browser.py [--quick] [--tries N] [--only load,slider,fps,classroom]
                                      [--sessions 30,4] [--json raw.json]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: `lessons`, `bench`

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import random
import statistics
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from playwright.async_api import async_playwright

from bench._results import machine_line, write_section
from harness.server import CHROMIUM, CHROMIUM_ARGS, SETTLED, app_pages, page_constants, streamlit_server
from lessons import figures
from lessons.settings import OPTIONS

VIEWPORT = {"width": 1400, "height": 1000}
TIMEOUT_MS = 120_000  # any wait in the single-session measurements
MOVE_TIMEOUT_MS = 30_000  # a classroom move slower than this counts as an error
LOAD_TARGET_S, MOVE_TARGET_MS, MOVE_BIG_TARGET_MS = 2.5, 250.0, 1000.0
BYTES_TARGET, FPS_TARGET, P95_TARGET_S = 1_000_000, 30.0, 2.0
DISPLAY_HZ = 60  # requestAnimationFrame rate of headless Chromium
BIG = 10_000  # particles for the large-cloud slider moves
REPEAT_VISITS = 2  # cold-load tries that also reload the page
STEP_LABEL = OPTIONS["step_size"].label
MOVE_KEYS = ("ArrowLeft", "ArrowRight", "ArrowRight", "ArrowLeft")  # new (h down), cached, new (h up), cached
SEED_BASE = 5000  # seeds the benchmark uses for new simulations: none of the defaults
CLASSROOM_PAGE = "backward"
BASELINE = "WebGL clouds, full redraw per frame (before)"
THINK_S = (1.0, 3.0)  # a student's pause between two moves
OPENING_BATCH = 5  # classroom sessions opened at once (students arriving)
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Instrumentation added to every page before its scripts run: a requestAnimationFrame loop records the
# script state changes, the first chart drawn, and when the animated chart shows data other than what
# mark() saw; keydown/pointerdown times mark the start of an interaction; websocket messages and
# Plotly.react calls are timed. The loop sleeps while nothing is pending (page loaded, idle, no move
# measured) and wakes on input and mark(): running in every idle page it cost 0.025 cores per page,
# three quarters of a core in a classroom of 30.
LAB_JS = """
window.__lab = (() => {
    const lab = {state: null, states: [], firstChart: null, marked: null, changedAt: null, inputAt: null,
                 frames: [], animated: null, seen: null, print: null, messages: [], reacts: [],
                 plotlyReady: null};
    const Native = window.WebSocket;  // arrival time and size of every message the page receives
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener('message', e => lab.messages.push(
                [performance.now(), e.data.byteLength ?? e.data.size ?? e.data.length]));
        }
    };
    let plotly;  // plotly.js sets window.Plotly once evaluated: note when, and time each Plotly.react
    Object.defineProperty(window, 'Plotly', {configurable: true, get: () => plotly, set: P => {
        plotly = P;
        lab.plotlyReady = performance.now();
        const react = P.react;
        P.react = function (...args) {
            const start = performance.now();
            const done = react.apply(this, args);
            Promise.resolve(done).then(() => lab.reacts.push([start, performance.now()]));
            return done;
        };
    }});
    const drawn = g => !!(g._fullData && g._fullData.some(t => t.x && t.x.length));
    const sample = v => !v ? '' : ArrayBuffer.isView(v) ? Array.from(v.slice(0, 4)).join(',')
        : v.bdata ? v.bdata.slice(0, 48) : JSON.stringify(v).slice(0, 48);
    lab.cloud = () => [...document.querySelectorAll('.js-plotly-plot')].find(
        g => g._fullLayout && (g._fullLayout.sliders || []).length);
    // what the animated chart shows: frame count, slider labels, a few coordinates of the last frame
    lab.fingerprint = g => {
        if (g.data === lab.seen) return lab.print;
        const frames = (g._transitionData && g._transitionData._frames) || [];
        const last = frames.length ? frames[frames.length - 1].data.map(d => sample(d.x)).join(';') : '';
        const labels = ((g.layout.sliders || [])[0] || {steps: []}).steps.map(s => s.label).join('|');
        lab.seen = g.data;
        lab.print = [frames.length, labels, last, sample((g.data[0] || {}).z)].join('#');
        return lab.print;
    };
    const scriptState = () => {
        const app = document.querySelector('[data-testid="stApp"]');
        return app ? app.dataset.testScriptState : null;
    };
    let looping = false;
    const wake = () => { if (!looping) { looping = true; requestAnimationFrame(watch); } };
    const pending = () => lab.firstChart === null || lab.state !== 'notRunning'
        || (lab.marked !== null && lab.changedAt === null);
    lab.mark = () => {
        const g = lab.cloud();
        lab.marked = g ? lab.fingerprint(g) : null;
        lab.state = scriptState();
        lab.changedAt = null; lab.messages = []; lab.reacts = []; lab.states = [[lab.state, performance.now()]];
        document.querySelectorAll('.js-plotly-plot').forEach(div => { div.__old = true; });
        wake();
    };
    const input = () => { lab.inputAt = performance.now(); wake(); };
    window.addEventListener('keydown', input, true);
    window.addEventListener('pointerdown', input, true);
    function watch() {
        const now = performance.now();
        const state = scriptState();
        if (state !== lab.state) { lab.states.push([state, now]); lab.state = state; }
        if (lab.firstChart === null && [...document.querySelectorAll('.js-plotly-plot')].some(drawn)) {
            lab.firstChart = now;
        }
        if (lab.changedAt === null && lab.marked !== null) {
            const g = lab.cloud();
            if (g && drawn(g) && lab.fingerprint(g) !== lab.marked) lab.changedAt = now;
        }
        if (pending()) requestAnimationFrame(watch); else looping = false;
    }
    wake();
    lab.listen = () => {
        const g = lab.cloud(); lab.frames = []; lab.animated = null;
        g.removeAllListeners && g.removeAllListeners('plotly_animatingframe');
        g.removeAllListeners && g.removeAllListeners('plotly_animated');
        g.on('plotly_animatingframe', e => lab.frames.push([performance.now(), e.name]));
        g.on('plotly_animated', () => { lab.animated = performance.now(); });
    };
    // the chart's own choice: a full redraw per frame only when a cloud is drawn with WebGL
    lab.redraw = () => lab.cloud().layout.updatemenus[0].buttons[0].args[1].frame.redraw;
    lab.rewind = () => window.Plotly.animate(lab.cloud(), ['0'],
        {frame: {duration: 0, redraw: lab.redraw()}, transition: {duration: 0}, mode: 'immediate'});
    lab.unpaced = () => { window.Plotly.animate(lab.cloud(), null,
        {frame: {duration: 0, redraw: lab.redraw()}, transition: {duration: 0}, fromcurrent: true}); };
    return lab;
})();
"""
PROBLEMS = """() => [...document.querySelectorAll(
    '[data-testid="stException"], [data-testid="stAlertContentError"]')].map(e => e.innerText.slice(0, 200))"""
CHANGED = "() => window.__lab.changedAt !== null && window.__lab.state === 'notRunning'"
FIRST_CHART = "() => window.__lab.firstChart !== null && window.__lab.state === 'notRunning'"
LOAD_TIMES = """() => {
    const lab = window.__lab, nav = performance.getEntriesByType('navigation')[0];
    const first = s => (lab.states.find(([name]) => name === s) || [null, null])[1];
    const resources = performance.getEntriesByType('resource');
    const plotly = resources.find(e => /plotly[^/]*[.]js/.test(e.name));
    const react = lab.reacts.length ? lab.reacts[0] : [null, null];
    return {chart: lab.firstChart, dom: nav.domContentLoadedEventEnd, running: first('running'),
            finished: first('notRunning'), plotly_js: plotly ? plotly.responseEnd : null,
            plotly_asked: plotly ? plotly.startTime : null, plotly_ready: lab.plotlyReady,
            react_start: react[0], react_ms: react[1] - react[0], animated: !!lab.cloud(),
            static_bytes: nav.encodedBodySize + resources.reduce((sum, e) => sum + e.encodedBodySize, 0),
            static_decoded: nav.decodedBodySize + resources.reduce((sum, e) => sum + e.decodedBodySize, 0),
            plotly_bytes: plotly ? plotly.decodedBodySize : null};
}"""
MOVE_TIMES = """() => {
    const lab = window.__lab, start = lab.inputAt, end = lab.changedAt;
    const run = lab.states.find(([s, t]) => s === 'running' && t >= start);
    const messages = lab.messages.filter(([t]) => t >= start && t <= end);
    const reacts = lab.reacts.filter(([a]) => a >= start && a <= end);
    return {ms: end - start, rerun_start: run ? run[1] - start : null,
            last_message: messages.length ? messages[messages.length - 1][0] - start : null,
            react_ms: reacts.length ? Math.max(...reacts.map(([a, b]) => b - a)) : null, reacts: reacts.length,
            replaced: [...document.querySelectorAll('.js-plotly-plot')].filter(div => !div.__old).length,
            charts: document.querySelectorAll('.js-plotly-plot').length};
}"""
# Baseline, the design before: the animated chart re-drawn off-screen with its clouds in WebGL
# (scattergl) and played at frame duration 0 with a full redraw per frame: frames per second.
WEBGL_REPLAY = """async () => {
    const g = window.__lab.cloud(), clone = x => JSON.parse(JSON.stringify(x));
    const clouds = new Set(g.data.map((t, i) => t.meta === 'particles' ? i : -1).filter(i => i >= 0));
    const gl = t => ({...t, type: 'scattergl'});
    const data = g.data.map((t, i) => clouds.has(i) ? gl(clone(t)) : clone(t));
    const frames = g._transitionData._frames.map(f => ({name: f.name, traces: f.traces,
        data: f.data.map((d, k) => clouds.has(f.traces[k]) ? gl(clone(d)) : clone(d))}));
    const div = document.createElement('div');
    div.style.width = g.offsetWidth + 'px';
    document.body.appendChild(div);
    await Plotly.newPlot(div, data, clone(g.layout), {displayModeBar: false});
    await Plotly.addFrames(div, frames);
    const stamps = [];
    div.on('plotly_animatingframe', () => stamps.push(performance.now()));
    await Plotly.animate(div, null, {frame: {duration: 0, redraw: true}, transition: {duration: 0}});
    Plotly.purge(div);
    div.remove();
    const gaps = stamps.slice(1).map((t, k) => t - stamps[k]).sort((a, b) => a - b);
    return {fps: (stamps.length - 1) / ((stamps[stamps.length - 1] - stamps[0]) / 1000),
            gap_ms: gaps[Math.floor(gaps.length / 2)], frames: stamps.length};
}"""
CHART_JSON = """() => { const g = window.__lab.cloud(); return g ? JSON.stringify({data: g.data, layout: g.layout,
    frames: g._transitionData._frames.map(f => ({name: f.name, data: f.data, traces: f.traces}))}).length : 0; }"""


# --------------------------------------------------------------------------- the app and its pages


def page_url(base: str, name: str, **query: object) -> str:
    """The URL of page ``name`` with ``query`` settings."""
    path = "" if name == "home" else name
    return f"{base}/{path}?{urllib.parse.urlencode(query)}" if query else f"{base}/{path}"


# --------------------------------------------------------------------------- a session in the browser


@dataclass
class Session:
    """One browser context with one page of the app, instrumented; bytes = websocket bytes received."""

    context: object
    page: object
    bytes: int = 0
    errors: list[str] = field(default_factory=list)

    def received(self, payload: str | bytes) -> None:
        self.bytes += len(payload.encode() if isinstance(payload, str) else payload)


async def new_session(browser, url: str, *, least: int = 1, until: str = SETTLED) -> Session:
    """A new context (no cache, a new Streamlit session) with ``url`` loaded and settled (``until``)."""
    context = await browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    await context.add_init_script(LAB_JS)
    session = Session(context, await context.new_page())
    session.page.on("websocket", lambda ws: ws.on("framereceived", session.received))
    session.page.on("pageerror", lambda error: session.errors.append(str(error)))
    await session.page.goto(url)
    await session.page.wait_for_function(until, arg=least)
    return session


async def move(session: Session, key: str, timeout: float = TIMEOUT_MS) -> dict:
    """Press ``key`` on the step-size thumb; latency (ms), its timeline, and the bytes received."""
    page = session.page
    await page.evaluate("() => window.__lab.mark()")
    start_bytes = session.bytes
    await page.locator(f'input[type="range"][aria-label="{STEP_LABEL}"]').focus()
    await page.keyboard.press(key)
    await page.wait_for_function(CHANGED, timeout=timeout)
    await page.wait_for_timeout(50)  # the rerun's last messages
    return {**await page.evaluate(MOVE_TIMES), "bytes": session.bytes - start_bytes}


async def bump_seed(session: Session) -> None:
    """Click the seed's + button (a new simulation) and wait for the new chart."""
    await session.page.evaluate("() => window.__lab.mark()")
    await session.page.locator('[data-testid="stNumberInputStepUp"]').first.click()
    await session.page.wait_for_function(CHANGED)


async def problems(session: Session) -> list[str]:
    """Exceptions and error boxes on the page, and uncaught JavaScript errors."""
    return [*await session.page.evaluate(PROBLEMS), *session.errors]


async def prepare(browser, base: str, name: str) -> dict:
    """Open a page at its defaults (warming the server); press its primary button if it draws nothing
    until then (learning: train the network, kept for everyone). Whether it has an animated chart."""
    session = await new_session(browser, page_url(base, name), least=0)
    page, action = session.page, False
    button = page.locator('[data-testid="stBaseButton-primary"]')
    if await page.locator(".lab-chart").count() == 0 and await button.count() == 1:
        action = True
        await button.click()
        await page.wait_for_function("() => window.__lab.cloud() !== undefined", timeout=300_000)
        await page.wait_for_function(SETTLED, arg=1, timeout=300_000)
    animated = await page.evaluate("() => !!window.__lab.cloud()")
    await session.context.close()
    return {"action": action, "animated": animated}


# --------------------------------------------------------------------------- measurements


def by_direction(fresh: list[dict]) -> tuple[list[dict], list[dict]]:
    """New-run moves split into h one notch down (more steps) and up, as slider_moves makes them."""
    return fresh[0::2], fresh[1::2]  # MOVE_KEYS: new (down), cached, new (up), cached


def median(values: list[float]) -> float:
    """The median, or NaN for no values."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank), or NaN for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


async def cold_loads(browser, base: str, name: str, tries: int, *, new_seed: bool) -> dict:
    """Navigation start -> first chart (ms) in new contexts; the first tries also reload (repeat visit)."""
    loads, reloads = [], []
    for attempt in range(tries):
        query = {"seed": SEED_BASE + attempt} if new_seed else {}
        session = await new_session(browser, page_url(base, name, **query), until=FIRST_CHART)
        loads.append({**await session.page.evaluate(LOAD_TIMES), "ws_bytes": session.bytes})
        if attempt < REPEAT_VISITS:
            await session.page.reload()
            await session.page.wait_for_function(FIRST_CHART)
            reloads.append(await session.page.evaluate("() => window.__lab.firstChart"))
        await session.context.close()
    ordered = sorted(loads, key=lambda load: load["chart"])
    return {"loads": loads, "middle": ordered[len(ordered) // 2], "reloads": reloads, "new_seed": new_seed}


async def slider_moves(browser, base: str, name: str, tries: int, particles: int | None) -> dict:
    """Step-size moves, ``tries`` of each kind: after each seed bump, one step down (a new simulation),
    back up (cached: that run was just drawn), one step up (new), back down (cached)."""
    query = {"particles": particles} if particles else {}
    session = await new_session(browser, page_url(base, name, **query))
    fresh, cached = [], []
    while len(fresh) < tries:
        await bump_seed(session)
        for key, kind in zip(MOVE_KEYS, (fresh, cached, fresh, cached), strict=True):
            kind.append(await move(session, key))
    result = {"fresh": fresh, "cached": cached, "problems": await problems(session)}
    result["chart_json"] = await session.page.evaluate(CHART_JSON)
    await session.context.close()
    return result


async def playback(browser, base: str, name: str, plays: int, **query: object) -> dict:
    """Frames per second with the page's Play button (FRAME_MS per frame) and with Plotly.animate at
    frame duration 0 (rendering alone)."""
    session = await new_session(browser, page_url(base, name, **query))
    paced = [await play(session, paced=True) for _ in range(plays)]
    unpaced = [await play(session, paced=False) for _ in range(plays)]
    await session.context.close()
    return {"paced": paced, "unpaced": unpaced}


async def play(session: Session, *, paced: bool) -> dict:
    """Play the animation from its first frame to its end; fps and median frame interval (ms)."""
    page = session.page
    await page.evaluate("() => window.__lab.rewind()")
    await page.wait_for_timeout(200)
    await page.evaluate("() => window.__lab.listen()")
    if paced:
        await page.locator(".js-plotly-plot .updatemenu-button").filter(has_text="Play").first.click()
    else:
        await page.evaluate("() => window.__lab.unpaced()")
    await page.wait_for_function("() => window.__lab.animated !== null", timeout=60_000)
    stamps = [t for t, _ in await page.evaluate("() => window.__lab.frames")]
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    fps = (len(stamps) - 1) / ((stamps[-1] - stamps[0]) / 1000) if len(stamps) > 1 else float("nan")
    return {"fps": fps, "gap_ms": median(gaps), "frames": len(stamps)}


# --------------------------------------------------------------------------- the classroom


def children_map() -> dict[int, list[int]]:
    """Parent pid -> child pids, for every process now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            if entry.name.isdigit():
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    return children


def descendants(root: int) -> set[int]:
    """``root`` and every process below it."""
    children, found, todo = children_map(), set(), [root]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo += children.get(pid, [])
    return found


def cpu_seconds(pids: set[int]) -> float:
    """User + system CPU seconds of ``pids`` (those still alive)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n")[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def rss_mb(pid: int, field_name: str = "VmRSS") -> float:
    """A memory figure of ``pid`` from /proc/<pid>/status, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_split(server_pid: int) -> dict[str, float]:
    """CPU seconds so far: the server, the browser (chromium processes under this one), the rest of
    this benchmark (playwright's driver, Python), and the whole machine."""
    server = descendants(server_pid)
    mine = descendants(os.getpid()) - server
    chromium = {pid for pid in mine if _comm(pid).startswith(("chromium", "chrome"))}
    return {
        "server": cpu_seconds(server),
        "browser": cpu_seconds(chromium),
        "driver": cpu_seconds(mine - chromium),
        "machine": machine_busy_seconds(),
    }


def _comm(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/comm").read_text().strip()
    return ""


async def sample_rss(pid: int, peak: list[float], stop: asyncio.Event) -> None:
    """Keep the largest RSS of ``pid`` seen in ``peak[0]`` until ``stop`` is set."""
    while not stop.is_set():
        peak[0] = max(peak[0], rss_mb(pid))
        await asyncio.sleep(0.5)


async def open_classroom(browser, url: str, count: int) -> tuple[list[Session], list[str]]:
    """``count`` sessions on ``url``, opened a few at a time; the errors of those that failed."""
    sessions, errors = [], []
    for first in range(0, count, OPENING_BATCH):
        batch = range(first, min(count, first + OPENING_BATCH))
        opened = await asyncio.gather(*(new_session(browser, url) for _ in batch), return_exceptions=True)
        for result in opened:
            if isinstance(result, Session):
                sessions.append(result)
            else:
                errors.append(f"opening: {type(result).__name__}: {str(result)[:120]}")
    return sessions, errors


async def student(session: Session, deadline: float, rng: random.Random) -> dict:
    """Move the step size one notch left or right around the default until ``deadline``, pausing
    1-3 s between moves; latencies (ms) and errors."""
    latencies, errors, offset = [], [], 0
    while time.monotonic() < deadline and not errors:
        key = "ArrowRight" if offset < 0 else "ArrowLeft" if offset > 0 else rng.choice(MOVE_KEYS)
        try:
            latencies.append((await move(session, key, MOVE_TIMEOUT_MS))["ms"])
            offset += 1 if key == "ArrowRight" else -1
        except Exception as error:  # a timeout or a closed page: this session failed
            errors.append(f"move: {type(error).__name__}: {str(error)[:120]}")
        await asyncio.sleep(rng.uniform(*THINK_S))
    with contextlib.suppress(Exception):
        errors += await problems(session)
    return {"latencies": latencies, "errors": errors}


async def classroom(browser, base: str, server_pid: int, count: int, seconds: float) -> dict:
    """``count`` students on the classroom page at its defaults for ``seconds``: latencies, errors,
    the server's RSS and the CPU time of server, browser and the rest of the machine."""
    rss_before, peak, stop = rss_mb(server_pid), [0.0], asyncio.Event()
    sampler = asyncio.create_task(sample_rss(server_pid, peak, stop))
    opened_at = time.monotonic()
    sessions, errors = await open_classroom(browser, page_url(base, CLASSROOM_PAGE), count)
    opening_s, before = time.monotonic() - opened_at, cpu_split(server_pid)
    started = time.monotonic()
    rng = random.Random(count)
    results = await asyncio.gather(*(student(s, started + seconds, rng) for s in sessions))
    wall, after = time.monotonic() - started, cpu_split(server_pid)
    stop.set()
    await sampler
    await asyncio.gather(*(s.context.close() for s in sessions), return_exceptions=True)
    latencies = [ms / 1000 for r in results for ms in r["latencies"]]
    errors += [e for r in results for e in r["errors"]]
    return {
        "sessions": count,
        "opened": len(sessions),
        "opening_s": opening_s,
        "seconds": wall,
        "moves": len(latencies),
        "errors": errors,
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
        "rss_before": rss_before,
        "rss_peak": peak[0],
        "rss_hwm": rss_mb(server_pid, "VmHWM"),
        "cpu": {name: (after[name] - before[name]) / wall for name in after},
    }


def held(run: dict) -> bool:
    """A classroom run held: every session opened, no error, p95 latency within the target."""
    return run["opened"] == run["sessions"] and not run["errors"] and run["p95"] <= P95_TARGET_S


# --------------------------------------------------------------------------- the whole run


@dataclass(frozen=True)
class Config:
    """What to measure and how often."""

    tries: int
    plays: int
    ladder: tuple[int, ...]
    seconds: float
    parts: frozenset[str]
    quick: bool = False


def parse_args() -> tuple[Config, Path | None]:
    """Command-line options -> Config, and where to write the raw measurements (if anywhere)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="3 tries, no 10k moves, short classroom runs (a smoke run)"
    )
    parser.add_argument("--only", default="load,slider,fps,classroom", help="comma-separated parts")
    parser.add_argument("--sessions", default="", help="classroom: first size, bisection runs (default 30,3)")
    parser.add_argument("--tries", type=int, help="tries per measurement (default 10, 3 with --quick)")
    parser.add_argument("--json", type=Path, help="also write the raw measurements here")
    args = parser.parse_args()
    ladder = args.sessions or ("8,1" if args.quick else "30,3")
    config = Config(
        tries=args.tries or (3 if args.quick else 10),
        plays=1,
        ladder=tuple(int(n) for n in ladder.split(",")),
        seconds=20.0 if args.quick else 60.0,
        parts=frozenset(args.only.split(",")),
        quick=args.quick,
    )
    return config, args.json


@dataclass
class Log:
    """What went wrong, and the wall time spent per part of the benchmark."""

    failures: list[str] = field(default_factory=list)
    spent: dict[str, float] = field(default_factory=dict)


PARTS = ("warm-up", "load", "slider", "playback", "classroom")


async def guarded(label: str, log: Log, measurement):
    """Await ``measurement``, timing it under the part of the benchmark named in ``label``; on any
    error record it and return None (the app is a moving target: one broken page must not lose the
    other measurements)."""
    part = next((word for word in label.split() if word in PARTS), "other")
    started = time.monotonic()
    try:
        return await measurement
    except Exception as error:
        log.failures.append(f"{label}: {type(error).__name__}: {str(error).splitlines()[0][:200]}")
        return None
    finally:
        log.spent[part] = log.spent.get(part, 0.0) + time.monotonic() - started


async def measure_pages(browser, base: str, config: Config, log: Log) -> dict:
    """Cold loads, slider moves and playback of every page where they apply."""
    results: dict = {"load": {}, "slider": {}, "fps": {}, "pages": {}}
    for name, path in app_pages().items():
        controls = page_constants(path)[0]
        info = await guarded(f"{name} warm-up", log, prepare(browser, base, name))
        if info is None:
            continue
        results["pages"][name] = {**info, "controls": controls}
        if "load" in config.parts:
            new_seed = "seed" in controls and not info["action"]
            run = cold_loads(browser, base, name, config.tries, new_seed=new_seed)
            results["load"][name] = await guarded(f"{name} load", log, run)
        if "slider" in config.parts and "step_size" in controls:
            sizes = [None, BIG] if "particles" in controls and not config.quick else [None]
            results["slider"][name] = {
                str(size or "defaults"): await guarded(
                    f"{name} slider {size or 'defaults'}",
                    log,
                    slider_moves(browser, base, name, config.tries, size),
                )
                for size in sizes
            }
        if "fps" in config.parts and info["animated"]:
            run = playback(browser, base, name, config.plays)
            results["fps"][name] = await guarded(f"{name} playback", log, run)
    return results


async def playback_parts(browser, base: str, log: Log) -> dict:
    """Playback of the classroom page at frame duration 0 without the density, without the paths,
    without both (what each layer costs to draw), and, as the baseline, with WebGL clouds and a full
    redraw per frame (the design before)."""
    variants = {
        "defaults": {},
        "no density": {"show_density": 0},
        "no paths": {"show_paths": 0},
        "neither": {"show_density": 0, "show_paths": 0},
    }
    found = {}
    for label, query in variants.items():
        run = await guarded(f"playback {label}", log, playback(browser, base, CLASSROOM_PAGE, 1, **query))
        if run:
            found[label] = run["unpaced"][0]
    found[BASELINE] = await guarded("playback WebGL", log, webgl_replay(browser, base))
    return {label: run for label, run in found.items() if run}


async def webgl_replay(browser, base: str) -> dict:
    """The classroom page's animation replayed off-screen with WebGL clouds and full redraws."""
    session = await new_session(browser, page_url(base, CLASSROOM_PAGE))
    result = await session.page.evaluate(WEBGL_REPLAY)
    await session.context.close()
    return result


async def measure_classroom(browser, base: str, pid: int, config: Config, log: Log) -> list:
    """The first classroom size; if it does not hold, a bisection for the largest size that holds
    (``probes`` more runs of a minute each, between 1 and the first size)."""
    runs: list[dict] = []

    async def attempt(count: int) -> bool:
        run = await guarded(f"classroom {count}", log, classroom(browser, base, pid, count, config.seconds))
        if run is None:
            return False
        runs.append(run)
        print(f"classroom {count}: p95 {run['p95']:.2f} s, {len(run['errors'])} errors", flush=True)
        return held(run)

    first, probes = config.ladder
    if not await attempt(first):
        held_size, failed_size = 0, first
        for _ in range(probes):
            size = (held_size + failed_size) // 2
            if size == held_size:
                break
            held_size, failed_size = (size, failed_size) if await attempt(size) else (held_size, size)
    return runs


async def measure(config: Config) -> dict:
    """Every measurement on one server and one browser."""
    log = Log()
    with streamlit_server(Path("/tmp/langevin-lab-bench-browser.log")) as (base, pid):
        async with async_playwright() as driver:
            browser = await driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            results = await measure_pages(browser, base, config, log)
            if "fps" in config.parts and not config.quick:
                results["fps_parts"] = await playback_parts(browser, base, log)
            if "classroom" in config.parts:
                results["classroom"] = await measure_classroom(browser, base, pid, config, log)
            await browser.close()
    return {**results, "failures": log.failures, "spent": log.spent}


# --------------------------------------------------------------------------- the report


def verdict(ok: bool) -> str:
    """A table cell for a target."""
    return "pass" if ok else "**miss**"


def secs(ms: float | None) -> str:
    """Milliseconds as seconds with 2 decimals."""
    return "–" if ms is None else f"{ms / 1000:.2f}"


def load_table(loads: dict) -> list[str]:
    """The cold-load table."""
    rows = [
        "| page | seed | first chart: median / max (s) | DOMContentLoaded (s) | script runs (s) | "
        "script done (s) | plotly.js: downloaded / evaluated (s) | first Plotly.react: at (s) / takes (ms) | "
        "downloaded: scripts (MB) / websocket (kB) | repeat visit (s) | ≤ 2.5 s |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for name, run in loads.items():
        if not run:
            continue
        charts = [load["chart"] for load in run["loads"]]
        m = run["middle"]
        rows.append(
            f"| {name} | {'new' if run['new_seed'] else 'default'} | {secs(median(charts))} / {secs(max(charts))} | "
            f"{secs(m['dom'])} | {secs(m['running'])} | {secs(m['finished'])} | {secs(m['plotly_js'])} / "
            f"{secs(m['plotly_ready'])} | "
            f"{secs(m['react_start'])} / {m['react_ms'] or 0:.0f} | {m['static_bytes'] / 1e6:.1f} / "
            f"{m['ws_bytes'] / 1e3:.0f} | {secs(median(run['reloads']))} | "
            f"{verdict(median(charts) <= LOAD_TARGET_S * 1000)} |"
        )
    return rows


def slider_table(sliders: dict) -> list[str]:
    """The slider-move table."""
    rows = [
        "| page | particles | new run: median / max (ms) | new run, h down (more steps) / h up: median (ms) | "
        "cached: median (ms) | bytes per move: new / "
        "cached (kB) | new run, median: rerun starts / last message / longest Plotly.react (ms) | "
        "latency target | result | ≤ 1 MB |",
        "|---|---|--:|--:|--:|--:|--:|---|---|---|",
    ]
    for name, sizes in sliders.items():
        for size, run in sizes.items():
            if not run:
                continue
            fresh, cached = run["fresh"], run["cached"]
            fresh_ms = median([m["ms"] for m in fresh])
            target = MOVE_TARGET_MS if size == "defaults" else MOVE_BIG_TARGET_MS
            most = max(m["bytes"] for m in fresh)
            timeline = " / ".join(
                f"{median([m[part] for m in fresh]):.0f}"
                for part in ("rerun_start", "last_message", "react_ms")
            )
            down, up = (median([m["ms"] for m in moves]) for moves in by_direction(fresh))
            rows.append(
                f"| {name} | {size} | {fresh_ms:.0f} / {max(m['ms'] for m in fresh):.0f} | {down:.0f} / {up:.0f} | "
                f"{median([m['ms'] for m in cached]):.0f} | {median([m['bytes'] for m in fresh]) / 1e3:.0f} / "
                f"{median([m['bytes'] for m in cached]) / 1e3:.0f} | {timeline} | ≤ {target:.0f} ms | "
                f"{verdict(fresh_ms <= target)} | "
                f"{verdict(most <= BYTES_TARGET) if size == 'defaults' else '–'} |"
            )
    return rows


def fps_table(fps: dict, parts: dict) -> list[str]:
    """The playback table and the per-layer line."""
    rows = [
        f"| page | frames | Play button (FRAME_MS = {figures.FRAME_MS}): fps / median frame interval (ms) | "
        "frame duration 0: fps / interval (ms) | ≥ 30 fps |",
        "|---|--:|--:|--:|---|",
    ]
    for name, run in fps.items():
        if not run:
            continue
        paced, unpaced = run["paced"], run["unpaced"]
        paced_fps = median([p["fps"] for p in paced])
        rows.append(
            f"| {name} | {paced[0]['frames']} | {paced_fps:.1f} / {median([p['gap_ms'] for p in paced]):.0f} | "
            f"{median([p['fps'] for p in unpaced]):.1f} / {median([p['gap_ms'] for p in unpaced]):.0f} | "
            f"{verdict(paced_fps >= FPS_TARGET)} |"
        )
    if parts:
        costs = "; ".join(
            f"{label} {run['fps']:.1f} fps ({run['gap_ms']:.0f} ms)" for label, run in parts.items()
        )
        rows += [
            "",
            f"Frame duration 0 on {CLASSROOM_PAGE}, layer by layer (1,000 particles unless noted): {costs}.",
        ]
    return rows


def classroom_table(runs: list[dict]) -> list[str]:
    """The classroom table."""
    rows = [
        "| sessions | opened (s to open) | moves | errors | latency p50 / p95 (s) | server RSS: before / "
        "peak (MB) | CPU in cores: server / browser / driver / other | server CPU per move (ms) | "
        "held (p95 ≤ 2 s, no error) |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for run in runs:
        cpu = run["cpu"]
        other = cpu["machine"] - cpu["server"] - cpu["browser"] - cpu["driver"]
        rows.append(
            f"| {run['sessions']} | {run['opened']} ({run['opening_s']:.0f}) | {run['moves']} | "
            f"{len(run['errors'])} | {run['p50']:.2f} / {run['p95']:.2f} | {run['rss_before']:.0f} / "
            f"{run['rss_peak']:.0f} | {cpu['server']:.2f} / {cpu['browser']:.2f} / {cpu['driver']:.2f} / "
            f"{max(other, 0):.2f} | {1000 * cpu['server'] * run['seconds'] / max(run['moves'], 1):.0f} | "
            f"{verdict(held(run))} |"
        )
    errors = sorted({e for run in runs for e in run["errors"]})
    if errors:
        rows += ["", "Classroom errors (distinct): " + "; ".join(f"`{e}`" for e in errors[:6]) + "."]
    return rows


def lessons_median(runs: dict, pick, lessons: set[str]) -> float:
    """Median over the ``lessons`` pages of ``pick(run)``."""
    return median([pick(run) for name, run in runs.items() if run and name in lessons])


def load_note(loads: dict, lessons: set[str]) -> str:
    """Where a lesson page's cold load goes."""
    middle = {name: run["middle"] for name, run in loads.items() if run}
    part = {
        key: lessons_median(middle, lambda m, key=key: m[key], lessons) for key in next(iter(middle.values()))
    }
    reload = lessons_median(loads, lambda run: median(run["reloads"]), lessons)
    compressed = part["static_bytes"] < 0.9 * part["static_decoded"]
    return (
        f"**Cold load** (lesson pages, medians): the script is done at {secs(part['finished'])} s. plotly.js "
        f"({(part['plotly_bytes'] or 0) / 1e6:.1f} MB) is requested by the sidebar's preloader at "
        f"{secs(part['plotly_asked'])} s, downloaded at {secs(part['plotly_js'])} s and evaluated at "
        f"{secs(part['plotly_ready'])} s; the first Plotly.react starts at {secs(part['react_start'])} s and "
        f"takes {part['react_ms']:.0f} ms. Repeat visit, scripts cached: {secs(reload)} s. A cold visit "
        f"downloads {part['static_bytes'] / 1e6:.1f} MB of scripts, {'compressed' if compressed else 'uncompressed'}."
    )


def slider_note(sliders: dict, lessons: set[str]) -> str:
    """Where a slider move's time goes."""
    runs = {name: sizes.get("defaults") for name, sizes in sliders.items()}
    part = {
        key: lessons_median(runs, lambda run, key=key: median([m[key] for m in run["fresh"]]), lessons)
        for key in ("ms", "rerun_start", "last_message", "react_ms", "replaced", "charts")
    }
    cached = lessons_median(runs, lambda run: median([m["ms"] for m in run["cached"]]), lessons)
    down, up = (
        lessons_median(
            runs, lambda run, side=side: median([m["ms"] for m in by_direction(run["fresh"])[side]]), lessons
        )
        for side in (0, 1)
    )
    return (
        f"**Slider move** (lesson pages at the defaults, medians): {part['ms']:.0f} ms for a new run. The "
        f"rerun starts {part['rerun_start']:.0f} ms after the keydown, the last message arrives at "
        f"{part['last_message']:.0f} ms (the server simulating, building and serialising the figures), and a "
        f"Plotly.react takes up to {part['react_ms']:.0f} ms. Each move replaced {part['replaced']:.0f} of "
        f"{part['charts']:.0f} chart divs (the chart component patches its chart in place). A cached run takes "
        f"{cached:.0f} ms: the server reruns the page and sends only a reference to the unchanged figure, "
        "which the browser draws again. Half the new runs move h one notch down, which can double the "
        f"steps T / h to simulate, half one notch up: {down:.0f} ms against {up:.0f} ms (medians), and the "
        "median of all new runs falls between the two groups."
    )


def fps_note(fps: dict, parts: dict, lessons: set[str]) -> str:
    """What limits playback."""
    paced = lessons_median(fps, lambda run: median([p["fps"] for p in run["paced"]]), lessons)
    unpaced = lessons_median(fps, lambda run: median([p["fps"] for p in run["unpaced"]]), lessons)
    gap = lessons_median(fps, lambda run: median([p["gap_ms"] for p in run["unpaced"]]), lessons)
    # plotly.js shows the next frame at the first display refresh more than FRAME_MS after the last
    refreshes = math.floor(figures.FRAME_MS * DISPLAY_HZ / 1000) + 1
    pace = "every refresh" if refreshes == 1 else f"every {refreshes} refreshes"
    text = (
        f"**Playback**: {paced:.1f} fps with the Play button (FRAME_MS = {figures.FRAME_MS} ms: plotly.js shows "
        f"the next frame at the first display refresh more than that after the last, at most {pace} of "
        f"a {DISPLAY_HZ} Hz display, {DISPLAY_HZ / refreshes:.0f} fps; below that, drawing a frame is the limit). Clouds of up to {figures.SVG_LIMIT:,} particles are SVG and the "
        "exact density is drawn as contour lines, so a frame moves points and lines without a full redraw "
        f"of the chart; at frame duration 0 it reaches {unpaced:.1f} fps ({gap:.0f} ms a frame)."
    )
    baseline = parts.get(BASELINE)
    if baseline and "defaults" in parts:
        text += (
            f" Baseline in the same run, {CLASSROOM_PAGE}: the same frames with WebGL clouds and a full redraw "
            f"per frame (the design before) {baseline['fps']:.1f} fps, against {parts['defaults']['fps']:.1f} "
            f"fps now ({parts['defaults']['fps'] / baseline['fps']:.1f}×)."
        )
    return text


def classroom_note(runs: list[dict]) -> str:
    """Who saturates first in the classroom, and the server's cost per move."""
    largest = max((run["sessions"] for run in runs if held(run)), default=0)
    busiest = max(runs, key=lambda run: run["sessions"])
    cpu = busiest["cpu"]
    per_move, browser_per_move = (
        median([1000 * r["cpu"][part] * r["seconds"] / max(r["moves"], 1) for r in runs])
        for part in ("server", "browser")
    )  # CPU ms per move
    first = "the browsers" if cpu["browser"] > cpu["server"] else "the server"
    return (
        f"**Classroom**: at {busiest['sessions']} sessions the browser processes used {cpu['browser']:.2f} "
        f"cores and the server {cpu['server']:.2f} of {os.cpu_count()}: {first} saturate the machine first. "
        f"Largest classroom that held: {largest or 'none'} sessions. The server spent {per_move:.0f} ms of CPU "
        "per move although the runs were cached (every rerun rebuilds and serialises the figures): about "
        f"{1000 / per_move:.1f} moves per second per core, so 30 students moving every 3 s would need about "
        f"{10 * per_move / 1000:.1f} cores of server time alone. Each move cost the browser processes "
        f"{browser_per_move:.0f} ms of CPU (the new figure decoded, Plotly.react, painting): the same 30 "
        f"students' browsers would need about {10 * browser_per_move / 1000:.1f} cores."
    )


def notes(results: dict) -> list[str]:
    """The "what limits it" paragraphs, from the measurements (medians over the lesson pages: those
    with a step-size control)."""
    lessons = {name for name, page in results["pages"].items() if "step_size" in page["controls"]}
    found = []
    if results.get("load"):
        found.append(load_note(results["load"], lessons))
    if results.get("slider"):
        found.append(slider_note(results["slider"], lessons))
    if results.get("fps"):
        found.append(fps_note(results["fps"], results.get("fps_parts", {}), lessons))
    if results.get("classroom"):
        found.append(classroom_note(results["classroom"]))
    return ["", "### What limits it", "", *[f"- {note}" for note in found]] if found else []


def report(results: dict, machine: str, config: Config, seconds: float) -> str:
    """The "browser" section of RESULTS.md."""
    lines = [
        "## Browser: load, slider, playback and a classroom (headless Chromium, real Streamlit server)",
        "",
        machine,
        "",
        f"`bench/browser.py`{' --quick' if config.tries < 10 else ''}: system Chromium "
        f"({' '.join(CHROMIUM_ARGS)}; software WebGL, no GPU) and `streamlit run app.py` on this machine, "
        f"both sharing its {os.cpu_count()} cores. Times are read inside the page: navigation start or the "
        "keydown to the first requestAnimationFrame in which the chart holds the new data. Medians of "
        f"{config.tries} tries per page.",
    ]
    if results.get("load"):
        lines += [
            "",
            "### Cold load: a new browser context opens the page (seed new = the server simulates)",
            "",
            *load_table(results["load"]),
            "",
            "Columns after the first: the median try's timeline from navigation start. Repeat visit: "
            f"the same context reloads (scripts in the HTTP cache), median of {REPEAT_VISITS}.",
        ]
    if results.get("slider"):
        lines += [
            "",
            "### Slider move: step size h one notch (keyboard) until the chart shows the new run",
            "",
            *slider_table(results["slider"]),
            "",
            "New run: the step size moves to a value not yet simulated with this seed (after a seed bump), "
            "so the server simulates; cached: back to the run just drawn (`st.cache_data` hit, and "
            "Streamlit's client-side message cache sends a reference instead of the figure). Bytes: "
            "websocket messages received for the move.",
        ]
    if results.get("fps"):
        lines += [
            "",
            "### Playback at the defaults",
            "",
            *fps_table(results["fps"], results.get("fps_parts", {})),
        ]
    if results.get("classroom"):
        lines += [
            "",
            f"### Classroom: N sessions on /{CLASSROOM_PAGE} at its defaults, one server",
            "",
            *classroom_table(results["classroom"]),
            "",
            f"Each session moves h one notch around its default (cached runs after the first visits), "
            f"waits for the chart, pauses {THINK_S[0]:g}–{THINK_S[1]:g} s, for {config.seconds:.0f} s. "
            "CPU in cores = CPU seconds per wall second over the run (2 = the whole machine); "
            "other = everything else on the machine.",
        ]
    lines += notes(results)
    if results["failures"]:
        lines += ["", "Not measured (errors): " + "; ".join(results["failures"]) + "."]
    spent = ", ".join(f"{part} {sec / 60:.1f}" for part, sec in results["spent"].items())
    lines += ["", f"Whole benchmark: {seconds / 60:.1f} min ({spent})."]
    return "\n".join(lines)


def main() -> None:
    """Measure, print, and rewrite the "browser" section of RESULTS.md."""
    config, raw_path = parse_args()
    machine, started = machine_line(), time.monotonic()
    results = asyncio.run(measure(config))
    seconds = time.monotonic() - started
    if raw_path:
        raw_path.write_text(json.dumps(results, indent=1, default=str))
    text = report(results, machine, config, seconds)
    print(text)
    write_section("browser", text)


if __name__ == "__main__":
    main()
