"""What each lesson simulates: engine runs turned into display-ready numpy arrays (no Streamlit here).

Each ``*_run(settings)`` returns a frozen ``Run`` (or a pair for duality): frames subsampled to keep
every chart under 1 MB at the defaults, the exact density p_t on a grid (uint8), the time of the exact
marginal each frame is compared with, and readouts. Divergence is reported, never drawn. How far each
frame is from its marginal is measured apart (``lessons/fit.py``), after the chart is on screen.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from core import datasets, mala, sde
from core.mixture import GaussianMixture
from core.samplers import SAMPLERS
from lessons import user_data
from lessons.settings import Settings

EXTENT = 3.5  # half-width of every particle plot: N(0, I) and the unit-spread data fit inside
GRID = np.linspace(-EXTENT, EXTENT, 32, dtype=np.float32)  # density grid, both axes
ARROW_GRID = np.linspace(-EXTENT + 0.35, EXTENT - 0.35, 11, dtype=np.float32)
TRACED = 6  # particles whose paths are drawn
MAX_STEPS = 4000  # T / h beyond this is refused with a note
EULER_MARUYAMA = "euler_maruyama"  # the backward lesson's sampler that takes λ (the others ignore it)


@dataclass(frozen=True)
class Run:
    """A simulated cloud ready to draw.  times (F,), xs (F, N, 2) float32, density (F, G, G) or
    (G, G) uint8, marginal_times (F,) the time of the exact marginal each frame is compared with
    (all 0 for Langevin dynamics, whose target p does not move)."""

    times: np.ndarray
    xs: np.ndarray
    density: np.ndarray
    marginal_times: np.ndarray
    readouts: tuple[tuple[str, str], ...]
    divergence: str | None = None

    @property
    def stationary(self) -> bool:
        """Every frame is compared with the same target p (Langevin dynamics), not with a moving p_t."""
        return not self.marginal_times.any()


def dataset(settings: Settings) -> GaussianMixture:
    """The chosen preset, or the student's own data (a KDE with the chosen bandwidth)."""
    if settings.dataset == "custom":
        return user_data.mixture(settings.points, settings.bandwidth)
    return datasets.make(settings.dataset)


def data_only(settings: Settings) -> Settings:
    """The settings that fix the data (preset, or own points and bandwidth), all others at defaults:
    the cache key of everything that depends on the data alone (p_t, its density image, noise bands)."""
    return Settings(dataset=settings.dataset, bandwidth=settings.bandwidth, points=settings.points)


