"""Lesson 7's model (MATH §9): backward samplers raced at equal budgets of score evaluations, each
final cloud measured against the exact p₀. No Streamlit here.

Every run starts from the same x_T ~ N(0, I) (the seed's), at T = ``T_END``, with the mixture's exact
score. A run at budget B takes the most steps whose evaluations fit B (``GridSampler.evaluations``).
Its error is KL(cloud ‖ p₀) − b, the Kozachenko–Leonenko estimate minus its bias b on exact clouds of
the same size (``lessons/noise_bands.py``): 0 is as good as an exact cloud, and the band's half-width
is the sampling noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch

from core import divergence
from core.samplers import SAMPLERS, GridSampler
from core.time_grids import GRIDS
from lessons import noise_bands
from lessons.settings import GRID_LABELS, SAMPLER_LABELS, Settings
from lessons.simulate import dataset

T_END = 4.0  # N(0, I) is p_T to within 1e-3 nats here: every error is the sampler's
LADDER = (5, 10, 20, 50, 100, 200)  # the budgets of the chart (the budget control's values)
FLOOR = "exact_posterior"
FLOOR_BUDGETS = (1, 5, 10, 20)  # exact at any step count: measured at a few budgets, from one step
FLOOR_GRID = "uniform"  # no Tweedie step, whose blur would be the only error left
FLOOR_LABEL = "exact posterior"
ANIMATION_FRAMES = 20  # the clouds' animation: after k / 20 of the budget's evaluations, k = 0 … 20
# The most work a race may ask, in particle × component × score evaluations summed over its runs: the
# costliest preset race (200 evaluations, 160 components, 500 particles) took 2.6 s of one core (load 1),
# under the server's 3 s per request; own data of up to 300 points can ask more.
MAX_WORK = 500 * 160 * (11 * sum(LADDER) + sum(FLOOR_BUDGETS))


@dataclass(frozen=True)
class RunSpec:
    """One run of the race: a sampler of ``core.samplers.SAMPLERS`` on a grid of ``GRIDS`` at a budget."""

    sampler: str
    grid: str
    budget: int


@dataclass(frozen=True)
class Measured:
    """A run's outcome: ``steps`` taken, ``evaluations`` spent, ``excess`` KL to p₀ minus the band
    mean in nats (NaN when the particles blew up), and the final ``cloud`` (N, 2) float32."""

    spec: RunSpec
    steps: int
    evaluations: int
    excess: float
    cloud: np.ndarray

    @property
    def blew_up(self) -> bool:
        return math.isnan(self.excess)


def label(sampler: str, grid: str | None = None) -> str:
    """A sampler's name as the page shows it, with its grid when given."""
    name = FLOOR_LABEL if sampler == FLOOR else SAMPLER_LABELS[sampler]
    return f"{name} · {GRID_LABELS[grid]}" if grid else name


def sampler_on(spec: RunSpec) -> GridSampler:
    """The sampler of ``spec`` on its time grid."""
    return replace(SAMPLERS[spec.sampler], grid=GRIDS[spec.grid])


def steps_within(sampler: GridSampler, budget: int) -> int:
    """The most steps whose score evaluations fit ``budget`` (at least one)."""
    return max((k for k in range(1, budget + 1) if sampler.evaluations(k) <= budget), default=1)


def budgets_up_to(budget: int, ladder: tuple[int, ...] = LADDER) -> tuple[int, ...]:
    """The budgets of ``ladder`` up to ``budget``."""
    return tuple(b for b in ladder if b <= budget)


def race_specs(settings: Settings) -> tuple[RunSpec, ...]:
    """Every run the page needs: each score-only sampler on the chosen grid, the two chosen samplers
    on the other grids too, all at the LADDER's budgets up to the chosen one; the exact posterior at
    FLOOR_BUDGETS up to it. The clouds' runs (the chosen samplers at the budget, the floor at one
    evaluation) are among them."""
    budgets = budgets_up_to(settings.evaluations)
    chosen = dict.fromkeys((settings.sampler, settings.second_sampler))
    lines = [(name, settings.grid) for name in SAMPLER_LABELS]
    lines += [(name, grid) for name in chosen for grid in GRIDS if grid != settings.grid]
    specs = [RunSpec(name, grid, budget) for name, grid in lines for budget in budgets]
    floor = budgets_up_to(settings.evaluations, FLOOR_BUDGETS)
    return (*specs, *(RunSpec(FLOOR, FLOOR_GRID, budget) for budget in floor))


def work(settings: Settings) -> int:
    """What the race at ``settings`` asks: Σ over its runs of budget × particles × components."""
    components = dataset(settings).num_components
    return sum(spec.budget for spec in race_specs(settings)) * settings.particles * components


