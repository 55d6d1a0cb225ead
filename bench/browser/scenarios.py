"""What the benchmark does with one session at a time: cold loads, every select slider moved one notch
each way, display toggles against a new simulation in server CPU, and playback."""

from __future__ import annotations

import itertools
import math
import statistics
import time
from collections.abc import Awaitable, Callable

from bench.browser.processes import server_cpu_seconds
from bench.browser.session import (
    LOADED,
    Session,
    bump_seed,
    choose,
    flip,
    move,
    new_session,
    page_url,
    problems,
)
from lessons import registry
from lessons.registry import Page
from lessons.settings import OPTIONS

SEED_BASE = 5000  # seeds the cold loads use for new simulations: none of the defaults
REPEAT_VISITS = 2  # cold-load tries that also reload the page
BIG = 10_000  # particles for the large-cloud step-size moves
SIDES = (("down", "ArrowLeft", "ArrowRight", -1), ("up", "ArrowRight", "ArrowLeft", +1))
TOGGLE_PAGE, TOGGLE_PARTICLES = "backward", 5000
ARROWS = "score"  # the arrows the toggle scenario switches on (and back to the page's default)
IDLE_S = 3.0  # seconds of an idle server whose CPU the toggle scenario reports
PLAYBACK_PAGE = "backward"
BASELINE = "WebGL clouds, full redraw per frame (before)"


def median(values: list[float]) -> float:
    """The median, or NaN for no values."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank), or NaN for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


# --------------------------------------------------------------------------- cold loads


async def cold_loads(browser, base: str, name: str, tries: int, *, new_seed: bool) -> dict:
    """Navigation start -> first chart (ms) in new contexts; the first tries also reload (repeat visit)."""
    loads, reloads = [], []
    for attempt in range(tries):
        query = {"seed": SEED_BASE + attempt} if new_seed else {}
        session = await new_session(browser, page_url(base, name, **query), until=LOADED)
        loads.append(
            {**await session.page.evaluate("() => window.__lab.loadTimes()"), "ws_bytes": session.bytes}
        )
        if attempt < REPEAT_VISITS:
            await session.page.reload()
            await session.page.wait_for_function(LOADED)
            reloads.append(await session.page.evaluate("() => window.__lab.firstChart"))
        await session.context.close()
    ordered = sorted(loads, key=lambda load: load["chart"])
    return {"loads": loads, "middle": ordered[len(ordered) // 2], "reloads": reloads, "new_seed": new_seed}


# --------------------------------------------------------------------------- slider moves


def select_sliders(page: Page) -> tuple[str, ...]:
    """The page's select sliders, in the registry's order."""
    return tuple(name for name in page.controls if OPTIONS[name].widget == "select_slider")


def start_value(page: Page, setting: str, particles: int | None) -> object:
    """The value a slider starts from: the page's default, or ``particles`` for the particle count."""
    return particles if particles and setting == "particles" else getattr(page.defaults, setting)


def neighbours(page: Page, setting: str, particles: int | None = None) -> dict[str, object]:
    """ "down"/"up" -> the allowed value one notch below/above the start (ends have one side only)."""
    values = OPTIONS[setting].values
    at = values.index(start_value(page, setting, particles))
    return {side: values[at + step] for side, _, _, step in SIDES if 0 <= at + step < len(values)}


def seed_bumps(page: Page, setting: str, tries: int) -> int:
    """How many seed bumps ``slider_moves`` makes for ``tries`` new runs of ``setting``."""
    return math.ceil(tries / len(neighbours(page, setting)))


