"""Soak test: several browser sessions against one Streamlit server for a few minutes; errors and memory.

Starts ``streamlit run app.py`` (headless, on a free port), then opens ``--sessions`` browser contexts
in one headless system Chromium (Playwright, ``/usr/bin/chromium``; no browser is downloaded). Each
session cycles through the home page and every lesson of ``lessons.registry.LESSONS``, opening each
page from a URL with a random allowed ``step_size``, ``particles`` and ``seed``
(``lessons.settings.OPTIONS``, only the ones the page has as controls), and waits until the script has finished; on a page with a
step-size slider it then moves it ``MOVES_PER_PAGE`` notches by keyboard, waiting for each rerun. Every
page load is a new Streamlit session. After each load and each move it counts:

* errors: exception boxes (``stException``), error alerts other than the expected "particles blew up"
  divergence message, pages or moves that did not settle within the timeout, and uncaught JavaScript
  errors;
* expected divergence messages, warnings (settings the engine refused) and URL notes ("Ignored ...",
  none expected: every URL value is allowed).

Every ``--sample-seconds`` it reads the server's resident memory (VmRSS in /proc/<pid>/status) and the
1-minute load average. At the end it counts tracebacks in the server log, prints a table and rewrites the
"soak" section of bench/RESULTS.md. Run from the repository root:

    .venv/bin/python bench/soak.py              # 3 minutes, 4 sessions
    .venv/bin/python bench/soak.py --minutes 0.5 --no-write
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # repository root: lessons, bench, harness

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field

from bench._results import machine_line, write_section
from harness.server import CHROMIUM, CHROMIUM_ARGS, streamlit_server
from lessons import registry
from lessons.settings import OPTIONS, SEED_MAX

VARIED = ("step_size", "particles", "seed")  # the URL settings each page load draws at random
DIVERGENCE_TEXT = "blew up"  # in sde.Divergence.message: the one error alert a student is meant to see
SETTLE_TIMEOUT_MS = 180_000  # one page load: 10,000 particles on a busy 2-core machine can take a while
SETTLE_POLL_MS = 250
# The page has run its script: the app reports "notRunning", the title is drawn, no skeleton is left.
SETTLED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app?.dataset.testScriptState === 'notRunning'
        && !!document.querySelector('[data-testid="stMain"] h1')
        && !document.querySelector('[data-testid="stSkeleton"]');
}"""
# What the page shows: exception boxes, and the text of each alert by kind.
MOVES_PER_PAGE = 3  # step-size slider moves (keyboard) after each page load that has the control
STEP_SLIDER = f'input[type="range"][aria-label="{OPTIONS["step_size"].label}"]'
# Counts the script runs the page has finished (the app's script state leaving "running"; a
# MutationObserver sees every change, however short the run), so a slider move is over once a new run
# has finished and the page has settled.
COUNT_RUNS = """(() => {
    window.__runs = 0;
    new MutationObserver(records => {
        window.__runs += records.filter(r => r.oldValue === 'running').length;
    }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                          attributeFilter: ['data-test-script-state']});
})();"""
MOVE_STATE = """() => ({runs: window.__runs, url: location.search,
    script: document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState,
    skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
    title: !!document.querySelector('[data-testid="stMain"] h1')})"""
SHOWN = """() => ({
    exceptions: [...document.querySelectorAll('[data-testid="stException"]')].map(e => e.innerText),
    errors: [...document.querySelectorAll('[data-testid="stAlertContentError"]')]
        .filter(e => !e.closest('[data-testid="stException"]')).map(e => e.innerText),
    warnings: [...document.querySelectorAll('[data-testid="stAlertContentWarning"]')].map(e => e.innerText),
    infos: [...document.querySelectorAll('[data-testid="stAlertContentInfo"]')].map(e => e.innerText),
})"""


@dataclass
class Tally:
    """What the sessions saw, summed over all of them."""

    loads: Counter = field(default_factory=Counter)  # page -> settled page loads
    seconds: list[float] = field(default_factory=list)  # goto -> settled, per load
    move_seconds: list[float] = field(default_factory=list)  # key press -> settled, per slider move
    exceptions: list[str] = field(default_factory=list)
    error_alerts: list[str] = field(default_factory=list)
    timeouts: list[str] = field(default_factory=list)
    js_errors: list[str] = field(default_factory=list)
    divergences: int = 0
    warnings: Counter = field(default_factory=Counter)  # text -> count
    url_notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """Everything that should not happen: exceptions, error alerts, timeouts, JavaScript errors."""
        return len(self.exceptions) + len(self.error_alerts) + len(self.timeouts) + len(self.js_errors)


@dataclass
class Sample:
    """One reading of the server: minutes since the sessions started, its RSS and the load average."""

    minutes: float
    rss_mb: float
    load: float


def varied_controls() -> dict[str, tuple[str, ...]]:
    """URL path -> the varied controls that page has: home ("") and every page with controls (the registry)."""
    return {
        page.url_path: tuple(name for name in VARIED if name in page.controls)
        for page in registry.PAGES
        if page is registry.HOME or page.controls
    }