def refusal(settings: Settings) -> str | None:
    """None when the race fits MAX_WORK; else a plain-words sentence with the largest budget that fits."""
    if work(settings) <= MAX_WORK:
        return None
    fitting = [b for b in LADDER if work(replace(settings, evaluations=b)) <= MAX_WORK]
    way = f"a budget of {fitting[-1]} or fewer" if fitting else "fewer own points"
    return (
        f"Racing every sampler up to {settings.evaluations} score evaluations on these data would take "
        f"the server too long; {way} brings the race back."
    )


def run_settings(settings: Settings) -> Settings:
    """What one run depends on besides its RunSpec: the data, the particles and the seed (the cache
    key of a run, so that moving the budget, the grid or a sampler reuses the runs already made)."""
    return Settings(
        dataset=settings.dataset,
        bandwidth=settings.bandwidth,
        points=settings.points,
        particles=settings.particles,
        seed=settings.seed,
    )


def measure(settings: Settings, spec: RunSpec) -> Measured:
    """Run ``spec`` from the seed's x_T ~ N(0, I) (N = ``settings.particles``) and measure its final cloud."""
    data, sampler = dataset(settings), sampler_on(spec)
    generator = torch.Generator().manual_seed(settings.seed)
    start = torch.randn(settings.particles, 2, generator=generator)
    steps = steps_within(sampler, spec.budget)
    trajectory = sampler.sample(data, start, t_end=T_END, num_steps=steps, generator=generator, num_frames=1)
    cloud = trajectory.final
    excess = math.nan
    if not trajectory.diverged:
        size = noise_bands.kl_size(len(cloud))
        excess = divergence.kl_to_exact(cloud[:size], data) - band(settings)[0]
    return Measured(spec, steps, sampler.evaluations(steps), excess, cloud.numpy())


def spent_after(sampler: GridSampler, steps: int) -> list[int]:
    """Score evaluations spent after j = 0 … S = ``steps`` steps of a run of S steps: every step but
    the last costs ``evaluations_per_step``, the last what ``sampler.evaluations`` says is left."""
    per_step = sampler.evaluations_per_step
    return [per_step * j for j in range(steps)] + [sampler.evaluations(steps)]


def allowances(budget: int, frames: int = ANIMATION_FRAMES) -> list[int]:
    """The evaluations each frame of the clouds' animation has spent: 0 to ``budget`` in at most
    ``frames`` even parts (one per evaluation when the budget is smaller), rounded."""
    parts = min(frames, budget)
    return [round(k * budget / parts) for k in range(parts + 1)]


def animate(settings: Settings, spec: RunSpec, budget: int) -> np.ndarray:
    """The run of ``spec`` (the same noise and steps as ``measure``) as it spends ``budget``: frame k
    is the cloud after the last step whose evaluations fit ``allowances(budget)[k]`` (the start when
    none does; the last finite cloud after a blow-up);  -> (F, N, 2) float32."""
    data, sampler = dataset(settings), sampler_on(spec)
    generator = torch.Generator().manual_seed(settings.seed)
    start = torch.randn(settings.particles, 2, generator=generator)
    steps = steps_within(sampler, spec.budget)
    xs = sampler.sample(data, start, t_end=T_END, num_steps=steps, generator=generator).xs.numpy()
    spent = spent_after(sampler, steps)[: len(xs)]  # (S + 1,), fewer after a blow-up
    taken = [max(j for j, cost in enumerate(spent) if cost <= allowed) for allowed in allowances(budget)]
    return xs[taken]


def band(settings: Settings) -> tuple[float, float]:
    """(mean, upper) of the KL band of p₀ at the readout's size: exact clouds land below ``upper``."""
    found = noise_bands.kl_band(settings, 0.0, noise_bands.kl_size(settings.particles))
    return float(found.mean), float(found.upper)


def margin(settings: Settings) -> float:
    """The band's half-width above its mean: an excess below it is within sampling noise."""
    mean, upper = band(settings)
    return upper - mean


def find(measured: tuple[Measured, ...], sampler: str, grid: str, budget: int) -> Measured:
    """The run of ``sampler`` on ``grid`` at ``budget`` among ``measured``."""
    return next(m for m in measured if m.spec == RunSpec(sampler, grid, budget))


def panels(settings: Settings, measured: tuple[Measured, ...]) -> tuple[Measured, ...]:
    """The clouds side by side: the two chosen samplers at the budget on the chosen grid (one panel
    when they are the same), then the exact posterior's single step."""
    chosen = dict.fromkeys((settings.sampler, settings.second_sampler))
    runs = [find(measured, name, settings.grid, settings.evaluations) for name in chosen]
    return (*runs, find(measured, FLOOR, FLOOR_GRID, 1))


def lines(settings: Settings, measured: tuple[Measured, ...]) -> dict[tuple[str, str], tuple[Measured, ...]]:
    """The chart's lines: (sampler, grid) -> its runs in budget order."""
    grouped: dict[tuple[str, str], list[Measured]] = {}
    for run in measured:
        grouped.setdefault((run.spec.sampler, run.spec.grid), []).append(run)
    return {key: tuple(sorted(runs, key=lambda m: m.spec.budget)) for key, runs in grouped.items()}
