"""The whole run: command-line options, one server and one browser for every measurement, each part
guarded (one broken page must not lose the others), and the sections of RESULTS.md written at the end."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import async_playwright

import bench.browser as package
from bench._results import machine_line, write_section
from bench.browser import classroom, report, scenarios
from bench.browser.processes import cpu_split
from bench.browser.report import ALL_PARTS
from bench.browser.session import prepare
from harness.server import CHROMIUM, CHROMIUM_ARGS, streamlit_server
from lessons import registry

SERVER_LOG = Path("/tmp/langevin-lab-bench-browser.log")
TRAINED_MODELS = 8  # lessons/training_store.py keeps this many trained networks for everyone


@dataclass(frozen=True)
class Config:
    """What to measure and how often."""

    tries: int
    plays: int
    ladder: tuple[int, ...]
    seconds: float
    parts: frozenset[str]
    quick: bool = False
    pages: frozenset[str] = frozenset()  # empty: every page
    write: bool = True


def parse_args() -> tuple[Config, Path | None]:
    """Command-line options -> Config, and where to write the raw measurements (if anywhere)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.browser", description=package.__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="3 tries, no 10k moves, short classroom runs (a smoke run)"
    )
    parser.add_argument("--only", default=",".join(ALL_PARTS), help="comma-separated parts")
    parser.add_argument("--sessions", default="", help="classroom: first size, bisection runs (default 30,3)")
    parser.add_argument("--tries", type=int, help="tries per measurement (default 10, 3 with --quick)")
    parser.add_argument("--pages", default="", help="comma-separated page names (default: every page)")
    parser.add_argument("--json", type=Path, help="also write the raw measurements here")
    parser.add_argument("--no-write", action="store_true", help="print the report, leave RESULTS.md alone")
    args = parser.parse_args()
    parts = frozenset(args.only.split(","))
    if parts - set(ALL_PARTS):
        parser.error(f"unknown parts {sorted(parts - set(ALL_PARTS))}; parts: {', '.join(ALL_PARTS)}")
    ladder = args.sessions or ("8,1" if args.quick else "30,3")
    config = Config(
        tries=args.tries or (3 if args.quick else 10),
        plays=1,
        ladder=tuple(int(n) for n in ladder.split(",")),
        seconds=20.0 if args.quick else 60.0,
        parts=parts,
        quick=args.quick,
        pages=frozenset(filter(None, args.pages.split(","))),
        write=not args.no_write,
    )
    for name in config.pages:
        registry.page(name)  # KeyError naming the pages there are
    return config, args.json


@dataclass
class Log:
    """What went wrong, and the wall time spent per part of the benchmark."""

    failures: list[str] = field(default_factory=list)
    spent: dict[str, float] = field(default_factory=dict)


PARTS = ("warm-up", "load", "slider", "toggle", "playback", "classroom")


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


def warm_seeds(page: registry.Page, config: Config) -> tuple[int, ...]:
    """The seeds to open a page with before measuring it: the default; on a page that draws only after
    its action (learning: a network trained per seed), every seed its slider moves bump to as well."""
    if page.layout != "learning" or "slider" not in config.parts:
        return (0,)
    bumps = max(
        scenarios.seed_bumps(page, setting, config.tries) for setting in scenarios.select_sliders(page)
    )
    return tuple(range(min(bumps, TRAINED_MODELS - 1) + 1))


