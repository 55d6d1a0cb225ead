"""Sampler benchmark: KL(samples ‖ p₀) in nats against score evaluations, for every sampler and grid.

For each preset (two moons, eight Gaussians) and every sampler of ``core.samplers.SAMPLERS`` on every
grid of ``core.time_grids.GRIDS``, runs T = 4 → 0 from the same N(0, I) particles with the exact score,
at the largest step count whose score evaluations fit each budget, and reports
``divergence.kl_to_exact(final, p₀) − band.mean`` (the estimator's bias at this N removed by
``kl_noise_band``), averaged over a few seeds. Also times one run per sampler at the lesson's size.
Prints the tables and rewrites the "samplers" section of bench/RESULTS.md. Run from the repository root:

    .venv/bin/python bench/samplers.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: `core`, `bench`

import dataclasses
import math
import os
import statistics
import time
from collections.abc import Callable

import torch

from bench._results import machine_line, write_section
from core import datasets, divergence
from core.mixture import GaussianMixture
from core.samplers import SAMPLERS, DPMSolver2M, GridSampler
from core.time_grids import GRIDS, TimeGrid
from lessons import registry

PRESETS = ("two_moons", "eight_gaussians")
BUDGETS = (10, 20, 50, 100, 200)  # score evaluations per run
PARTICLES, SEEDS, BAND_REPEATS = 2_000, 3, 16
T_END = 4.0
TIMING_EVALUATIONS, TIMING_REPEATS = 50, 5
T_MIN_CHOICES = (1e-4, 1e-3, 1e-2)

SeedRun = Callable[[torch.Tensor, torch.Generator], torch.Tensor | None]  # (x_start, gen) -> final or None


def steps_within(sampler: GridSampler, budget: int) -> int:
    """The most steps whose score evaluations fit ``budget``."""
    return max(k for k in range(1, budget + 1) if sampler.evaluations(k) <= budget)


def exact_band(data: GaussianMixture) -> divergence.KLBand:
    """The noise band of ``kl_to_exact`` on BAND_REPEATS exact clouds of PARTICLES points (fixed seed)."""
    return divergence.kl_noise_band(
        data, PARTICLES, repeats=BAND_REPEATS, generator=torch.Generator().manual_seed(7)
    )


def seed_mean_kl(run_seed: SeedRun, data: GaussianMixture, band_mean: float) -> float:
    """Mean over SEEDS of KL(final ‖ p₀) − band mean, ``final = run_seed(x_start, generator)`` from seed s's
    N(0, I) particles (PARTICLES, 2) and noise generator (seed 1000 + s); inf if any seed blew up (None)."""
    values = []
    for seed in range(SEEDS):
        x_start = torch.randn(PARTICLES, 2, generator=torch.Generator().manual_seed(seed))
        final = run_seed(x_start, torch.Generator().manual_seed(1000 + seed))
        if final is None:
            return float("inf")
        values.append(divergence.kl_to_exact(final, data) - band_mean)
    return statistics.fmean(values)


def kl_above_band(sampler: GridSampler, data: GaussianMixture, budget: int, band_mean: float) -> float:
    """Mean over SEEDS of KL(final ‖ p₀) − band mean; inf if any seed blew up."""

    def run_seed(x_start: torch.Tensor, generator: torch.Generator) -> torch.Tensor | None:
        run = sampler.sample(
            data, x_start, t_end=T_END, num_steps=steps_within(sampler, budget), generator=generator
        )
        return None if run.diverged else run.final

    return seed_mean_kl(run_seed, data, band_mean)


def seed_mean_sd(band: divergence.KLBand) -> float:
    """sd of a SEEDS-seed mean of exact clouds' KL: the upper edge is t_{R−1}(0.975) √(1 + 1/R) ≈ 2.2 sd
    above the band's mean."""
    return (band.upper - band.mean) / (2.2 * math.sqrt(SEEDS))


def preset_table(name: str) -> tuple[str, dict[tuple[str, str], list[float]]]:
    """The markdown table of one preset and its values by (sampler, grid)."""
    data = datasets.make(name)
    band = exact_band(data)
    rows, values = [], {}
    for sampler_name, base in SAMPLERS.items():
        for grid_name, grid in GRIDS.items():
            sampler = dataclasses.replace(base, grid=grid)
            kls = [kl_above_band(sampler, data, budget, band.mean) for budget in BUDGETS]
            values[sampler_name, grid_name] = kls
            cells = " | ".join("blew up" if kl == float("inf") else f"{kl:.3f}" for kl in kls)
            rows.append(f"| {sampler_name} | {grid_name} | {cells} |")
            print(name, sampler_name, grid_name, cells, flush=True)
    header = (
        f"**{name}** (band at N = {PARTICLES:,}: mean {band.mean:.3f}, upper edge {band.upper - band.mean:+.3f} "
        f"above it; a {SEEDS}-seed mean has sd ≈ {seed_mean_sd(band):.3f})\n\n"
        f"| sampler | grid | {' | '.join(str(b) for b in BUDGETS)} |\n|---|---|{'--:|' * len(BUDGETS)}"
    )
    return header + "\n" + "\n".join(rows), values