def num_frames(particles: int) -> int:
    """Frames per animation for this many particles over all its panels: 40 at ≤ 1,000, fewer above
    (at least 20), so that a chart stays ≤ 1 MB at the defaults (≈ 15 kB per 1,000 particles per frame)."""
    return int(np.clip(40_000 // particles, 20, 40))


def steps_for(settings: Settings) -> int:
    """S = T / h, rounded; raises ValueError with a plain-words message when it is too many."""
    steps = max(1, round(settings.t_end / settings.step_size))
    if steps > MAX_STEPS:
        raise ValueError(
            f"T / h = {steps:,} steps is more than this page simulates ({MAX_STEPS:,}): "
            "raise the step size h or shorten the total time T."
        )
    return steps


METHOD_NAMES = {"exact": "exact transition", "euler": "Euler–Maruyama"}


def langevin_run(settings: Settings) -> Run:
    """Langevin dynamics on the dataset p from a chosen start: ULA (MATH §1) or, with
    ``langevin_step == "mala"``, MALA (MATH §9); p never changes, so neither does its density."""
    target = dataset(settings)
    generator = torch.Generator().manual_seed(settings.seed)
    start = _start_cloud(settings.start, target, settings.particles, generator)
    steps = {
        "step_size": settings.step_size,
        "num_steps": settings.num_steps,
        "generator": generator,
        "num_frames": num_frames(settings.particles),
    }
    if settings.langevin_step == "mala":
        trajectory, acceptance = mala.mala(target, start, **steps)
        step_readouts = (("MALA acceptance rate", f"{acceptance:.1%}"), *_mala_readouts(trajectory, target))
    else:
        trajectory = sde.langevin(target.score, start, **steps)
        step_readouts = _ula_readouts(trajectory, target, settings)
    readouts = _moment_readouts(trajectory.final, target) + step_readouts
    return _package(trajectory, target, settings, readouts, stationary=True)


def forward_run(settings: Settings) -> Run:
    """The OU process from data to noise (MATH §2), exact or Euler–Maruyama."""
    data = dataset(settings)
    generator = torch.Generator().manual_seed(settings.seed)
    trajectory = sde.forward(
        data.sample(settings.particles, generator),
        t_end=settings.t_end,
        num_steps=(steps := steps_for(settings)),
        exact=settings.method == "exact",
        generator=generator,
        num_frames=num_frames(settings.particles),
    )
    h, end = settings.t_end / steps, data.diffused(settings.t_end)
    readouts = (
        ("DDPM $\\beta = 1 - e^{-2h}$ of the step taken, $h = T/S$", f"{-math.expm1(-2 * h):.4f}"),
        ("$\\bar\\alpha(T) = e^{-2T}$", f"{math.exp(-2 * settings.t_end):.2e}"),
        (
            "exact $p_T$: largest $|\\mathrm{cov} - I|$",
            f"{float((end.cov() - torch.eye(2)).abs().max()):.3f}",
        ),
        *_forward_variance_readouts(trajectory, data, settings, steps),
        *_moment_readouts(trajectory.final, end),
    )
    return _package(trajectory, data, settings, readouts)


def forward_variance(initial: float, t_end: float, steps: int, method: str) -> float:
    """The variance per axis at T of the chain started at variance ``initial`` (MATH §2): the exact OU
    transition gives e^{−2T} v₀ + 1 − e^{−2T}; Euler–Maruyama's x ← (1−h) x + √(2h) ξ with h = T/S gives
    (1−h)^{2S} v₀ + 2h (1 − (1−h)^{2S}) / (1 − (1−h)²), which tends to 1/(1 − h/2), not 1."""
    if method == "exact":
        decay = math.exp(-2 * t_end)
        return decay * initial + 1 - decay
    h = t_end / steps
    if h >= 2:  # |1 − h| ≥ 1: the chain's variance grows without bound
        return math.inf
    decay = (1 - h) ** (2 * steps)
    return decay * initial + 2 * h * (1 - decay) / (1 - (1 - h) ** 2)


def _forward_variance_readouts(
    trajectory: sde.Trajectory, data: GaussianMixture, settings: Settings, steps: int
) -> tuple[tuple[str, str], ...]:
    """The cloud's variance per axis at T: the closed form of the chosen method, and measured."""
    initial = float(torch.diagonal(data.cov()).mean())
    predicted = forward_variance(initial, settings.t_end, steps, settings.method)
    measured = float(trajectory.final.var(dim=0).mean())
    method = METHOD_NAMES[settings.method]
    return (
        (
            f"variance per axis at $T$, closed form ({method})",
            f"{predicted:.3f}" if predicted < math.inf else "∞ (h ≥ 2)",
        ),
        ("variance per axis at $T$, measured", f"{measured:.3f}"),
    )


def backward_run(settings: Settings) -> Run:
    """N(0, I) back to the data with the exact score (MATH §5), by ``backward_trajectory``."""
    data = dataset(settings)
    generator = torch.Generator().manual_seed(settings.seed)
    start = torch.randn(settings.particles, 2, generator=generator)  # (N, 2): x_T ~ N(0, I)
    trajectory = backward_trajectory(data, start, settings, num_frames(settings.particles), generator)
    return _package(trajectory, data, settings, _moment_readouts(trajectory.final, data))


def backward_trajectory(
    data: GaussianMixture, start: torch.Tensor, settings: Settings, frames: int, generator: torch.Generator
) -> sde.Trajectory:
    """The backward run from ``start`` (N, 2) at t = T with ``data``'s exact score, in S = T / h steps,
    about ``frames`` of them kept: Euler–Maruyama at noise level λ, or another sampler of
    ``core.samplers.SAMPLERS`` (MATH §9) on the same uniform grid, which ignores λ."""
    steps = steps_for(settings)
    if settings.sampler != EULER_MARUYAMA:
        return SAMPLERS[settings.sampler].sample(
            data, start, t_end=settings.t_end, num_steps=steps, generator=generator, num_frames=frames
        )
    return sde.backward(
        data.marginal_score,
        start,
        t_end=settings.t_end,
        num_steps=steps,
        lam=settings.lam,
        generator=generator,
        num_frames=frames,
    )


def _start_cloud(start: str, target: GaussianMixture, count: int, generator: torch.Generator) -> torch.Tensor:
    """Initial particles (count, 2): samples of the target, a uniform box, or one point."""
    if start == "target":
        return target.sample(count, generator)
    if start == "box":
        return (torch.rand(count, 2, generator=generator) - 0.5) * 6.0
    return torch.tensor([[-2.0, 2.0]]).expand(count, 2).clone()


def _ula_readouts(
    trajectory: sde.Trajectory, target: GaussianMixture, settings: Settings
) -> tuple[tuple[str, str], ...]:
    """On a single isotropic Gaussian N(0, σ² I): measured stationary variance vs σ²/(1 − h/(2σ²))."""
    if target.num_components != 1 or trajectory.diverged:
        return ()
    sigma2, h = float(target.covs[0, 0, 0]), settings.step_size
    predicted = f"{sigma2 / (1 - h / (2 * sigma2)):.3f}" if h < 2 * sigma2 else "∞ (diverges)"
    return (
        ("variance σ² of the target", f"{sigma2:.3f}"),
        ("ULA variance, closed form $\\sigma^2 / (1 - h/2\\sigma^2)$", predicted),
        ("ULA variance, measured (second half)", f"{_late_variance(trajectory):.3f}"),
    )


def _mala_readouts(trajectory: sde.Trajectory, target: GaussianMixture) -> tuple[tuple[str, str], ...]:
    """On a single isotropic Gaussian N(0, σ² I): MALA leaves it invariant, so its variance is σ² at any h."""
    if target.num_components != 1:
        return ()
    sigma2 = float(target.covs[0, 0, 0])
    return (
        ("variance σ² of the target", f"{sigma2:.3f}"),
        ("MALA variance, exact $\\sigma^2$ (no step-size bias)", f"{sigma2:.3f}"),
        ("MALA variance, measured (second half)", f"{_late_variance(trajectory):.3f}"),
    )


def _late_variance(trajectory: sde.Trajectory) -> float:
    """The cloud's variance per axis over the second half of the frames (after the burn-in)."""
    later = trajectory.xs[len(trajectory.xs) // 2 :]  # (F/2, N, 2)
    return float(later.var(dim=1).mean())


def _moment_readouts(cloud: torch.Tensor, exact: GaussianMixture) -> tuple[tuple[str, str], ...]:
    """Mean and covariance of the final cloud against the exact ones."""
    mean, cov = cloud.mean(0), torch.cov(cloud.T)
    return (
        ("mean: cloud / exact", f"{_vector(mean)} / {_vector(exact.mean())}"),
        ("cov: cloud / exact", f"{_matrix(cov)} / {_matrix(exact.cov())}"),
    )


def _package(
    trajectory: sde.Trajectory,
    data: GaussianMixture,
    settings: Settings,
    readouts: tuple[tuple[str, str], ...],
    *,
    stationary: bool = False,
) -> Run:
    """Arrays for the figure: the frames and the density of their exact marginal. The exact
    marginal at frame time t is p_t = data.diffused(t), or the data at every frame when
    ``stationary`` (Langevin dynamics leave p unchanged)."""
    times = trajectory.times.numpy()
    return Run(
        times=times,
        xs=trajectory.xs.numpy(),
        density=density_image(data) if stationary else marginal_densities(settings, times),
        marginal_times=np.zeros_like(times) if stationary else times,
        readouts=readouts,
        divergence=trajectory.divergence.message if trajectory.divergence else None,
    )


def marginal_densities(settings: Settings, times: np.ndarray) -> np.ndarray:
    """density_image(p_t) of the settings' data at each t in ``times``;  -> (F, G, G) uint8, read-only.

    p_t depends on the data and t only, not on the seed, h or the particles, so the frames of the
    last few (data, times) pairs are kept (≈ 40 kB each) and a slider move does not redraw them.
    """
    return _marginal_densities(data_only(settings), tuple(round(float(t), 6) for t in times))


@functools.lru_cache(maxsize=16)
def _marginal_densities(data_only: Settings, times: tuple[float, ...]) -> np.ndarray:
    data = dataset(data_only)
    frames = np.stack([density_image(data.diffused(t)) for t in times])  # (F, G, G)
    frames.flags.writeable = False
    return frames


def density_image(mixture: GaussianMixture) -> np.ndarray:
    """p on GRID × GRID as uint8 (G, G), rows = y; √(p / max p) so that thin tails stay visible."""
    xx, yy = np.meshgrid(GRID, GRID)
    points = torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], -1))
    log_p = mixture.log_prob(points).reshape(len(GRID), len(GRID))
    return (255 * torch.exp(0.5 * (log_p - log_p.max()))).round().to(torch.uint8).numpy()