async def measure_pages(browser, base: str, config: Config, log: Log) -> dict:
    """Cold loads, every slider's moves and playback of every page where they apply."""
    results: dict = {"load": {}, "slider": {}, "fps": {}, "pages": {}}
    for page in registry.PAGES:
        if config.pages and page.name not in config.pages:
            continue
        name, controls = page.name, page.controls
        info = await guarded(f"{name} warm-up", log, prepare(browser, base, name, warm_seeds(page, config)))
        if info is None:
            continue
        results["pages"][name] = {**info, "controls": controls}
        if "load" in config.parts:
            new_seed = "seed" in controls and not info["action"]
            run = scenarios.cold_loads(browser, base, name, config.tries, new_seed=new_seed)
            results["load"][name] = await guarded(f"{name} load", log, run)
        if "slider" in config.parts and scenarios.select_sliders(page):
            runs = {}
            for setting in scenarios.select_sliders(page):
                run = scenarios.slider_moves(browser, base, name, setting, config.tries)
                runs[setting] = await guarded(f"{name} slider {setting}", log, run)
            big = None
            if {"particles", "step_size"} <= set(controls) and not config.quick:
                run = scenarios.slider_moves(browser, base, name, "step_size", config.tries, scenarios.BIG)
                big = await guarded(f"{name} slider step_size at {scenarios.BIG}", log, run)
            results["slider"][name] = {"defaults": runs, str(scenarios.BIG): big}
        if "fps" in config.parts and info["animated"]:
            run = scenarios.playback(browser, base, name, config.plays)
            results["fps"][name] = await guarded(f"{name} playback", log, run)
    return results


async def playback_parts(browser, base: str, log: Log) -> dict:
    """Playback of PLAYBACK_PAGE at frame duration 0 without the density, without the paths, without
    both (what each layer costs to draw), and, as the baseline, with WebGL clouds and a full redraw per
    frame (the design before)."""
    found = {}
    for label, query in scenarios.PLAYBACK_VARIANTS.items():
        run = scenarios.playback(browser, base, scenarios.PLAYBACK_PAGE, 1, **query)
        run = await guarded(f"playback {label}", log, run)
        if run:
            found[label] = run["unpaced"][0]
    found[scenarios.BASELINE] = await guarded("playback WebGL", log, scenarios.webgl_replay(browser, base))
    return {label: run for label, run in found.items() if run}


async def measure_classroom(browser, base: str, pid: int, config: Config, log: Log) -> list:
    """The first classroom size; if it does not hold, a bisection for the largest size that holds
    (``probes`` more runs of a minute each, between 1 and the first size)."""
    runs: list[dict] = []

    async def attempt(count: int) -> bool:
        run = classroom.classroom(browser, base, pid, count, config.seconds)
        run = await guarded(f"classroom {count}", log, run)
        if run is None:
            return False
        runs.append(run)
        print(f"classroom {count}: p95 {run['p95']:.2f} s, {len(run['errors'])} errors", flush=True)
        return classroom.held(run)

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
    with streamlit_server(SERVER_LOG) as (base, pid):
        cpu_before, started = cpu_split(pid), time.monotonic()
        async with async_playwright() as driver:
            browser = await driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            results = await measure_pages(browser, base, config, log)
            if "toggle" in config.parts:
                run = scenarios.display_toggles(browser, base, pid, config.tries)
                results["toggle"] = await guarded("toggle", log, run)
            if "fps" in config.parts and not config.quick:
                results["fps_parts"] = await playback_parts(browser, base, log)
            if "classroom" in config.parts:
                results["classroom"] = await measure_classroom(browser, base, pid, config, log)
            wall, cpu_after = time.monotonic() - started, cpu_split(pid)  # the browser still running
            await browser.close()
    cpu = {name: (cpu_after[name] - cpu_before[name]) / wall for name in cpu_after}  # cores, on average
    return {
        **results,
        "cpu": cpu,
        "load_end": os.getloadavg()[0],
        "failures": log.failures,
        "spent": log.spent,
    }


def main() -> None:
    """Measure, print, and rewrite the sections of RESULTS.md for the parts measured: "browser" (cold
    load, playback, classroom) and "browser-controls" (every slider, display toggles)."""
    config, raw_path = parse_args()
    machine, started = report.machine(machine_line()), time.monotonic()
    results = asyncio.run(measure(config))
    seconds = time.monotonic() - started
    if raw_path:
        raw_path.write_text(json.dumps(results, indent=1, default=str))
    for section, text in report.sections(results, machine, config, seconds).items():
        print(text, end="\n\n")
        if config.write:
            write_section(section, text)
