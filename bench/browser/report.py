"""The report: markdown tables and "what limits it" notes, written from the measurements, for two
sections of bench/RESULTS.md: "browser" (cold load, playback, classroom) and "browser-controls" (every
select slider moved, display toggles against a new simulation in server CPU)."""

from __future__ import annotations

import math
import os

from bench.browser import classroom as room
from bench.browser.scenarios import (
    BASELINE,
    BIG,
    IDLE_S,
    PLAYBACK_PAGE,
    REPEAT_VISITS,
    by_side,
    median,
)
from bench.browser.session import QUIET_MS
from harness.server import CHROMIUM_ARGS
from lessons import figures, registry
from lessons.settings import OPTIONS, format_value

ALL_PARTS = ("load", "slider", "toggle", "fps", "classroom")  # what a run can measure (--only)
LOAD_TARGET_S, MOVE_TARGET_MS, MOVE_BIG_TARGET_MS = 2.5, 250.0, 1000.0
BYTES_TARGET, FPS_TARGET = 1_000_000, 30.0
TOGGLE_RATIO_TARGET = 1 / 3  # server CPU of a display toggle / of a new simulation
DISPLAY_HZ = 60  # requestAnimationFrame rate of headless Chromium
SIMULATION = "new simulation (seed + 1)"  # scenarios.display_toggles's label


def command(config) -> str:
    """The command line of the run ``config`` describes."""
    words = ["python -m bench.browser"]
    if set(config.parts) != set(ALL_PARTS):
        words.append(f"--only {','.join(part for part in ALL_PARTS if part in config.parts)}")
    if config.quick:
        words.append("--quick")
    if config.tries != (3 if config.quick else 10):
        words.append(f"--tries {config.tries}")
    if config.pages:
        words.append(f"--pages {','.join(sorted(config.pages))}")
    return "`" + " ".join(words) + "`"


def verdict(ok: bool) -> str:
    """A table cell for a target."""
    return "pass" if ok else "**miss**"


def ms_text(ms: float | None) -> str:
    """Milliseconds, rounded; "–" for none (NaN: nothing to take a median of)."""
    return "–" if ms is None or math.isnan(ms) else f"{ms:.0f}"


def secs(ms: float | None) -> str:
    """Milliseconds as seconds with 2 decimals."""
    return "–" if ms is None else f"{ms / 1000:.2f}"


def machine(line: str) -> str:
    """bench._results.machine_line with the cores this process may use (what `nproc` prints)."""
    return f"{line} · nproc = {len(os.sched_getaffinity(0))}"


def step_lessons() -> set[str]:
    """The lesson pages the load and playback notes take medians over: those with a step size."""
    return {page.name for page in registry.LESSONS if "step_size" in page.controls}


def lessons_median(runs: dict, pick, lessons: set[str]) -> float:
    """Median over the ``lessons`` pages of ``pick(run)``."""
    return median([pick(run) for name, run in runs.items() if run and name in lessons])


def machine_share(results: dict) -> str:
    """How busy the rest of the machine was during the run: its load average, and the CPU used by
    processes other than this benchmark's server, browser and driver."""
    cpu = results.get("cpu")
    if not cpu:
        return ""
    other = max(cpu["machine"] - cpu["server"] - cpu["browser"] - cpu["driver"], 0.0)
    shared = other > 0.2 or results["load_end"] > 1.5 * os.cpu_count()
    return (
        f"Other processes on the machine used {other:.2f} cores on average during the run (this "
        f"benchmark's server {cpu['server']:.2f}, browser {cpu['browser']:.2f}, driver {cpu['driver']:.2f}); "
        f"1-minute load average {results['load_end']:.1f} at the end"
        + (
            ": **the machine was shared** (other test runs), so latencies are higher than on an idle one."
            if shared
            else "."
        )
    )


# --------------------------------------------------------------------------- "browser"