async def slider_moves(
    browser, base: str, name: str, setting: str, tries: int, particles: int | None = None
) -> dict:
    """The select slider ``setting`` moved by keyboard, ``tries`` new runs of it: after each seed bump
    (a new simulation, not timed), one notch down (a run not yet simulated), back (cached: that run was
    just drawn), one notch up (new), back (cached). Each move is timed to the last chart change."""
    page = registry.page(name)
    sides = neighbours(page, setting, particles)
    session = await new_session(
        browser, page_url(base, name, **({"particles": particles} if particles else {}))
    )
    fresh, cached = [], []
    while len(fresh) < tries:
        await bump_seed(session)
        for side, there, back, _ in SIDES:
            if side in sides:
                fresh.append({**await move(session, setting, there), "side": side})
                cached.append({**await move(session, setting, back), "side": side})
    result = {
        "setting": setting,
        "start": start_value(page, setting, particles),
        "sides": sides,
        "fresh": fresh,
        "cached": cached,
        "problems": await problems(session),
        "chart_json": await session.page.evaluate("() => window.__lab.chartJson()"),
    }
    await session.context.close()
    return result


def by_side(moves: list[dict], side: str) -> list[dict]:
    """The moves one notch ``side`` ("down" or "up") of the start value."""
    return [m for m in moves if m["side"] == side]


# --------------------------------------------------------------------------- display toggles


async def on_server(server_pid: int, act: Callable[[], Awaitable[dict]]) -> dict:
    """``act``'s result with the server's CPU milliseconds from before it to its last chart change
    (plus lab.js's quiet interval) and that window's length."""
    cpu, wall = server_cpu_seconds(server_pid), time.monotonic()
    result = await act()
    return {
        **result,
        "cpu_ms": 1000 * (server_cpu_seconds(server_pid) - cpu),
        "window_ms": 1000 * (time.monotonic() - wall),
    }


async def display_toggles(browser, base: str, server_pid: int, repeats: int) -> dict:
    """On TOGGLE_PAGE at TOGGLE_PARTICLES particles, ``repeats`` rounds of: a new simulation (the seed
    one up), the exact density off and on again, the arrows switched to ARROWS and back. The server's
    CPU time and the latency of each; and the server's CPU while idle, for scale."""
    page = registry.page(TOGGLE_PAGE)
    session = await new_session(browser, page_url(base, TOGGLE_PAGE, particles=TOGGLE_PARTICLES))
    density = "on" if page.defaults.show_density else "off"
    other = "off" if density == "on" else "on"
    actions: dict[str, Callable[[], Awaitable[dict]]] = {
        "new simulation (seed + 1)": lambda: bump_seed(session),
        f"density {other}": lambda: flip(session, "show_density"),
        f"density {density}": lambda: flip(session, "show_density"),
        f"arrows {ARROWS}": lambda: choose(session, "field", ARROWS),
        f"arrows {page.defaults.field}": lambda: choose(session, "field", page.defaults.field),
    }
    runs: dict[str, list[dict]] = {label: [] for label in actions}
    idle_cpu = server_cpu_seconds(server_pid)
    await session.page.wait_for_timeout(1000 * IDLE_S)
    idle_ms_per_s = 1000 * (server_cpu_seconds(server_pid) - idle_cpu) / IDLE_S
    for _ in range(repeats):
        for label, act in actions.items():
            runs[label].append(await on_server(server_pid, act))
    result = {
        "page": TOGGLE_PAGE,
        "particles": TOGGLE_PARTICLES,
        "runs": runs,
        "idle_ms_per_s": idle_ms_per_s,
        "problems": await problems(session),
    }
    await session.context.close()
    return result


# --------------------------------------------------------------------------- playback


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


PLAYBACK_VARIANTS = {
    "defaults": {},
    "no density": {"show_density": 0},
    "no paths": {"show_paths": 0},
    "neither": {"show_density": 0, "show_paths": 0},
}


async def webgl_replay(browser, base: str) -> dict:
    """PLAYBACK_PAGE's animation replayed off-screen with WebGL clouds and full redraws."""
    session = await new_session(browser, page_url(base, PLAYBACK_PAGE))
    result = await session.page.evaluate("() => window.__lab.webglReplay()")
    await session.context.close()
    return result
