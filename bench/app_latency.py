"""App latency benchmark: wall time of a full lesson-page rerun in Streamlit's AppTest, and chart sizes.

For every lesson page, at its default settings: moves the step-size slider to a neighbouring allowed
value and sets a fresh seed, so that every timed rerun is a cache miss (a new simulation), and times
``AppTest.run()`` only; then times reruns with unchanged settings (cache hits). Also records the CPU
time of AppTest's script thread (robust to other processes competing for the CPUs), splits each
uncached rerun into simulation, figure building and chart serialisation (``chart.figure_json``),
records the JSON size of every chart at the defaults, profiles one uncached rerun of the slowest page
with cProfile, prints the results and rewrites the "app_latency" section of bench/RESULTS.md.  Run
from the repository root:

    .venv/bin/python bench/app_latency.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # repository root: lessons, bench, harness

import cProfile
import dataclasses
import functools
import inspect
import io
import pstats
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import streamlit as st
import streamlit.logger
import torch
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.local_script_runner import LocalScriptRunner

from bench._results import machine_line, write_section
from harness.payloads import chart_payloads
from lessons import chart, figures, registry, still_figures
from lessons.settings import OPTIONS

ROOT = Path(__file__).resolve().parent.parent
# the lesson pages with an engine run (the registry's Page.run) and a step size
PAGES = tuple(page.name for page in registry.LESSONS if page.run is not None and "step_size" in page.controls)
FIGURE_BUILDERS = (
    (figures, "cloud_animation"),
    (still_figures, "line_chart"),
    (still_figures, "drift_arrows"),
)
PARTS = ("simulation", "figures", "serialise")
REPEATS = 7  # timed uncached reruns per page, and as many cached ones
RUN_TIMEOUT = 120.0  # seconds per AppTest run (AppTest's default, 3 s, is too short on a busy machine)
RERUN_TARGET_MS = 300.0
CHART_TARGET_BYTES = 1_000_000  # 1 MB
PROFILE_SEED = 9000  # a seed no timed run uses, so the profiled rerun is a cache miss too


@dataclass
class Parts:
    """Wall time spent in each part of a rerun (outermost calls only), and the simulation calls."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    simulations: int = 0
    _active: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self.seconds.clear()
        self.simulations = 0

    def timed(self, part: str, original: Callable) -> Callable:
        """``original``, timed into ``part`` unless a call of the same part is already running."""

        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            if part in self._active:
                return original(*args, **kwargs)
            self._active.add(part)
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[part] += time.perf_counter() - start
                self.simulations += part == "simulation"
                self._active.discard(part)

        return wrapper


@contextmanager
def instrumented(parts: Parts) -> Iterator[None]:
    """Time the pages' engine runs (``Page.run``, which the engine cache looks up in the registry), the
    figure builders and ``chart.figure_json`` (the JSON every chart sends) by replacing the registry
    entries and the module attributes the app looks them up through."""
    targets = [(module, name, "figures") for module, name in FIGURE_BUILDERS]
    targets += [(chart, "figure_json", "serialise")]
    originals = [(module, name, getattr(module, name)) for module, name, _ in targets]
    pages = {name: registry.BY_NAME[name] for name in PAGES}
    for module, name, part in targets:
        setattr(module, name, parts.timed(part, getattr(module, name)))
    for name, page in pages.items():
        registry.BY_NAME[name] = dataclasses.replace(page, run=parts.timed("simulation", page.run))
    try:
        yield
    finally:
        for module, name, original in originals:
            setattr(module, name, original)
        registry.BY_NAME.update(pages)


@dataclass
class ScriptThread:
    """A hook into AppTest's script thread (one per run): its CPU time, and an optional cProfile
    (cProfile only sees the thread it is enabled in)."""

    cpu_seconds: float = 0.0
    profiler: cProfile.Profile | None = None

    @contextmanager
    def hooked(self) -> Iterator[None]:
        original = LocalScriptRunner._run_script_thread

        def run_script_thread(runner: LocalScriptRunner) -> None:
            start = time.thread_time()
            if self.profiler is not None:
                self.profiler.enable()
            try:
                original(runner)
            finally:
                if self.profiler is not None:
                    self.profiler.disable()
                self.cpu_seconds = time.thread_time() - start

        LocalScriptRunner._run_script_thread = run_script_thread
        try:
            yield
        finally:
            LocalScriptRunner._run_script_thread = original


@dataclass
class PageResult:
    """The timings (ms) and chart sizes (bytes) of one lesson page."""

    page: str
    default_h: float
    neighbours: tuple[float, ...]
    first_load_ms: float
    uncached_ms: list[float]
    uncached_cpu_ms: list[float]
    cached_ms: list[float]
    parts_ms: dict[str, list[float]]
    charts: dict[str, int]

    @property
    def median(self) -> float:
        return statistics.median(self.uncached_ms)

    @property
    def rerun_ok(self) -> bool:
        return self.median <= RERUN_TARGET_MS

    @property
    def charts_ok(self) -> bool:
        return max(self.charts.values()) <= CHART_TARGET_BYTES