def load_table(loads: dict) -> list[str]:
    """The cold-load table."""
    rows = [
        "| page | seed | first chart: median / max (s) | DOMContentLoaded (s) | script runs (s) | "
        "script done (s) | plotly.js: downloaded / evaluated (s) | first Plotly.react: at (s) / takes (ms) | "
        f"downloaded: scripts (MB) / websocket (kB) | repeat visit (s) | ≤ {LOAD_TARGET_S:g} s |",
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


def fps_table(fps: dict, parts: dict) -> list[str]:
    """The playback table and the per-layer line."""
    rows = [
        f"| page | frames | Play button (FRAME_MS = {figures.FRAME_MS}): fps / median frame interval (ms) | "
        f"frame duration 0: fps / interval (ms) | ≥ {FPS_TARGET:.0f} fps |",
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
            f"Frame duration 0 on {PLAYBACK_PAGE}, layer by layer (1,000 particles unless noted): {costs}.",
        ]
    return rows


def classroom_table(runs: list[dict]) -> list[str]:
    """The classroom table."""
    rows = [
        "| sessions | opened (s to open) | moves | errors | latency p50 / p95 (s) | server RSS: before / "
        "peak (MB) | CPU in cores: server / browser / driver / other | server CPU per move (ms) | "
        f"held (p95 ≤ {room.P95_TARGET_S:g} s, no error) |",
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
            f"{verdict(room.held(run))} |"
        )
    errors = sorted({e for run in runs for e in run["errors"]})
    if errors:
        rows += ["", "Classroom errors (distinct): " + "; ".join(f"`{e}`" for e in errors[:6]) + "."]
    return rows


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
        f"a {DISPLAY_HZ} Hz display, {DISPLAY_HZ / refreshes:.0f} fps; below that, drawing a frame is the "
        f"limit). Clouds of up to {figures.SVG_LIMIT:,} particles are SVG and the "
        "exact density is drawn as contour lines, so a frame moves points and lines without a full redraw "
        f"of the chart; at frame duration 0 it reaches {unpaced:.1f} fps ({gap:.0f} ms a frame)."
    )
    baseline = parts.get(BASELINE)
    if baseline and "defaults" in parts:
        text += (
            f" Baseline in the same run, {PLAYBACK_PAGE}: the same frames with WebGL clouds and a full redraw "
            f"per frame (the design before) {baseline['fps']:.1f} fps, against {parts['defaults']['fps']:.1f} "
            f"fps now ({parts['defaults']['fps'] / baseline['fps']:.1f}×)."
        )
    return text


def classroom_note(runs: list[dict]) -> str:
    """Who saturates first in the classroom, and the server's cost per move."""
    largest = max((run["sessions"] for run in runs if room.held(run)), default=0)
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


def browser_section(results: dict, machine_text: str, config, seconds: float) -> str:
    """The "browser" section: cold load, playback, classroom."""
    lines = [
        "## Browser: load, playback and a classroom (headless Chromium, real Streamlit server)",
        "",
        machine_text,
        "",
        f"{command(config)}: system Chromium "
        f"({' '.join(CHROMIUM_ARGS)}; software WebGL, no GPU) and `streamlit run app.py` on this machine, "
        f"both sharing its {os.cpu_count()} cores. Times are read inside the page: navigation start or the "
        "keydown to the first requestAnimationFrame in which the charts hold the new data. Medians of "
        f'{config.tries} tries per page. Slider moves and display toggles: the "browser-controls" section.',
    ]
    share = machine_share(results)
    if share:
        lines += ["", share]
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
            f"### Classroom: N sessions on /{room.CLASSROOM_PAGE} at its defaults, one server",
            "",
            *classroom_table(results["classroom"]),
            "",
            f"Each session moves h one notch around its default (cached runs after the first visits), "
            f"waits until its charts have settled, pauses {room.THINK_S[0]:g}–{room.THINK_S[1]:g} s, for "
            f"{config.seconds:.0f} s. CPU in cores = CPU seconds per wall second over the run (2 = the whole "
            "machine); other = everything else on the machine.",
        ]
    notes = []
    if results.get("load"):
        notes.append(load_note(results["load"], step_lessons()))
    if results.get("fps"):
        notes.append(fps_note(results["fps"], results.get("fps_parts", {}), step_lessons()))
    if results.get("classroom"):
        notes.append(classroom_note(results["classroom"]))
    if notes:
        lines += ["", "### What limits it", "", *[f"- {note}" for note in notes]]
    return "\n".join(lines + footer(results, seconds, ("warm-up", "load", "playback", "classroom")))


