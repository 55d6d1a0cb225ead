"""The step-size sweep (MATH §11): how much worse the final cloud gets as the step size h grows, at
the current settings. No Streamlit here.

For each h of a log grid around the current one (the slider's own values), the page's run is repeated
with that h and the same total time, on at most ``noise_bands.kl_size`` particles. Its error is
KL(final cloud ‖ exact final marginal) minus the band mean (the estimator's bias at that N, MATH §10);
the band's half-width is the sampling noise. Where the chain is linear (one isotropic Gaussian), the
closed form of ``core.step_bias`` is drawn beside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch

from core import divergence, step_bias
from core.mixture import GaussianMixture
from core.samplers import SAMPLERS, EulerMaruyama
from core.step_bias import IsotropicGaussian
from lessons import noise_bands, registry, simulate
from lessons.settings import OPTIONS, Settings, simulation_settings

SWEPT_PAGES = ("langevin", "forward", "splitting", "backward", "duality")  # final cloud depends on h
SPLIT_PANEL = "forward + backward"  # the splitting lesson's cloud under whole split steps
SPLIT_PANELS = 3  # clouds the splitting lesson steps side by side (its frame count depends on them)
SWEEP_POINTS = 7  # step sizes per sweep: the slider's values around the current one
CLOSED_FORM_POINTS = 48  # step sizes of the closed-form curve
SCORE_OVERHEAD = 160  # a step's cost beyond the score, in mixture components (fitted, MATH §11)
SECONDS_PER_UNIT = 1.8e-9  # CPU seconds per particle × step × (components + SCORE_OVERHEAD), one core
COST_BUDGET = 1_670_000_000  # ≈ 3 s, work_budget.BUDGET_S: every lesson's defaults fit; a few two-moons sweeps at extreme h do not
MALA_COST = 4.5  # a MALA sweep's cost over ULA's (two moons at lesson 1's defaults: 7.5 s against 1.7 s)
POINT_START = IsotropicGaussian((-2.0, 2.0), 0.0)  # simulate._start_cloud's "point" start
DUALITY_BACKWARD_RUNS = 2  # lesson 5 runs backward from the forward endpoints and from N(0, I)


@dataclass(frozen=True)
class SweepPoint:
    """One step size of the sweep: h as taken (T/S on the diffusion pages) and the error in nats
    (KL − band mean; NaN when the run blew up)."""

    step_size: float
    error: float
    blew_up: bool


@dataclass(frozen=True)
class Sweep:
    """A whole sweep: step_sizes, errors (P,) (NaN where it blew up), blew_up (P,) bool; ``band`` the
    half-width of the sampling noise at N = ``size``; ``current`` the h of the page; the closed form
    (C,) at closed_step_sizes (empty when there is none) and what it is."""

    step_sizes: np.ndarray
    errors: np.ndarray
    blew_up: np.ndarray
    band: float
    size: int
    current: float
    closed_step_sizes: np.ndarray
    closed_errors: np.ndarray
    closed_note: str


def swept_values(settings: Settings) -> tuple[float, ...]:
    """SWEEP_POINTS consecutive slider values of h centred on the one nearest ``settings.step_size``,
    shifted inwards at the ends of the slider."""
    values = OPTIONS["step_size"].values
    at = min(range(len(values)), key=lambda i: abs(math.log(values[i] / settings.step_size)))
    first = min(max(0, at - SWEEP_POINTS // 2), max(0, len(values) - SWEEP_POINTS))
    return tuple(values[first : first + SWEEP_POINTS])


def total_time(page_name: str, settings: Settings) -> float:
    """The time the sweep keeps fixed: Langevin time τ = h × steps, or the diffusion's T."""
    return settings.step_size * settings.num_steps if page_name == "langevin" else settings.t_end


def split_steps(settings: Settings) -> int:
    """The split steps the splitting lesson takes: one per frame of its SPLIT_PANELS clouds."""
    return simulate.num_frames(settings.particles * SPLIT_PANELS)


def taken(page_name: str, settings: Settings, step_size: float) -> tuple[float, int]:
    """(h, S) of a run asked for step size ``step_size``: on the splitting lesson its own S at any h;
    elsewhere S = round(total time / h), at least 1, and h as asked for Langevin, T / S on the
    diffusion pages (as their runs take it)."""
    if page_name == "splitting":
        return step_size, split_steps(settings)
    steps = max(1, round(total_time(page_name, settings) / step_size))
    return (step_size if page_name == "langevin" else settings.t_end / steps), steps