def timed_run(at: AppTest, thread: ScriptThread) -> tuple[float, float]:
    """Wall and script-thread CPU milliseconds of ``at.run()``; fails on any exception or error the page
    shows (a warning is the verdict saying a run is off, which moving h is there to show)."""
    start = time.perf_counter()
    at.run()
    elapsed = 1e3 * (time.perf_counter() - start)
    shown = [e.message for e in at.exception] + [e.value for e in at.error]
    if shown:
        raise RuntimeError(f"the page showed: {shown}")
    return elapsed, 1e3 * thread.cpu_seconds


def neighbours_of(value: float) -> tuple[float, ...]:
    """The allowed step sizes next to ``value``, the smaller (more steps, dearer) first."""
    values = OPTIONS["step_size"].values
    i = values.index(value)
    return tuple(values[j] for j in (i - 1, i + 1) if 0 <= j < len(values))


def move(at: AppTest, step_size: float, seed: int) -> None:
    at.select_slider(key="step_size").set_value(step_size)
    at.number_input(key="seed").set_value(seed)


def measure(page: str, thread: ScriptThread, parts: Parts) -> tuple[PageResult, AppTest]:
    """First load, chart sizes and cached reruns at the defaults, then uncached reruns after a move."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=RUN_TIMEOUT).run()
    at.switch_page(registry.page(page).script)
    first_load, _ = timed_run(at, thread)
    default_h = at.select_slider(key="step_size").value
    charts = {key: len(payload) for key, payload in chart_payloads(at).items()}
    cached = [timed_run(at, thread)[0] for _ in range(REPEATS)]
    neighbours = neighbours_of(default_h)
    wall, cpu, parts_ms = [], [], {part: [] for part in PARTS}
    with instrumented(parts):
        for k in range(REPEATS):
            move(at, neighbours[k % len(neighbours)], seed=k + 1)
            parts.reset()
            wall_ms, cpu_ms = timed_run(at, thread)
            if parts.simulations != 1:
                raise RuntimeError(
                    f"{page}: rerun {k} ran {parts.simulations} simulations, not 1 (cache hit?)"
                )
            wall.append(wall_ms)
            cpu.append(cpu_ms)
            for part in PARTS:
                parts_ms[part].append(1e3 * parts.seconds[part])
    result = PageResult(page, default_h, neighbours, first_load, wall, cpu, cached, parts_ms, charts)
    return result, at


def profile_rerun(result: PageResult, at: AppTest, thread: ScriptThread) -> pstats.Stats:
    """cProfile of one more uncached rerun of the page (script thread only)."""
    thread.profiler = cProfile.Profile()
    move(at, result.neighbours[0], seed=PROFILE_SEED)
    try:
        timed_run(at, thread)
    finally:
        profiler, thread.profiler = thread.profiler, None
    stats = pstats.Stats(profiler, stream=io.StringIO())
    stats.calc_callees()
    return stats


def profile_summary(stats: pstats.Stats, page: str) -> list[str]:
    """Markdown bullets: the profiled rerun's total, its parts with their biggest callees, and the
    top self-time functions."""
    run = registry.page(page).run
    groups = {  # label -> (file, function) pairs
        "simulation": [(inspect.getfile(run), run.__name__)],
        "figure building": [
            (inspect.getfile(getattr(module, name)), name) for module, name in FIGURE_BUILDERS
        ],
        "chart serialisation (`chart.figure_json`)": [("lessons/chart.py", "figure_json")],
        "cache store (pickle)": [("caching/cache_data_api.py", "write_result")],
    }
    total = 1e3 * stats.total_tt
    lines = [f"- profiled rerun: {total:.0f} ms (profiling inflates Python-heavy code such as plotly's)"]
    for label, functions in groups.items():
        keys = [key for key in stats.stats if any(key[0].endswith(f) and key[2] == n for f, n in functions)]
        ms = 1e3 * sum(stats.stats[key][3] for key in keys)
        callees: dict[tuple, float] = defaultdict(float)
        for key in keys:
            for callee, (_, _, _, cumulative) in stats.all_callees[key].items():
                callees[callee] += cumulative
        biggest = sorted(callees.items(), key=lambda item: item[1], reverse=True)[:3]
        detail = ", ".join(
            f"`{_short(key)}` {1e3 * s:.0f}" for key, s in biggest if 1e3 * s >= max(0.05 * ms, 1.0)
        )
        lines.append(
            f"- {label}: {ms:.0f} ms ({100 * ms / total:.0f} %)" + (f"; in it: {detail}" if detail else "")
        )
    top = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:6]
    lines.append("- top self time: " + ", ".join(f"`{_short(key)}` {1e3 * v[2]:.0f} ms" for key, v in top))
    return lines


def _short(key: tuple[str, int, str]) -> str:
    """A profile entry as ``dir/file.py:function``, ``Class.method`` or ``module.function``."""
    file, _, name = key
    if file != "~":
        return f"{'/'.join(Path(file).parts[-2:])}:{name}"
    method = re.fullmatch(r"<method '(\w+)' of '([\w.]+)' objects>", name)
    if method:
        return f"{method.group(2).split('.')[-1]}.{method.group(1)}"
    return re.sub(r"^<built-in method (.+)>$", r"\1", name)


def table(results: list[PageResult]) -> str:
    """The markdown table of the results."""
    lines = [
        "| page | h moved | uncached rerun: median / max (ms) | script-thread CPU median (ms) | "
        "simulation / figures / serialise, median (ms) | cached rerun median (ms) | first load (ms) | "
        "chart JSON (kB) | rerun ≤ 300 ms | charts ≤ 1 MB |",
        "|---|---|--:|--:|--:|--:|--:|---|---|---|",
    ]
    for r in results:
        split = " / ".join(f"{statistics.median(r.parts_ms[part]):.0f}" for part in PARTS)
        sizes = ", ".join(f"{name} {size / 1e3:.0f}" for name, size in r.charts.items())
        hs = "/".join(f"{h:g}" for h in r.neighbours)
        lines.append(
            f"| {r.page} | {r.default_h:g} → {hs} | {r.median:.0f} / {max(r.uncached_ms):.0f} | "
            f"{statistics.median(r.uncached_cpu_ms):.0f} | {split} | {statistics.median(r.cached_ms):.0f} | "
            f"{r.first_load_ms:.0f} | {sizes} | {_verdict(r.rerun_ok)} | {_verdict(r.charts_ok)} |"
        )
    return "\n".join(lines)


def _verdict(ok: bool) -> str:
    return "pass" if ok else "**miss**"


def main() -> None:
    torch.set_num_threads(1)  # as app.py does: one core per session
    streamlit.logger.set_log_level("error")  # mute bare mode's "missing ScriptRunContext" warnings
    st.cache_data.clear()
    started = time.perf_counter()
    machine = machine_line()  # its load average: before the benchmark adds its own load
    thread, parts = ScriptThread(), Parts()
    with thread.hooked():
        measured = [measure(page, thread, parts) for page in PAGES]
        # the slowest by CPU time: wall-time medians swap places with the machine's load
        slowest, slowest_at = max(measured, key=lambda pair: statistics.median(pair[0].uncached_cpu_ms))
        stats = profile_rerun(slowest, slowest_at, thread)
    results = [result for result, _ in measured]
    elapsed = time.perf_counter() - started
    misses = [r.page for r in results if not (r.rerun_ok and r.charts_ok)]
    cpu_ok = [r.page for r in results if statistics.median(r.uncached_cpu_ms) <= RERUN_TARGET_MS]
    summary = "\n".join(profile_summary(stats, slowest.page))

    markdown = f"""## App latency (AppTest, full page rerun)