def random_query(names: tuple[str, ...], rng: random.Random) -> dict[str, str]:
    """Allowed URL values for ``names``, written as ``to_query`` writes them."""
    query = {}
    for name in names:
        option = OPTIONS[name]
        value = rng.randint(0, SEED_MAX) if option.widget == "seed" else rng.choice(option.values)
        query[name] = f"{value:g}" if isinstance(value, float) else str(value)
    return query


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def slope(samples: list[Sample]) -> float:
    """Least-squares slope of RSS over time, MB per minute (0 with fewer than two samples)."""
    if len(samples) < 2:
        return 0.0
    return statistics.linear_regression([s.minutes for s in samples], [s.rss_mb for s in samples]).slope


async def sample_memory(pid: int, start: float, every: float, samples: list[Sample], stop: asyncio.Event):
    """Append a Sample every ``every`` seconds until ``stop`` is set (and one more at the end)."""
    while True:
        samples.append(Sample((time.monotonic() - start) / 60, rss_mb(pid), os.getloadavg()[0]))
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except TimeoutError:
            continue
        samples.append(Sample((time.monotonic() - start) / 60, rss_mb(pid), os.getloadavg()[0]))
        return


async def session(browser, index: int, base: str, pages: dict, deadline: float, tally: Tally) -> None:
    """One student: cycle through the pages with random allowed settings until ``deadline``."""
    rng = random.Random(index)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    await context.add_init_script(COUNT_RUNS)
    page = await context.new_page()
    page.on("pageerror", lambda error: tally.js_errors.append(f"{page.url}: {error}"))
    order = list(pages)
    step = index  # sessions start on different pages
    try:
        while time.monotonic() < deadline:
            path = order[step % len(order)]
            step += 1
            url = f"{base}/{path}?{urllib.parse.urlencode(random_query(pages[path], rng))}"
            began = time.monotonic()
            try:
                await page.goto(url, wait_until="domcontentloaded")
                await page.wait_for_function(SETTLED, timeout=SETTLE_TIMEOUT_MS, polling=SETTLE_POLL_MS)
            except Exception as error:  # a page that never settles (or a navigation failure) is an error
                tally.timeouts.append(f"{url}: {type(error).__name__}: {str(error).splitlines()[0]}")
                continue
            tally.seconds.append(time.monotonic() - began)
            tally.loads[path or "home"] += 1
            await check(page, url, tally)
            if "step_size" in pages[path]:
                for _ in range(MOVES_PER_PAGE):
                    await move_step_size(page, url, rng, tally)
    finally:
        await context.close()


async def check(page, url: str, tally: Tally) -> None:
    """Count what the page shows: exceptions, error alerts, divergence messages, warnings, URL notes."""
    shown = await page.evaluate(SHOWN)
    tally.exceptions += [f"{url}: {text}" for text in shown["exceptions"]]
    for text in shown["errors"]:
        if DIVERGENCE_TEXT in text:
            tally.divergences += 1
        else:
            tally.error_alerts.append(f"{url}: {text}")
    tally.warnings.update(shown["warnings"])
    tally.url_notes += [f"{url}: {text}" for text in shown["infos"] if "Ignored" in text]


async def move_step_size(page, url: str, rng: random.Random, tally: Tally) -> None:
    """One notch of the step-size slider by keyboard (away from an end), then wait for the rerun."""
    slider = page.locator(STEP_SLIDER)
    if await slider.count() != 1:
        return
    value, low, high = await slider.evaluate("e => [+e.value, +e.min, +e.max]")
    key = (
        "ArrowRight"
        if value <= low
        else "ArrowLeft"
        if value >= high
        else rng.choice(["ArrowLeft", "ArrowRight"])
    )
    runs, before = await page.evaluate("() => [window.__runs, location.search]")
    began = time.monotonic()
    try:
        await slider.focus()
        await page.keyboard.press(key)
        await page.wait_for_function(
            f"() => (window.__runs > {runs} || location.search !== {json.dumps(before)}) && ({SETTLED})()",
            timeout=SETTLE_TIMEOUT_MS,
            polling=SETTLE_POLL_MS,
        )
    except Exception as error:  # a move that never settles is an error; say what the page was doing
        state = await page.evaluate(MOVE_STATE)
        tally.timeouts.append(
            f"{url} (move {key}): {type(error).__name__}: {str(error).splitlines()[0]} {state}"
        )
        return
    tally.move_seconds.append(time.monotonic() - began)
    await check(page, f"{url} (move {key})", tally)


async def soak(
    base: str, pid: int, sessions: int, minutes: float, every: float
) -> tuple[Tally, list[Sample]]:
    """Run the sessions and the memory sampler; return what they saw and the memory samples."""
    from playwright.async_api import async_playwright

    pages, tally, samples, stop = varied_controls(), Tally(), [], asyncio.Event()
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        start = time.monotonic()
        sampler = asyncio.create_task(sample_memory(pid, start, every, samples, stop))
        deadline = start + 60 * minutes
        await asyncio.gather(*(session(browser, i, base, pages, deadline, tally) for i in range(sessions)))
        stop.set()
        await sampler
        await browser.close()
    return tally, samples