def best_lines(values: dict[tuple[str, str], list[float]]) -> str:
    """The best score-only sampler and grid at every budget."""
    score_only = {key: kls for key, kls in values.items() if not SAMPLERS[key[0]].uses_exact_posterior}
    cells = []
    for i, budget in enumerate(BUDGETS):
        (sampler_name, grid_name), kls = min(score_only.items(), key=lambda item: item[1][i])
        cells.append(f"{budget}: {sampler_name} / {grid_name} {kls[i]:.3f}")
    return "best score-only: " + "; ".join(cells)


def t_min_table() -> str:
    """DPM-Solver++(2M) on the log-SNR grid at 50 evaluations: t_min and the denoising step."""
    rows = []
    for t_min in T_MIN_CHOICES:
        for denoise in (True, False):
            sampler = DPMSolver2M(grid=TimeGrid("log_snr", t_min=t_min, denoise=denoise))
            cells = []
            for name in PRESETS:
                data = datasets.make(name)
                band = exact_band(data)
                cells.append(f"{kl_above_band(sampler, data, 50, band.mean):.3f}")
            rows.append(f"| {t_min:g} | {'yes' if denoise else 'no'} | {' | '.join(cells)} |")
    return (
        f"| t_min | Tweedie step | {' | '.join(PRESETS)} |\n|--:|---|{'--:|' * len(PRESETS)}\n"
        + "\n".join(rows)
    )


def timings(particles: int = PARTICLES, grid: str = "log_snr") -> str:
    """Median wall time of one run at ``particles`` particles and TIMING_EVALUATIONS evaluations on
    two moons, on ``grid``."""
    data, x_start = (
        datasets.make("two_moons"),
        torch.randn(particles, 2, generator=torch.Generator().manual_seed(0)),
    )
    cells = []
    for sampler_name, base in SAMPLERS.items():
        sampler = dataclasses.replace(base, grid=GRIDS[grid])
        steps = steps_within(sampler, TIMING_EVALUATIONS)
        times = []
        for repeat in range(TIMING_REPEATS + 1):  # the first run warms up
            start = time.perf_counter()
            sampler.sample(
                data, x_start, t_end=T_END, num_steps=steps, generator=torch.Generator().manual_seed(repeat)
            )
            times.append(time.perf_counter() - start)
        cells.append(f"{sampler_name} {1000 * statistics.median(times[1:]):.0f}")
    return "; ".join(cells)


def main() -> None:
    torch.set_num_threads(1)
    machine = machine_line()
    cores = len(os.sched_getaffinity(0))
    started = time.perf_counter()
    tables, bests = [], []
    for name in PRESETS:
        table, values = preset_table(name)
        tables.append(table)
        bests.append(f"- {name}: {best_lines(values)}")
    t_min_rows = t_min_table()
    timing = timings()
    lesson = registry.page("samplers").defaults
    lesson_timing = timings(lesson.particles, lesson.grid)
    minutes = (time.perf_counter() - started) / 60
    markdown = f"""## Samplers: KL(samples ‖ p₀) against score evaluations (`bench/samplers.py`)

{machine} · nproc = {cores} (the machine shared with other agents' runs) · one torch thread

KL(samples ‖ p₀) − band mean in nats (`divergence.kl_to_exact` minus the mean of `kl_noise_band`, {BAND_REPEATS}
exact clouds of the same size), mean over {SEEDS} seeds; {PARTICLES:,} particles from N(0, I) at T = {T_END:g}
with the exact score (the mixture's `marginal_score`); columns are score-evaluation budgets, each run
taking the most steps whose evaluations fit (`GridSampler.evaluations`: Heun costs 2 per step but 1 for
a step into t = 0, the predictor–corrector 2, a denoising step 1). Grids (`time_grids.GRIDS`): uniform
in t to 0 (`sde.backward`'s), and log-SNR and Karras (ρ = 7) to t_min = 10⁻³ followed by the Tweedie step
to 0. exact_posterior draws p(x_t | x_s) in closed form (one mixture evaluation per step); on the denoising
grids its last step is Tweedie's, so those rows measure that step's own blur. Values within two or
three times each table's stated sd of 0 are sampling noise; so are differences of that size between rows.

{tables[0]}

{tables[1]}

{chr(10).join(bests)}

The choice of t_min and of the final Tweedie step, DPM-Solver++(2M) on the log-SNR grid at 50 evaluations
(same measure): stopping at t_min leaves p_{{t_min}}, blurred by σ² ≈ 2 t_min; the Tweedie step removes
that blur but shrinks each bump by its posterior variance, which hurts once σ² nears a bump's own
variance (0.01 for the point-cloud presets).

{t_min_rows}

Time of one run at {PARTICLES:,} particles and {TIMING_EVALUATIONS} evaluations on two moons (log-SNR grid),
median of {TIMING_REPEATS} (ms): {timing}.

The same at lesson 7's defaults ({lesson.particles:,} particles, {lesson.grid} grid, two moons, a budget of
{TIMING_EVALUATIONS}; each run once per server, then cached), median of {TIMING_REPEATS} (ms): {lesson_timing}.

Whole benchmark: {minutes:.1f} min.
"""
    print(markdown)
    write_section("samplers", markdown)


if __name__ == "__main__":
    main()
