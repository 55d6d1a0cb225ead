"""Load on one server, without browsers, and the work budget's calibration.

    .venv/bin/python bench/load.py students 30              # 30 sessions on a server this script starts
    .venv/bin/python bench/load.py students 30 --attackers 2
    .venv/bin/python bench/load.py students 30 --shared-link     # every student on seed 0
    .venv/bin/python bench/load.py students 30 --url http://127.0.0.1:8080   # a running server or proxy
    .venv/bin/python bench/load.py calibrate     # CPU ns per particle-step of every lesson's run (one torch thread)

``students`` speaks Streamlit's own websocket protocol (the BackMsg / ForwardMsg protobufs of the
installed streamlit package): each session opens a lesson page, then every MOVE_EVERY_S moves its step
size slider one notch (a rerun BackMsg carrying the slider's new widget state and its fragment), and times each
rerun from the message sent to the server's ``script_finished``. Each student has its own seed, so its
runs are its own (no cache hits across students); with ``--shared-link`` every student opens the page
with seed 0, as a class does from the one link its teacher shared, and a run one student has asked for
is a cache hit for the others (each still walks h on its own). An error is an exception element, the app's "Something
went wrong", a rerun answered after more than SLOW_RERUN_S (it is still timed), no answer in
GIVE_UP_S, or a dropped connection, each named by where it happened. Attackers open the
issue's costliest URL with a fresh seed once every ATTACK_EVERY_S (a held reload key; each a new session,
closed once answered).

``calibrate`` times each lesson's real run and its KL readout (noise bands of new data included) on one
torch thread at K = 1, 8, 160 and 300 mixture components, fits a + b K, and prints the coefficients
``lessons/work_budget.py`` holds.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root

import argparse
import asyncio
import functools
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode, urlsplit

import numpy as np
import torch
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from harness.server import streamlit_server
from lessons import duality_model, noise_bands, registry, simulate, user_data, work_budget
from lessons.settings import Settings

CALIBRATION_PARTICLES = 2000
CALIBRATION_STEP = 0.002  # small enough that no calibration run blows up (own data at σ₀ = 0.1)
CALIBRATION_STEPS = 500
CALIBRATION_REPEATS = 3
OWN_POINTS = 300
MOVE_EVERY_S = 3.0  # a student moves a slider this often
DURATION_S = 120.0
SLOW_RERUN_S = 30.0
GIVE_UP_S = 300.0
SERVER_LOG = Path(tempfile.gettempdir()) / "langevin-lab-load-server.log"  # the started server's log
STUDENT_PAGE = "backward"  # lesson 4 at its defaults: two moons (160 components), 1,000 particles
SLIDER = "Step size h"  # its walk reaches h = 0.001: 4,000 steps, about 2.3 s of CPU at the defaults
ATTACK_EVERY_S = 1.0
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
BROKEN = "Something went wrong"
COSTLIEST = {  # issue 17's costliest URL: own data of 300 points, σ₀ = 0.05, 10,000 particles, h = 0.002, T = 8, λ = 2
    "dataset": "custom",
    "bandwidth": "0.05",
    "particles": "10000",
    "step_size": "0.002",
    "t_end": "8",
    "lam": "2",
}


def calibration_datasets() -> dict[str, dict]:
    """Settings overrides of datasets with 1, 8, 160 and 300 mixture components."""
    own = user_data.encode(np.random.default_rng(0).normal(size=(OWN_POINTS, 2)))
    return {
        "gaussian": {"dataset": "gaussian"},
        "eight_gaussians": {"dataset": "eight_gaussians"},
        "two_moons": {"dataset": "two_moons"},
        "own data": {"dataset": "custom", "points": own, "bandwidth": 0.1},
    }


def cpu_seconds(compute: Callable[[], object]) -> tuple[float, object]:
    started = time.process_time()
    result = compute()
    return time.process_time() - started, result


def forget_bands() -> None:
    """Empty the per-server caches of noise bands and densities, as for data the server never saw."""
    for cached in (noise_bands._kl_band, noise_bands._width_band, simulate._marginal_densities):
        cached.cache_clear()


def readout(page: registry.Page) -> Callable[[object, Settings], object]:
    return duality_model.measure if page.name == "duality" else page.measure


def calibration_point(page: registry.Page, overrides: dict) -> tuple[int, float, float, float]:
    """(K, ns per particle-step of the run, ns per readout particle for new data and for data whose
    noise bands are cached) at one dataset, medians."""
    settings = replace(
        page.defaults,
        particles=CALIBRATION_PARTICLES,
        step_size=CALIBRATION_STEP,
        t_end=CALIBRATION_STEP * CALIBRATION_STEPS,
        num_steps=CALIBRATION_STEPS,
        **overrides,
    )
    components = simulate.dataset(settings).num_components
    units = settings.particles * work_budget.steps(page.name, settings)
    size = noise_bands.kl_size(settings.particles)
    runs, cold, warm = [], [], []
    for _ in range(CALIBRATION_REPEATS):
        seconds, run = cpu_seconds(lambda: page.run(settings))
        runs.append(seconds / units)
        forget_bands()
        measure = functools.partial(readout(page), run, settings)
        cold.append(cpu_seconds(measure)[0] / size)
        warm.append(cpu_seconds(measure)[0] / size)
    return components, *(statistics.median(times) * 1e9 for times in (runs, cold, warm))


def calibrate() -> None:
    """Print each page's fitted coefficients of work_budget (a + b K ns), with the points behind them."""
    torch.set_num_threads(1)
    print(f"nproc {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    for name in work_budget.SIMULATION_NS:
        page = registry.page(name)
        points = [calibration_point(page, overrides) for overrides in calibration_datasets().values()]
        ks, *columns = (np.array(column) for column in zip(*points, strict=True))
        (run_b, run_a), (cold_b, cold_a), (warm_b, warm_a) = (np.polyfit(ks, ns, 1) for ns in columns)
        print(
            f"{name}: run ({run_a:.0f}, {run_b:.2f}); new-data readout ({cold_a:.0f}, {cold_b:.0f}); "
            f"cached-band readout ({warm_a:.0f}, {warm_b:.0f}) ns"
        )
        for k, run_ns, cold_ns, warm_ns in points:
            print(
                f"    K={k:4d}: run {run_ns:7.1f} ns/particle-step; readout {cold_ns:9.0f} / {warm_ns:9.0f} ns/particle"
            )


@dataclass
class Tally:
    """What the sessions of one kind saw: slider-move rerun seconds, errors (with what they were), how
    many reruns were answered with a refusal, and page loads (not timed)."""

    reruns: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refusals: int = 0
    page_loads: int = 0

    def summary(self) -> str:
        if not self.reruns:
            return f"no rerun answered; errors {len(self.errors)} {self.errors[:3]}"
        ordered = sorted(self.reruns)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        return (
            f"{len(ordered)} reruns, median {statistics.median(ordered):.2f} s, p95 {p95:.2f} s, "
            f"max {ordered[-1]:.2f} s, errors {len(self.errors)}{' ' + str(self.errors[:3]) if self.errors else ''}"
            + (f", refusals {self.refusals}" if self.refusals else "")
        )


@dataclass
class Slider:
    """A select slider the server drew: its widget id, its options as shown, and its fragment."""

    widget_id: str
    options: list[str]
    fragment_id: str
    at: int  # the index of the option it shows


class Session:
    """One browser tab as the server sees it: a websocket speaking BackMsg / ForwardMsg."""

    def __init__(self, socket: websockets.ClientConnection, page: str, query: dict[str, str]) -> None:
        self.socket, self.page, self.query = socket, page, urlencode(query)
        self.sliders: dict[str, Slider] = {}
        self.session_id = ""

    async def rerun(
        self, widget: WidgetState | None = None, fragment_id: str = ""
    ) -> tuple[float, list[str], int]:
        """Ask for a rerun; -> (seconds to script_finished, errors seen, refusals seen)."""
        message = BackMsg()
        state = message.rerun_script
        state.query_string, state.page_name = self.query, self.page
        if widget is not None:
            state.widget_states.widgets.append(widget)
            state.fragment_id = fragment_id
        started = time.monotonic()
        await self.socket.send(message.SerializeToString())
        errors, refusals = await asyncio.wait_for(self._until_finished(), GIVE_UP_S)
        seconds = time.monotonic() - started
        return (
            seconds,
            errors + ([f"answered after {seconds:.0f} s"] if seconds > SLOW_RERUN_S else []),
            refusals,
        )

    async def move(self, label: str) -> tuple[float, list[str], int]:
        """Move the slider ``label`` one notch left or right (as a student drags it), at random."""
        slider = self.sliders[label]
        step = (
            random.choice((-1, 1))
            if 0 < slider.at < len(slider.options) - 1
            else (1 if slider.at == 0 else -1)
        )
        slider.at += step
        widget = WidgetState(id=slider.widget_id)
        widget.string_array_value.data.append(slider.options[slider.at])
        return await self.rerun(widget, slider.fragment_id)

    async def _until_finished(self) -> tuple[list[str], int]:
        errors, refusals = [], 0
        while True:
            message = ForwardMsg()
            message.ParseFromString(await self.socket.recv())
            kind = message.WhichOneof("type")
            if kind == "script_finished":
                if message.script_finished in FINISHED:
                    return errors, refusals
                errors.append(ForwardMsg.ScriptFinishedStatus.Name(message.script_finished))
                return errors, refusals
            if kind == "new_session":
                self.session_id = message.new_session.initialize.session_id
            if kind == "page_info_changed":  # the app wrote its settings into the address: keep it
                self.query = message.page_info_changed.query_string
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                error, refused = self._read(message.delta)
                errors += [error] if error else []
                refusals += refused

    def _read(self, delta: object) -> tuple[str | None, int]:
        """Note a select slider; -> (an error it shows, whether it is a work-budget refusal)."""
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "slider" and element.slider.options:
            shown = element.slider.value if element.slider.set_value else element.slider.default
            at = int(shown[0]) if shown else 0
            self.sliders[element.slider.label] = Slider(
                element.slider.id, list(element.slider.options), delta.fragment_id, at
            )
        if kind == "exception":
            return f"exception {element.exception.type}", 0
        if kind == "alert" and BROKEN in element.alert.body:
            return "something went wrong", 0
        return None, int(kind == "alert" and "would take about" in element.alert.body)


def stream_url(base: str) -> str:
    parts = urlsplit(base)
    return f"ws://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream"


async def connect(base: str, cookie: str | None = None) -> websockets.ClientConnection:
    """The session websocket at ``base``, sending ``cookie`` (a proxy's affinity cookie) if given."""
    headers = {"Cookie": cookie} if cookie else None
    return await websockets.connect(
        stream_url(base),
        subprotocols=["streamlit"],
        additional_headers=headers,
        max_size=None,
        compression=None,
        open_timeout=60,
    )


async def student(base: str, seed: int, until: float, tally: Tally) -> None:
    """Open the student page with its own seed, then move the step size every MOVE_EVERY_S."""
    await asyncio.sleep(random.uniform(0, MOVE_EVERY_S))
    try:
        async with await connect(base) as socket:
            session = Session(socket, STUDENT_PAGE, {"seed": str(seed)})
            _, errors, _ = await session.rerun()
            tally.errors += [f"page load: {error}" for error in errors]
            tally.page_loads += 1
            while time.monotonic() < until:
                tick = time.monotonic()
                seconds, errors, refusals = await session.move(SLIDER)
                tally.reruns.append(seconds)
                tally.errors += errors
                tally.refusals += refusals
                await asyncio.sleep(max(0.0, MOVE_EVERY_S - (time.monotonic() - tick)))
    except (OSError, TimeoutError, KeyError, websockets.WebSocketException) as error:
        tally.errors.append(f"session ended: {type(error).__name__} {error}")


async def attacker(base: str, first_seed: int, until: float, tally: Tally) -> None:
    """Open the costliest URL with a fresh seed again and again, each time as a new session."""
    points = user_data.encode(np.random.default_rng(first_seed).normal(size=(OWN_POINTS, 2)))
    seed = first_seed
    while time.monotonic() < until:
        seed += 1
        tick = time.monotonic()
        try:
            async with await connect(base) as socket:
                session = Session(socket, STUDENT_PAGE, {**COSTLIEST, "points": points, "seed": str(seed)})
                seconds, errors, refusals = await session.rerun()
                tally.reruns.append(seconds)
                tally.errors += errors
                tally.refusals += refusals
        except (OSError, TimeoutError, websockets.WebSocketException) as error:
            tally.errors.append(f"attack ended: {type(error).__name__} {error}")
        await asyncio.sleep(max(0.0, ATTACK_EVERY_S - (time.monotonic() - tick)))


async def classroom(
    base: str, students: int, attackers: int, duration: float, shared_link: bool = False
) -> tuple[Tally, Tally]:
    """``students`` and ``attackers`` on the server at ``base`` for ``duration`` seconds; the students
    on seeds of their own, or all on seed 0 (``shared_link``)."""
    until = time.monotonic() + duration
    normal, hostile = Tally(), Tally()
    await asyncio.gather(
        *(student(base, 0 if shared_link else 1000 + index, until, normal) for index in range(students)),
        *(attacker(base, 100_000 * (index + 1), until, hostile) for index in range(attackers)),
    )
    return normal, hostile


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU seconds the process ``pid`` has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    base: str | None, students: int, attackers: int, duration: float, shared_link: bool = False
) -> tuple[Tally, Tally, float | None]:
    """Run the classroom against ``base``, or against a server started here (as `make run` does);
    -> the students' and attackers' tallies, and the started server's CPU seconds during the run."""
    if base is not None:
        return *asyncio.run(classroom(base, students, attackers, duration, shared_link)), None
    with (
        tempfile.TemporaryDirectory() as scratch,
        streamlit_server(Path(scratch) / "server.log") as (url, pid),
    ):
        asyncio.run(classroom(url, 1, 0, 1.0))  # warm up: imports and first run
        before = cpu_seconds_of(pid)
        normal, hostile = asyncio.run(classroom(url, students, attackers, duration, shared_link))
        return normal, hostile, cpu_seconds_of(pid) - before