def percentile95(values: list[float]) -> float:
    """The 95th percentile (nearest rank) of sorted ``values``."""
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def report(
    tally: Tally, samples: list[Sample], idle_mb: float, sessions: int, tracebacks: int, machine: str
) -> str:
    """The results as a markdown section: a short description, the machine line and a table."""
    middle = min(samples, key=lambda s: abs(s.minutes - samples[-1].minutes / 2))
    second_half = [s for s in samples if s.minutes >= samples[-1].minutes / 2]
    loads = sum(tally.loads.values())
    per_page = ", ".join(f"{name} {count}" for name, count in sorted(tally.loads.items()))
    seconds, moves = sorted(tally.seconds) or [0.0], sorted(tally.move_seconds) or [0.0]
    p95 = percentile95(seconds)
    warnings = sum(tally.warnings.values())
    rows = [
        ("sessions", f"{sessions} browser contexts, {samples[-1].minutes:.1f} min"),
        ("page loads", f"{loads} ({per_page})"),
        ("page load to settled, median / p95", f"{statistics.median(seconds):.1f} s / {p95:.1f} s"),
        (
            "step-size slider moves, key press to settled: median / p95",
            f"{len(moves)} moves, {statistics.median(moves):.2f} s / {percentile95(moves):.2f} s",
        ),
        (
            "**errors**",
            f"**{tally.errors + tracebacks}**: {len(tally.exceptions)} exceptions, "
            f"{len(tally.error_alerts)} error alerts, {len(tally.timeouts)} pages not settled, "
            f"{len(tally.js_errors)} JavaScript errors, {tracebacks} tracebacks in the server log",
        ),
        ("divergence messages (expected)", str(tally.divergences)),
        ("warnings shown (refused settings, accuracy hints)", str(warnings)),
        ("URL notes (none expected)", str(len(tally.url_notes))),
        ("server RSS idle (before the sessions)", f"{idle_mb:.0f} MB"),
        (
            "server RSS start / middle / end (peak)",
            f"{samples[0].rss_mb:.0f} / {middle.rss_mb:.0f} / {samples[-1].rss_mb:.0f} MB "
            f"({max(s.rss_mb for s in samples):.0f} MB)",
        ),
        (
            "RSS slope, whole run / second half",
            f"{slope(samples):+.1f} / {slope(second_half):+.1f} MB per minute",
        ),
        (
            "1-min load average start / max / end",
            f"{samples[0].load:.1f} / {max(s.load for s in samples):.1f} / {samples[-1].load:.1f} "
            f"on {os.cpu_count()} CPUs",
        ),
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    trace = " · ".join(f"{s.minutes:.1f} min {s.rss_mb:.0f}" for s in samples)
    problems = [*tally.exceptions, *tally.error_alerts, *tally.timeouts, *tally.js_errors][:5]
    details = "".join(f"\n- {text[:300]}" for text in problems)
    warned = "".join(f"\n- {count} × {text[:200]}" for text, count in tally.warnings.most_common(3))
    return (
        "## Soak (`bench/soak.py`)\n\n"
        f"{machine}\n\n"
        f"{sessions} headless Chromium sessions against one `streamlit run app.py` server, each cycling "
        "through the home page and every lesson; each page is opened from a URL with random allowed "
        "`step_size`, `particles` and `seed`, so every page load is a new Streamlit session and usually "
        f"a new simulation; on pages with a step size h, {MOVES_PER_PAGE} moves of its slider follow, each "
        "waited for. The load average counts everything on the machine, other benchmarks included.\n\n"
        "| measure | value |\n|---|---|\n"
        f"{table}\n\n"
        f"RSS samples (MB): {trace}\n"
        + (f"\nFirst problems:{details}\n" if problems else "")
        + (f"\nMost frequent warnings:{warned}\n" if warned else "")
    )


def main() -> None:
    """Parse the arguments, run the soak against a fresh server, print and record the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="how long the sessions run (default 3)")
    parser.add_argument("--sessions", type=int, default=4, help="concurrent browser sessions (default 4)")
    parser.add_argument("--sample-seconds", type=float, default=10.0, help="RSS sampling period (default 10)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"no Chromium at {CHROMIUM}")
    machine = machine_line()  # before the load starts: the load average then counts other processes only
    with tempfile.TemporaryDirectory() as folder:
        log_path = Path(folder) / "server.log"
        with streamlit_server(log_path) as (base, pid):
            time.sleep(2.0)
            idle_mb = rss_mb(pid)
            tally, samples = asyncio.run(soak(base, pid, args.sessions, args.minutes, args.sample_seconds))
        log = log_path.read_text()
        tracebacks = log.count("Traceback (most recent call last)")
    markdown = report(tally, samples, idle_mb, args.sessions, tracebacks, machine)
    print(markdown)
    if tracebacks:  # the first one whole, for whoever reads the run (the report counts them only)
        start = log.index("Traceback (most recent call last)")
        print("First traceback in the server log:\n" + log[max(0, start - 300) : start + 4000])
    if not args.no_write:
        write_section("soak", markdown)
        print("wrote the soak section of bench/RESULTS.md")


if __name__ == "__main__":
    main()
