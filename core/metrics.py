"""How close is a cloud to a distribution (MATH.md §8)."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from core import _checks
from core.mixture import GaussianMixture


def sliced_wasserstein(
    a: Tensor,
    b: Tensor,
    *,
    num_projections: int = 128,
    generator: torch.Generator | None = None,
) -> float:
    """Sliced 2-Wasserstein distance  SW₂(a, b) = (E_θ W₂²(θᵀa, θᵀb))^{1/2},  a (N, 2), b (M, 2).

    θ uniform on the circle (``num_projections`` random directions); the 1-D W₂ compares the
    sorted projections at common quantile levels, so N and M may differ.
    """
    a, b = _checks.points(a, "a"), _checks.points(b, "b")
    num_projections = _checks.positive_int(num_projections, "num_projections")
    angles = 2 * torch.pi * torch.rand(num_projections, generator=generator)
    directions = torch.stack([torch.cos(angles), torch.sin(angles)])  # (2, P)
    levels = max(len(a), len(b))
    quantiles_a = _quantiles(_sorted_projections(a, directions), levels)  # (P, L)
    quantiles_b = _quantiles(_sorted_projections(b, directions), levels)  # (P, L)
    return float(np.sqrt(np.square(quantiles_a - quantiles_b).mean()))


def energy_distance(
    a: Tensor, b: Tensor, *, max_points: int = 2000, generator: torch.Generator | None = None
) -> float:
    """Energy distance  2 E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ >= 0,  a (N, 2), b (M, 2).

    Clouds larger than ``max_points`` are subsampled (with ``generator``) to bound the O(N M) cost.
    """
    a, b = _checks.points(a, "a"), _checks.points(b, "b")
    max_points = _checks.positive_int(max_points, "max_points")
    a, b = _subsample(a, max_points, generator), _subsample(b, max_points, generator)
    cross = torch.cdist(a, b).mean()
    within_a, within_b = torch.cdist(a, a).mean(), torch.cdist(b, b).mean()
    return float(2 * cross - within_a - within_b)


def mean_log_likelihood(mixture: GaussianMixture, x: Tensor) -> float:
    """(1/N) Σ_i log p(x_i): compare with the same for fresh samples of p (≈ −entropy)."""
    return float(mixture.log_prob(x).mean())


def _sorted_projections(x: Tensor, directions: Tensor) -> np.ndarray:
    """θᵀx for every direction, sorted;  (N, 2), (2, P) -> (P, N). numpy sorts ~20× faster than torch."""
    return np.sort((directions.T @ x.T).numpy(), axis=-1)


def _quantiles(sorted_values: np.ndarray, levels: int) -> np.ndarray:
    """Values of sorted samples (P, N) at the quantile levels (i + ½)/L, i < L;  -> (P, L)."""
    count = sorted_values.shape[-1]
    if count == levels:
        return sorted_values
    index = np.minimum(((np.arange(levels) + 0.5) * (count / levels)).astype(np.int64), count - 1)
    return sorted_values[:, index]


def _subsample(x: Tensor, max_points: int, generator: torch.Generator | None) -> Tensor:
    if len(x) <= max_points:
        return x
    return x[torch.randperm(len(x), generator=generator)[:max_points]]