def arrow_origins() -> np.ndarray:
    """Where the field arrows start: ARROW_GRID × ARROW_GRID;  -> (M, 2)."""
    xx, yy = np.meshgrid(ARROW_GRID, ARROW_GRID)
    return np.stack([xx.ravel(), yy.ravel()], -1)


def field_arrows(settings: Settings, times: np.ndarray) -> np.ndarray:
    """The field ``settings.field`` of p_t at arrow_origins() at each frame time t (F,), scaled for
    display, computed once per distinct time;  -> (F, M, 2). A view of a run, apart from the run."""
    data = dataset(settings)
    origins = torch.from_numpy(arrow_origins())  # (M, 2)
    spacing = float(ARROW_GRID[1] - ARROW_GRID[0])
    distinct, frame_of = np.unique(times, return_inverse=True)
    fields = []
    for t in distinct:
        vectors = _field(settings.field, data.diffused(float(t)), origins, settings.lam)
        length = vectors.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        scale = float(length.median())
        fields.append(vectors / length * spacing * 0.9 * torch.tanh(length / scale))
    return torch.stack(fields).numpy()[frame_of]


def _field(kind: str, mixture: GaussianMixture, x: torch.Tensor, lam: float) -> torch.Tensor:
    """score s, forward drift −x, backward drift x + (1+λ)s, or Langevin drift (1+λ)s at x (M, 2)."""
    score = mixture.score(x)
    return {"score": score, "forward": -x, "backward": x + (1 + lam) * score, "langevin": (1 + lam) * score}[
        kind
    ]


def _vector(v: torch.Tensor) -> str:
    return f"({float(v[0]):+.2f}, {float(v[1]):+.2f})"


def _matrix(m: torch.Tensor) -> str:
    return f"[{float(m[0, 0]):.2f} {float(m[0, 1]):+.2f}; {float(m[1, 1]):.2f}]"