def point_settings(page_name: str, settings: Settings) -> tuple[Settings, ...]:
    """The simulation settings of each run of the sweep, by increasing h: the swept h (one per h the
    runs take), the same total time, at most ``noise_bands.kl_size`` particles; runs of more than
    ``simulate.MAX_STEPS`` steps are left out."""
    _check_page(page_name)
    base = replace(simulation_settings(settings), particles=noise_bands.kl_size(settings.particles))
    points: dict[float, Settings] = {}  # by the h the run takes
    for h in swept_values(settings):
        step, steps = taken(page_name, settings, h)
        if steps <= simulate.MAX_STEPS and step not in points:
            chain = {"num_steps": steps} if page_name == "langevin" else {}
            points[step] = replace(base, step_size=h, **chain)
    return tuple(points[step] for step in sorted(points))


def cost(page_name: str, settings: Settings) -> int:
    """The sweep's estimated cost: Σ particles × steps × clouds × (score components + SCORE_OVERHEAD),
    clouds = SPLIT_PANELS on the splitting lesson, MALA_COST for a MALA chain, the sampler's score
    evaluations per step on the backward lesson, else 1."""
    points = point_settings(page_name, settings)
    components = 0 if page_name == "forward" else simulate.dataset(settings).num_components
    clouds = {"splitting": SPLIT_PANELS, "duality": DUALITY_BACKWARD_RUNS}.get(page_name, 1)
    if page_name == "langevin" and settings.langevin_step == "mala":
        clouds = MALA_COST
    if page_name == "backward":
        clouds = SAMPLERS[settings.sampler].evaluations_per_step
    steps = sum(point.particles * taken(page_name, point, point.step_size)[1] for point in points)
    return round(steps * clouds * (components + SCORE_OVERHEAD))


def seconds(units: int) -> float:
    """CPU seconds of a sweep that ``cost`` puts at ``units``."""
    return units * SECONDS_PER_UNIT


def final_time(page_name: str, settings: Settings) -> float:
    """The time t of the exact final marginal: 0 for Langevin (its target p) and backward (p_0), T
    forward, the lesson's t for splitting (the split step leaves p_t unchanged)."""
    return {"forward": settings.t_end, "splitting": settings.time}.get(page_name, 0.0)


def measure(page_name: str, point: Settings) -> SweepPoint:
    """Run the page at ``point`` (one of ``point_settings``) and read its final cloud's error."""
    h = taken(page_name, point, point.step_size)[0]
    cloud = final_cloud(page_name, registry.page(page_name).run(point))
    if cloud is None:
        return SweepPoint(h, math.nan, True)
    t = final_time(page_name, point)
    final = torch.from_numpy(np.ascontiguousarray(cloud))  # (N, 2)
    estimate = divergence.kl_to_exact(final, simulate.dataset(point).diffused(t))
    return SweepPoint(h, estimate - noise_bands.kl_band(point, t, len(final)).mean, False)


def final_cloud(page_name: str, run: object) -> np.ndarray | None:
    """The run's final cloud (N, 2), or None when it blew up. On lesson 5 it is the backward cloud
    at t = 0 started from the forward run's own endpoints (exactly p_T: only the steps err). The
    splitting lesson's frames are held within ±3 EXTENT for display, so a cloud that reached that
    edge counts as blown up."""
    if page_name == "duality":
        return None if run.divergence is not None else run.backward[0]
    if page_name != "splitting":
        return None if run.divergence is not None else run.xs[-1]
    cloud = run.panels[SPLIT_PANEL][-1]
    return cloud if np.isfinite(cloud).all() and np.abs(cloud).max() < 3 * simulate.EXTENT else None


def assemble(page_name: str, settings: Settings, points: tuple[SweepPoint, ...]) -> Sweep:
    """The sweep from its measured points (``measure`` of each of ``point_settings``)."""
    size = noise_bands.kl_size(settings.particles)
    band = noise_bands.kl_band(settings, final_time(page_name, settings), size)
    step_sizes = np.array([point.step_size for point in points])  # (P,)
    closed_h, closed, note = closed_form(page_name, settings, step_sizes)
    current = taken(page_name, settings, settings.step_size)[0]
    return Sweep(
        step_sizes=step_sizes,
        errors=np.array([point.error for point in points]),
        blew_up=np.array([point.blew_up for point in points], dtype=bool),
        band=band.upper - band.mean,
        size=size,
        current=current,
        closed_step_sizes=closed_h,
        closed_errors=closed,
        closed_note=note,
    )


