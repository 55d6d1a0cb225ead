"""Preset 2D datasets, each a ``GaussianMixture`` with an exact density and score at every time.

Point-cloud presets (moons, spiral, …) are kernel density estimates: one isotropic component
N(x_i, σ₀² I) per point (MATH.md §3). Presets are centred and scaled to an overall spread near 1,
so that N(0, I) is the right prior for the backward process.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

import torch
from torch import Tensor

from core import _checks
from core.mixture import GaussianMixture

DEFAULT_SEED = 0
MAX_POINTS = 100_000  # a point-cloud preset's num_points option is refused above this
NUM_POINTS = 160  # components of a point-cloud preset: a default run (2,000 × 200 steps) stays < 100 ms
BANDWIDTH = 0.1  # σ₀ of a point-cloud preset, in units of the data's unit spread

Builder = Callable[..., GaussianMixture]  # builder(generator, **options)


def make(name: str, generator: torch.Generator | None = None, **options: object) -> GaussianMixture:
    """Build the preset ``name``; ``generator`` seeds its points (a fixed seed when None)."""
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}")
    builder = DATASETS[name]
    allowed = [p for p in inspect.signature(builder).parameters if p != "generator"]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"unknown option {unknown[0]!r} for dataset {name!r}; options: {allowed}")
    if "num_points" in options and _checks.positive_int(options["num_points"], "num_points") > MAX_POINTS:
        raise ValueError(f"num_points must be at most {MAX_POINTS}, got {options['num_points']!r}")
    return builder(generator or torch.Generator().manual_seed(DEFAULT_SEED), **options)


def from_points(points: Tensor, bandwidth: float) -> GaussianMixture:
    """KDE mixture (1/M) Σ_i N(x_i, σ₀² I) of points (M, 2) with bandwidth σ₀."""
    points = _checks.points(points, "points")
    bandwidth = _checks.positive_float(bandwidth, "bandwidth")
    count = len(points)
    covs = torch.eye(2).expand(count, 2, 2) * bandwidth**2
    return GaussianMixture(torch.full((count,), 1.0 / count), points, covs)


def standardize(points: Tensor, bandwidth: float) -> Tensor:
    """Centre points (M, 2) and scale them so that their KDE with bandwidth σ₀ has unit spread.

    Unit spread: ½ trace Cov = ½ trace Cov(points) + σ₀² = 1, hence 0 < σ₀ < 1.
    """
    points = _checks.points(points, "points")
    bandwidth = _checks.positive_float(bandwidth, "bandwidth")
    if bandwidth >= 1:
        raise ValueError(f"bandwidth must be below 1 (the data's unit spread), got {bandwidth!r}")
    centred = points.double() - points.double().mean(0)
    spread = float(centred.square().mean())  # ½ trace of the points' covariance
    if spread <= 1e-12:
        raise ValueError("points must not all be the same point")
    return (centred * math.sqrt((1.0 - bandwidth**2) / spread)).float()


def eight_gaussians(generator: torch.Generator, *, std: float = 0.15) -> GaussianMixture:
    """Eight equal isotropic Gaussians N(μ_k, std² I) on a circle."""
    std = _checks.positive_float(std, "std")
    angles = torch.arange(8) * (math.pi / 4)
    means = torch.stack([torch.cos(angles), torch.sin(angles)], -1)
    return _unit_spread(means, torch.eye(2).expand(8, 2, 2) * std**2, torch.full((8,), 1 / 8))


def two_modes(generator: torch.Generator) -> GaussianMixture:
    """Two elongated, tilted Gaussians of unequal weight: an anisotropic bimodal target."""
    means = torch.tensor([[-1.0, -0.3], [1.0, 0.5]])
    covs = torch.stack([_rotated_cov(0.35, 0.03, 0.6), _rotated_cov(0.2, 0.02, -0.9)])
    return _unit_spread(means, covs, torch.tensor([0.65, 0.35]))


def gaussian(generator: torch.Generator, *, sigma: float = 1.0) -> GaussianMixture:
    """A single Gaussian N(0, σ² I): the target with a closed-form ULA bias (MATH §1)."""
    sigma = _checks.positive_float(sigma, "sigma")
    return GaussianMixture(torch.ones(1), torch.zeros(1, 2), torch.eye(2)[None] * sigma**2)


def single_point(generator: torch.Generator, *, spread: float = 0.05) -> GaussianMixture:
    """An (almost) single point: N(μ, spread² I) off-centre, a near-delta target."""
    spread = _checks.positive_float(spread, "spread")
    return GaussianMixture(torch.ones(1), torch.tensor([[1.0, 0.5]]), torch.eye(2)[None] * spread**2)


def two_moons(
    generator: torch.Generator, *, num_points: int = NUM_POINTS, bandwidth: float = BANDWIDTH
) -> GaussianMixture:
    """Two interleaved half circles."""
    u = math.pi * torch.rand(num_points, generator=generator)
    upper = torch.arange(num_points) % 2 == 0
    x = torch.where(upper, torch.cos(u), 1.0 - torch.cos(u))
    y = torch.where(upper, torch.sin(u), 0.5 - torch.sin(u))
    return _cloud(torch.stack([x, y], -1), bandwidth, generator, jitter=0.06)


def spiral(
    generator: torch.Generator, *, num_points: int = NUM_POINTS, bandwidth: float = BANDWIDTH
) -> GaussianMixture:
    """One arm of an Archimedean spiral, r ∝ θ, about 1.5 turns."""
    turn = torch.rand(num_points, generator=generator).sqrt()  # uniform along the arc, roughly
    angle = 3.0 * math.pi * turn + 0.5
    points = torch.stack([angle * torch.cos(angle), angle * torch.sin(angle)], -1)
    return _cloud(points, bandwidth, generator, jitter=0.25)


def checkerboard(
    generator: torch.Generator, *, num_points: int = NUM_POINTS, bandwidth: float = BANDWIDTH
) -> GaussianMixture:
    """Uniform points on the dark squares of a 4×4 board."""
    cell = torch.randint(0, 8, (num_points,), generator=generator)
    row = cell // 2
    col = 2 * (cell % 2) + row % 2
    corner = torch.stack([col, row], -1).float()
    return _cloud(corner + torch.rand(num_points, 2, generator=generator), bandwidth, generator)


def rings(
    generator: torch.Generator, *, num_points: int = NUM_POINTS, bandwidth: float = BANDWIDTH
) -> GaussianMixture:
    """Two concentric circles, radii 1 and ½, points in proportion to their lengths."""
    radius = torch.where(torch.arange(num_points) % 3 == 0, 0.5, 1.0)
    angle = 2 * math.pi * torch.rand(num_points, generator=generator)
    points = radius[:, None] * torch.stack([torch.cos(angle), torch.sin(angle)], -1)
    return _cloud(points, bandwidth, generator, jitter=0.02)


def smiley(
    generator: torch.Generator, *, num_points: int = NUM_POINTS, bandwidth: float = BANDWIDTH
) -> GaussianMixture:
    """A face: outline circle, two eyes and a smiling mouth."""
    part = torch.arange(num_points) % 10  # 0–4 outline, 5–6 eyes, 7–9 mouth
    u = torch.rand(num_points, generator=generator)
    outline = torch.stack([torch.cos(2 * math.pi * u), torch.sin(2 * math.pi * u)], -1)
    mouth_angle = math.pi * (1.15 + 0.7 * u)
    mouth = 0.55 * torch.stack([torch.cos(mouth_angle), torch.sin(mouth_angle)], -1)
    eye_side = torch.where(part == 5, -0.35, 0.35)
    eyes = torch.stack([eye_side, torch.full_like(u, 0.35)], -1)
    points = torch.where((part < 5)[:, None], outline, torch.where((part < 7)[:, None], eyes, mouth))
    return _cloud(points, bandwidth, generator, jitter=0.03)


DATASETS: dict[str, Builder] = {
    "eight_gaussians": eight_gaussians,
    "two_moons": two_moons,
    "spiral": spiral,
    "checkerboard": checkerboard,
    "rings": rings,
    "smiley": smiley,
    "two_modes": two_modes,
    "gaussian": gaussian,
    "single_point": single_point,
}


def _cloud(
    points: Tensor, bandwidth: float, generator: torch.Generator, jitter: float = 0.0
) -> GaussianMixture:
    """Jitter raw points by N(0, jitter²), standardize them, and wrap them as a KDE mixture."""
    points = points + jitter * torch.randn(points.shape, generator=generator)
    return from_points(standardize(points, bandwidth), bandwidth)


def _unit_spread(means: Tensor, covs: Tensor, weights: Tensor) -> GaussianMixture:
    """The mixture (w, μ, Σ) centred and scaled so that ½ trace Cov = 1."""
    raw = GaussianMixture(weights, means, covs)
    scale = 1.0 / math.sqrt(0.5 * float(raw.cov().trace()))
    return GaussianMixture(weights, (means - raw.mean()) * scale, covs * scale**2)


def _rotated_cov(major: float, minor: float, angle: float) -> Tensor:
    """R diag(major, minor) Rᵀ for a rotation by ``angle`` radians;  -> (2, 2)."""
    c, s = math.cos(angle), math.sin(angle)
    rotation = torch.tensor([[c, -s], [s, c]])
    return rotation @ torch.diag(torch.tensor([major, minor])) @ rotation.T