# --------------------------------------------------------------------------- "browser-controls"


def moved(run: dict) -> str:
    """``start → down / up`` as the slider shows the values."""
    setting = run["setting"]
    sides = " / ".join(
        format_value(setting, run["sides"][side]) for side in ("down", "up") if side in run["sides"]
    )
    return f"{format_value(setting, run['start'])} → {sides}"


def drops_charts(run: dict) -> bool:
    """Whether a new-run move leaves fewer charts than a cached one (the page draws nothing at that
    value: learning without a network trained for that many steps shows the Train prompt)."""
    return median([m["charts"] for m in run["fresh"]]) < median([m["charts"] for m in run["cached"]])


def side_ms(run: dict, side: str) -> str:
    moves = by_side(run["fresh"], side)
    return f"{median([m['ms'] for m in moves]):.0f}" if moves else "–"


def slider_rows(sliders: dict) -> list[str]:
    """One row per select slider of every lesson page, at the defaults."""
    rows = [
        "| page | slider | moved | new run: median / max (ms) | one value down / up: median (ms) | "
        "first chart changed: median (ms) | cached: median (ms) | bytes per move: new / cached (kB) | "
        f"new run, median: rerun starts / last message / longest Plotly.react (ms) | ≤ {MOVE_TARGET_MS:.0f} ms | "
        f"largest move ≤ {BYTES_TARGET / 1e6:g} MB |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for name, sizes in sliders.items():
        for setting, run in sizes["defaults"].items():
            if not run:
                rows.append(f"| {name} | {OPTIONS[setting].label} | not measured (error) | | | | | | | | |")
                continue
            fresh, cached = run["fresh"], run["cached"]
            ms = median([m["ms"] for m in fresh])
            timeline = " / ".join(
                ms_text(median([m[part] for m in fresh]))
                for part in ("rerun_start", "last_message", "react_ms")
            )
            result = "– (no chart: see below)" if drops_charts(run) else verdict(ms <= MOVE_TARGET_MS)
            rows.append(
                f"| {name} | {OPTIONS[setting].label} | {moved(run)} | {ms:.0f} / {max(m['ms'] for m in fresh):.0f} | "
                f"{side_ms(run, 'down')} / {side_ms(run, 'up')} | {median([m['first_ms'] for m in fresh]):.0f} | "
                f"{median([m['ms'] for m in cached]):.0f} | {median([m['bytes'] for m in fresh]) / 1e3:.0f} / "
                f"{median([m['bytes'] for m in cached]) / 1e3:.0f} | {timeline} | {result} | "
                f"{verdict(max(m['bytes'] for m in fresh + cached) <= BYTES_TARGET)} |"
            )
    return rows


def big_rows(sliders: dict) -> list[str]:
    """The step size moved with BIG particles."""
    runs = {name: sizes.get(str(BIG)) for name, sizes in sliders.items() if sizes.get(str(BIG))}
    if not runs:
        return []
    rows = [
        "",
        f"Step size h with {BIG:,} particles:",
        "",
        "| page | moved | new run: median / max (ms) | h down / up: median (ms) | cached: median (ms) | "
        f"bytes per new move (kB) | ≤ {MOVE_BIG_TARGET_MS:.0f} ms |",
        "|---|---|--:|--:|--:|--:|---|",
    ]
    for name, run in runs.items():
        fresh = run["fresh"]
        ms = median([m["ms"] for m in fresh])
        rows.append(
            f"| {name} | {moved(run)} | {ms:.0f} / {max(m['ms'] for m in fresh):.0f} | {side_ms(run, 'down')} / "
            f"{side_ms(run, 'up')} | {median([m['ms'] for m in run['cached']]):.0f} | "
            f"{median([m['bytes'] for m in fresh]) / 1e3:.0f} | {verdict(ms <= MOVE_BIG_TARGET_MS)} |"
        )
    return rows


def chart_runs(sliders: dict) -> tuple[dict[str, dict], dict[str, dict]]:
    """Every slider run at the defaults by "page slider label": those that draw charts, and those
    whose new values leave fewer charts (``drops_charts``)."""
    drawing, dropped = {}, {}
    for name, sizes in sliders.items():
        for setting, run in sizes["defaults"].items():
            if run:
                (dropped if drops_charts(run) else drawing)[f"{name} {OPTIONS[setting].label}"] = run
    return drawing, dropped


def overall_line(sliders: dict) -> str:
    """The median over every new-run move of every chart-drawing slider at the defaults."""
    drawing, dropped = chart_runs(sliders)
    moves = [m["ms"] for run in drawing.values() for m in run["fresh"]]
    every = moves + [m["ms"] for run in dropped.values() for m in run["fresh"]]
    overall = median(moves)
    slowest = max(drawing, key=lambda label: median([m["ms"] for m in drawing[label]["fresh"]]))
    text = (
        f"**Overall, every select slider of every lesson page at the defaults**: median {overall:.0f} ms "
        f"over {len(moves)} new-run moves of {len(drawing)} sliders (target ≤ {MOVE_TARGET_MS:.0f} ms: "
        f"{verdict(overall <= MOVE_TARGET_MS)}); the slowest slider, {slowest}, "
        f"{median([m['ms'] for m in drawing[slowest]['fresh']]):.0f} ms."
    )
    if dropped:
        text += (
            f" Left out: {', '.join(dropped)}, whose new values have no chart to draw (learning: no network "
            "trained for that many steps, so the view gives way to the Train prompt; timed to that change); "
            f"with them the median is {median(every):.0f} ms."
        )
    return text


def toggle_rows(toggle: dict) -> list[str]:
    """Server CPU and latency of a new simulation and of each display toggle."""
    rows = [
        "| action | server CPU: median / min / max (ms) | ÷ new simulation (medians) | latency to the last "
        "chart change: median (ms) | bytes received: median (kB) | ≤ 1/3 |",
        "|---|--:|--:|--:|--:|---|",
    ]
    simulation = median([r["cpu_ms"] for r in toggle["runs"][SIMULATION]])
    for label, runs in toggle["runs"].items():
        cpu = [r["cpu_ms"] for r in runs]
        ratio = median(cpu) / simulation
        rows.append(
            f"| {label} | {median(cpu):.0f} / {min(cpu):.0f} / {max(cpu):.0f} | "
            f"{'1' if label == SIMULATION else f'{ratio:.2f}'} | {median([r['ms'] for r in runs]):.0f} | "
            f"{median([r['bytes'] for r in runs]) / 1e3:.0f} | "
            f"{'–' if label == SIMULATION else verdict(ratio <= TOGGLE_RATIO_TARGET)} |"
        )
    return rows


def toggle_ratio(toggle: dict) -> tuple[float, float, str]:
    """(median toggle CPU / median simulation CPU over every toggle, the worst toggle's ratio, its label)."""
    simulation = median([r["cpu_ms"] for r in toggle["runs"][SIMULATION]])
    toggles = {label: runs for label, runs in toggle["runs"].items() if label != SIMULATION}
    every = median([r["cpu_ms"] for runs in toggles.values() for r in runs]) / simulation
    worst = max(toggles, key=lambda label: median([r["cpu_ms"] for r in toggles[label]]))
    return every, median([r["cpu_ms"] for r in toggles[worst]]) / simulation, worst


def toggle_line(toggle: dict, repeats: int) -> str:
    every, worst, label = toggle_ratio(toggle)
    window = median([r["window_ms"] for runs in toggle["runs"].values() for r in runs])
    return (
        f"**Display toggle ÷ new simulation, server CPU** ({toggle['page']}, {toggle['particles']:,} particles, "
        f"medians of {repeats}): {every:.2f} over every toggle (target ≤ 1/3: "
        f"{verdict(every <= TOGGLE_RATIO_TARGET)}); the dearest, {label}, {worst:.2f} "
        f"({verdict(worst <= TOGGLE_RATIO_TARGET)}). The CPU is the streamlit process's (every thread, "
        f"/proc/<pid>/stat) from just before the click to the last chart change plus lab.js's quiet interval "
        f"(median window {window:.0f} ms); idle, the server used {toggle['idle_ms_per_s']:.1f} ms of CPU per "
        f"second (measured over {IDLE_S:g} s), which is in every figure."
    )


def slider_note(sliders: dict) -> str:
    """Where a slider move's time goes."""
    drawing, _ = chart_runs(sliders)
    fresh = [m for run in drawing.values() for m in run["fresh"]]
    cached = [m for run in drawing.values() for m in run["cached"]]
    part = {key: median([m[key] for m in fresh]) for key in ("rerun_start", "last_message", "react_ms")}
    down, up = (median([m["ms"] for m in by_side(fresh, side)]) for side in ("down", "up"))
    replaced = median([m["replaced"] for m in fresh])
    charts = median([m["charts"] for m in fresh])
    return (
        f"**Slider move** (every chart-drawing slider at the defaults, medians over all new-run moves): the "
        f"rerun starts {part['rerun_start']:.0f} ms after the keydown, the last message arrives at "
        f"{part['last_message']:.0f} ms (the server simulating, building and serialising the figures), and a "
        f"Plotly.react takes up to {part['react_ms']:.0f} ms. A move replaced {replaced:.0f} of {charts:.0f} "
        f"chart divs (the chart component patches its chart in place). A cached run takes "
        f"{median([m['ms'] for m in cached]):.0f} ms. One value down against one value up: {down:.0f} ms "
        f"against {up:.0f} ms (for h and the step count, down and up differ in the steps simulated)."
    )


def controls_section(results: dict, machine_text: str, config, seconds: float) -> str:
    """The "browser-controls" section: every select slider, display toggles."""
    lines = [
        "## Browser: every slider → chart, and display toggles against a new simulation (server CPU)",
        "",
        machine_text,
        "",
        f"{command(config)}: "
        f"system Chromium and `streamlit run app.py` sharing this machine's {os.cpu_count()} cores. A move is "
        "timed inside the page from the keydown (a click for toggles) to the last requestAnimationFrame in "
        "which any chart changed (every chart shows the new run; the page has settled once the script has "
        f"finished and no chart has changed for {QUIET_MS} ms).",
    ]
    share = machine_share(results)
    if share:
        lines += ["", share]
    if results.get("slider"):
        lines += [
            "",
            "### Every select slider, one value each way (keyboard), at the page defaults",
            "",
            *slider_rows(results["slider"]),
            *big_rows(results["slider"]),
            "",
            f"{config.tries} new runs per slider: after each seed bump (a new simulation, not timed) the slider "
            "moves one value down (a run not yet simulated), back (cached: `st.cache_data` hit), one value up "
            "(new), back (cached); at an end of its range, only the side that exists. Bytes: websocket "
            "messages received for the move.",
            "",
            overall_line(results["slider"]),
        ]
    if results.get("toggle"):
        toggle = results["toggle"]
        lines += [
            "",
            f"### Display toggles against a new simulation: {toggle['page']} at {toggle['particles']:,} particles",
            "",
            *toggle_rows(toggle),
            "",
            f"Each of {config.tries} rounds: the seed one up (a new simulation), the exact density off and on, "
            "the arrows switched on and back to none (the first arrows for a run are computed, then cached).",
            "",
            toggle_line(toggle, config.tries),
        ]
    if results.get("slider"):
        lines += ["", "### What limits it", "", f"- {slider_note(results['slider'])}"]
    return "\n".join(lines + footer(results, seconds, ("warm-up", "slider", "toggle")))


def footer(results: dict, seconds: float, parts: tuple[str, ...]) -> list[str]:
    """The failures and the time spent on ``parts``."""
    lines = []
    failures = [f for f in results["failures"] if any(part in f.split(":")[0].split() for part in parts)]
    if failures:
        lines += ["", "Not measured (errors): " + "; ".join(failures) + "."]
    spent = ", ".join(f"{part} {sec / 60:.1f}" for part, sec in results["spent"].items())
    return [*lines, "", f"Whole benchmark: {seconds / 60:.1f} min ({spent})."]


def sections(results: dict, machine_text: str, config, seconds: float) -> dict[str, str]:
    """Section name -> markdown, for the sections the measured parts belong to."""
    found = {}
    if config.parts & {"load", "fps", "classroom"}:
        found["browser"] = browser_section(results, machine_text, config, seconds)
    if config.parts & {"slider", "toggle"}:
        found["browser-controls"] = controls_section(results, machine_text, config, seconds)
    return found