def sweep(
    page_name: str, settings: Settings, measured: Callable[[str, Settings], SweepPoint] = measure
) -> Sweep:
    """The whole sweep in one call: ``measured`` (``measure``, or a cached form of it) at every point."""
    return assemble(
        page_name, settings, tuple(measured(page_name, p) for p in point_settings(page_name, settings))
    )


def isotropic(mixture: GaussianMixture) -> IsotropicGaussian | None:
    """The mixture as N(μ, s² I) when it is one isotropic Gaussian, else None."""
    cov = mixture.covs[0].double()
    if mixture.num_components != 1 or float(cov[0, 1]) != 0.0 or float(cov[0, 0]) != float(cov[1, 1]):
        return None
    mean = mixture.means[0].double()
    return IsotropicGaussian((float(mean[0]), float(mean[1])), float(cov[0, 0]))


def closed_form(
    page_name: str, settings: Settings, step_sizes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, str]:
    """KL of the chain's exact law to the exact final law (MATH §11) at step sizes spanning
    ``step_sizes`` (P,), those included, and what it is; empty arrays and "" when the data are not
    one isotropic Gaussian, or the chain is MALA or a backward sampler other than Euler–Maruyama;
    -> h (C,), KL (C,), note."""
    data = isotropic(simulate.dataset(settings))
    chain = None if data is None else _chain_kl(page_name, settings, data)
    if chain is None or len(step_sizes) == 0:
        return np.empty(0), np.empty(0), ""
    kl_of, note = chain
    grid = np.union1d(np.geomspace(step_sizes.min(), step_sizes.max(), CLOSED_FORM_POINTS), step_sizes)
    taken_steps = sorted({taken(page_name, settings, float(h)) for h in grid})
    return (
        np.array([h for h, _ in taken_steps]),
        np.array([kl_of(h, steps) for h, steps in taken_steps]),
        note,
    )


def _chain_kl(
    page_name: str, settings: Settings, data: IsotropicGaussian
) -> tuple[Callable[[float, int], float], str] | None:
    """KL(law of the page's chain after S steps of h ‖ exact final law) as a function of (h, S), for
    data N(μ, s² I), and what it is; None for MALA, whose accept/reject step is not linear, and for
    the backward samplers other than Euler–Maruyama (λ from the slider) and the probability-flow ODE."""
    if page_name == "langevin" and settings.langevin_step == "mala":
        return None
    if page_name == "langevin":
        if settings.start == "box":
            return (
                lambda h, _: step_bias.gaussian_kl(step_bias.ula_stationary(data, h), data),
                "ULA's stationary law (the box start is not Gaussian, so the run only tends to it)",
            )
        start = data if settings.start == "target" else POINT_START
        return (
            lambda h, steps: step_bias.gaussian_kl(step_bias.ula_law(start, data, h, steps), data),
            f"ULA's law after τ / h steps from the {settings.start}",
        )
    if page_name == "splitting":
        p_t = step_bias.exact_marginal(data, settings.time)
        return (
            lambda h, steps: step_bias.gaussian_kl(
                step_bias.split_law(data, settings.time, h, steps, settings.lam), p_t
            ),
            "the split step's law after the lesson's steps from p_t",
        )
    if page_name == "forward":
        end = step_bias.exact_marginal(data, settings.t_end)
        if settings.method == "exact":
            return (lambda _h, _s: 0.0), "the exact transition has no step-size error"
        return (
            lambda _, steps: step_bias.gaussian_kl(
                step_bias.euler_forward_law(data, settings.t_end, steps), end
            ),
            "Euler–Maruyama's law at T",
        )
    sampler = SAMPLERS[settings.sampler]
    if not isinstance(sampler, EulerMaruyama):
        return None
    lam = settings.lam if settings.sampler == simulate.EULER_MARUYAMA else sampler.lam  # the ODE: λ = 0
    if page_name == "duality":
        start, note = step_bias.exact_marginal(data, settings.t_end), "from the forward endpoints (p_T)"
    else:
        start, note = step_bias.STANDARD, "from N(0, I)"
    return (
        lambda _, steps: step_bias.gaussian_kl(
            step_bias.euler_backward_law(data, settings.t_end, steps, lam, start), data
        ),
        f"the backward chain's law at t = 0, {note}",
    )


def _check_page(page_name: str) -> None:
    if page_name not in SWEPT_PAGES:
        raise ValueError(f"no step-size sweep on page {page_name!r}; pages: {', '.join(SWEPT_PAGES)}")
