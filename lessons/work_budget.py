"""The work budget of a shared server: what a lesson's run will cost, estimated before it starts, and
the plain-words refusal of a run that costs more than BUDGET_S of one core. No Streamlit here.

A run's cost is linear in its particle-steps and in the mixture's components K (every score
evaluation sums over them): simulation = particles × steps × (a + b K) nanoseconds, and its KL
readout = readout particles × (c + d K), its measured frames folded into c and d, and for own data
the sampling-noise bands of data the server has not seen (a new set of points defeats every cache). The coefficients are measured on one torch
thread, as the app runs (``bench/load.py calibrate``; bench/RESULTS.md, "load" section).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

from core.samplers import SAMPLERS
from lessons import noise_bands, score_learning, simulate, step_sweep
from lessons.settings import OPTIONS, Settings, format_value

BUDGET_S = 3.0  # CPU seconds of one core that any URL or control may ask of a shared server
# page -> (a, b): nanoseconds per particle-step for the run, a + b K (bench/load.py calibrate: the larger
# of two calibrations on the shared 2-core machine, bench/RESULTS.md "load" section)
SIMULATION_NS = {
    "langevin": (100.0, 2.14),
    "forward": (42.0, 0.17),
    "backward": (107.0, 1.99),
    "splitting": (320.0, 4.08),
    "duality": (220.0, 4.2),
}
# page -> (c, d): nanoseconds per readout particle for the KL readout, c + d K: of own data (whose
# sampling-noise bands are new to the server), and of a preset (whose bands the server keeps); the
# larger of two calibrations after the neighbour search moved to np.partition (2026-12-02)
NEW_DATA_READOUT_NS = {
    "langevin": (193_000.0, 140.0),
    "forward": (581_000.0, 1_170.0),
    "backward": (586_000.0, 730.0),
    "splitting": (354_000.0, 320.0),
    "duality": (669_000.0, 1_250.0),
}
MALA_FACTOR = 4.0  # a MALA step against a ULA step on lesson 1 (3.6–4× measured: docs/maths.md §9)
NETWORK_NS = 820.0  # ns per particle-step of lesson 6's score network (core.score_net defaults, one thread)
PRESET_READOUT_NS = {
    "langevin": (102_000.0, 43.0),
    "forward": (106_000.0, 220.0),
    "backward": (83_000.0, 100.0),
    "splitting": (303_000.0, 270.0),
    "duality": (209_000.0, 190.0),
}


@dataclass(frozen=True)
class Estimate:
    """What a run will cost: its particles, steps, mixture components and CPU seconds of one core."""

    particles: int
    steps: int
    components: int
    seconds: float

    @property
    def affordable(self) -> bool:
        return self.seconds <= BUDGET_S


def steps(page_name: str, settings: Settings) -> int:
    """The steps a page's run takes: Langevin's own count, the splitting lesson's split steps, else T / h."""
    if page_name == "langevin":
        return settings.num_steps
    if page_name == "splitting":
        return step_sweep.split_steps(settings)
    return max(1, round(settings.t_end / settings.step_size))


def estimate(page_name: str, settings: Settings) -> Estimate:
    """The cost of the page's run and its KL readout at ``settings``, before anything runs."""
    seconds = simulation_seconds(page_name, settings) + readout_seconds(page_name, settings)
    components = mixture_components(settings)
    return Estimate(settings.particles, steps(page_name, settings), components, seconds)


def mixture_components(settings: Settings) -> int:
    """K of the settings' data (its own points count once per set of points)."""
    return _components(simulate.data_only(settings))


@functools.lru_cache(maxsize=64)
def _components(data_only: Settings) -> int:
    return simulate.dataset(data_only).num_components


def simulation_seconds(page_name: str, settings: Settings) -> float:
    """CPU seconds of the run: particles × steps × (a + b K) ns, MALA_FACTOR times more for MALA, and
    on the backward lesson as many times more as its sampler evaluates the score per step."""
    a, b = SIMULATION_NS.get(page_name, (0.0, 0.0))
    components = mixture_components(settings)
    count = steps(page_name, settings)
    factor = 1.0
    if page_name == "langevin" and settings.langevin_step == "mala":
        factor = MALA_FACTOR
    elif page_name == "backward":
        factor = SAMPLERS[settings.sampler].evaluations(count) / count
    return factor * settings.particles * count * (a + b * components) * 1e-9