def report(
    students: int,
    attackers: int,
    tallies: tuple[Tally, Tally, float | None],
    started_load: float,
    shared_link: bool = False,
) -> None:
    normal, hostile, server_cpu = tallies
    seeds = "all on seed 0 (one shared link)" if shared_link else "a seed each"
    print(
        f"nproc {os.cpu_count()}, load average {started_load:.1f} before / {os.getloadavg()[0]:.1f} after; "
        f"{students} students ({seeds}) moving '{SLIDER}' every {MOVE_EVERY_S:g} s"
    )
    if server_cpu is not None:
        answered = len(normal.reruns) + normal.page_loads + len(hostile.reruns)
        print(
            f"  server CPU {server_cpu:.1f} s, {server_cpu / max(1, answered):.3f} s per answered run (page loads included)"
        )
    print(f"  students: {normal.summary()}")
    if attackers:
        print(f"  {attackers} attackers: {hostile.summary()}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("calibrate", help="measure the work budget's coefficients")
    load = commands.add_parser("students", help="sessions moving a slider, without browsers")
    load.add_argument("count", type=int)
    load.add_argument("--attackers", type=int, default=0)
    load.add_argument("--duration", type=float, default=DURATION_S)
    load.add_argument("--url", help="a running server or proxy (default: start one)")
    load.add_argument("--shared-link", action="store_true", help="every student on seed 0 (one link)")
    arguments = parser.parse_args()
    if arguments.command == "calibrate":
        calibrate()
        return
    started_load = os.getloadavg()[0]
    tallies = measure(
        arguments.url, arguments.count, arguments.attackers, arguments.duration, arguments.shared_link
    )
    report(arguments.count, arguments.attackers, tallies, started_load, arguments.shared_link)


if __name__ == "__main__":
    main()