{machine}

Each lesson page at its defaults. "Uncached rerun" = `AppTest.run()` after moving the step size h to
a neighbouring allowed value and setting a new seed, so each of the {REPEATS} timed reruns runs a fresh
simulation (checked: exactly one simulate call per rerun); the smaller h (more steps) is used in 4 of
the {REPEATS}, so the median leans to the dearer side. "Script-thread CPU" = CPU time of AppTest's
script thread in those reruns, which other processes on the machine do not inflate (wall time does).
Simulation / figures / serialise = wall time inside the page's engine run (the registry's `Page.run`),
the figure builders (`cloud_animation`, `line_chart`, `drift_arrows`) and `lessons.chart.figure_json` (the JSON every chart sends); the rest is Streamlit (widgets,
markdown, cache pickling) and AppTest's parsing. "Cached rerun" = the same settings again
({REPEATS} runs): the figures are rebuilt and serialised even then. Chart JSON = the bytes each chart
component sends, at the defaults. Not measured: websocket transfer and plotly.js rendering in the browser.

{table(results)}

Misses (wall-time median): {", ".join(misses) if misses else "none"}. Within {RERUN_TARGET_MS:.0f} ms on
script-thread CPU time (about the wall time on an otherwise idle machine): {", ".join(cpu_ok) or "none"}.

Where the time goes: cProfile of one uncached rerun of the slowest page (by CPU time), `{slowest.page}` (h =
{slowest.neighbours[0]:g}), script thread only; ms are cumulative.

{summary}

Whole benchmark: {elapsed:.0f} s.
"""
    print(markdown)
    stats.stream = io.StringIO()
    stats.sort_stats("tottime").print_stats(15)
    print(stats.stream.getvalue())
    write_section("app_latency", markdown)


if __name__ == "__main__":
    main()