def readout_seconds(page_name: str, settings: Settings) -> float:
    """CPU seconds of the run's KL readout: readout particles × (c + d K) ns, own data with its new
    noise bands."""
    table = NEW_DATA_READOUT_NS if settings.dataset == "custom" else PRESET_READOUT_NS
    c, d = table.get(page_name, (0.0, 0.0))
    components = mixture_components(settings)
    return noise_bands.kl_size(settings.particles) * (c + d * components) * 1e-9


def seconds_in_words(seconds: float) -> str:
    """A cost in words, rounded up: "3.1 s" for 3.04 s below 10 s (so a cost just over a 3 s budget never
    reads as the budget), else "15 s" for 14.2 s."""
    return f"{math.ceil(seconds * 10) / 10:.1f} s" if seconds < 10 else f"{math.ceil(seconds):.0f} s"


def refusal(page_name: str, settings: Settings) -> str | None:
    """None when the page's run fits the budget; else a sentence saying what was refused and why,
    with the nearest choices that fit."""
    cost = estimate(page_name, settings)
    if cost.affordable:
        return None
    asked = f"{cost.particles:,} particles × {cost.steps:,} steps on {_data_words(settings, cost.components)}"
    return _over_budget(asked, cost.seconds, _advice(page_name, settings))


def _over_budget(asked: str, seconds: float, advice: str) -> str:
    """The refusal of ``asked`` (what would run, in words), which costs ``seconds``, with ``advice``."""
    return (
        f"{asked} would take about {seconds_in_words(seconds)} of the server's processor; this page runs "
        f"at most about {BUDGET_S:.0f} s for one student: {advice}."
    )


def _data_words(settings: Settings, components: int) -> str:
    if settings.dataset == "custom":
        return f"your own data of {components:,} points"
    return format_value("dataset", settings.dataset)


def _advice(page_name: str, settings: Settings) -> str:
    """The largest particle count and the smallest step size (or step count) that fit, each alone."""
    ways = []
    particles = _largest_fitting(page_name, settings, "particles")
    if particles is not None:
        ways.append(f"{particles:,} particles or fewer")
    if page_name == "langevin":
        count = _largest_fitting(page_name, settings, "num_steps")
        if count is not None:
            ways.append(f"{count:,} steps or fewer")
    elif page_name != "splitting":
        step = _smallest_fitting_step(page_name, settings)
        if step is not None:
            ways.append(f"a step size h of {step:g} or larger")
    if settings.dataset == "custom":
        ways.append("fewer own points or a preset")
    return "use " + " or ".join(ways) if ways else "choose smaller settings"


def _largest_fitting(page_name: str, settings: Settings, name: str) -> int | None:
    fitting = [
        value
        for value in OPTIONS[name].values
        if value < getattr(settings, name)
        and estimate(page_name, replace(settings, **{name: value})).affordable
    ]
    return max(fitting, default=None)


def _smallest_fitting_step(page_name: str, settings: Settings) -> float | None:
    fitting = [
        value
        for value in OPTIONS["step_size"].values
        if value > settings.step_size and estimate(page_name, replace(settings, step_size=value)).affordable
    ]
    return min(fitting, default=None)


def generation_seconds(settings: Settings, networks: int) -> float:
    """CPU seconds of lesson 6's generated clouds: the backward run with the exact score and one with
    each of ``networks`` snapshots, LEARNED_STEPS each, and their KL readout."""
    a, b = SIMULATION_NS["backward"]
    per_particle_step = a + b * mixture_components(settings) + networks * (a + NETWORK_NS)
    simulation = settings.particles * score_learning.LEARNED_STEPS * per_particle_step * 1e-9
    return simulation + readout_seconds("backward", settings)


def generation_refusal(settings: Settings, networks: int) -> str | None:
    """None when lesson 6's generation fits the budget; else what was refused and why, in words."""
    cost = generation_seconds(settings, networks)
    if cost <= BUDGET_S:
        return None
    fitting = [
        value
        for value in OPTIONS["particles"].values
        if generation_seconds(replace(settings, particles=value), networks) <= BUDGET_S
    ]
    advice = f"use {max(fitting):,} particles or fewer" if fitting else "choose a preset with fewer particles"
    asked = f"Generating {settings.particles:,} particles with the exact score and {networks} networks"
    return _over_budget(asked, cost, advice)
