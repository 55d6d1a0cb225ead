"""What the lessons simulate: the per-frame distances are compared fairly with their noise floor."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core import datasets, metrics
from lessons import simulate

pytestmark = pytest.mark.usefixtures("single_thread")


def _floor_draws(data, times: list[float], seed: int) -> np.ndarray:
    """What the lessons' dashed line measures, once per time: two independent exact samples of p_t of
    DISTANCE_PARTICLES points each;  -> (F,)."""
    generator = torch.Generator().manual_seed(seed)
    count = simulate.DISTANCE_PARTICLES
    pairs = [data.sample_diffused(times, count, generator) for _ in range(2)]
    return metrics.sliced_wasserstein_frames(
        *pairs, num_projections=simulate.PROJECTIONS, generator=generator
    )


@pytest.mark.parametrize("particles", [1000, 10_000])
def test_distances_of_exact_clouds_of_any_size_sit_at_the_noise_floor(particles):
    # A cloud of exact samples is "no different" from p_t, whatever its size: its distances must look
    # like the noise floor's. Comparing 10,000 particles with 1,000 exact samples instead would sit
    # ≈ 26 % below it (sampling noise of both sides: √((1/10⁴ + 1/10³) / (2/10³)) ≈ 0.74).
    data = datasets.make("two_moons")
    times = [0.05 * k for k in range(24)]
    generator = torch.Generator().manual_seed(1)
    exact_clouds = data.sample_diffused(times, particles, generator)  # (F, N, 2)
    distances = simulate._distances(exact_clouds, data, times, generator)
    ratio = np.median(distances) / np.median(_floor_draws(data, times, seed=2))
    assert 0.85 <= ratio <= 1.18, ratio


def test_distances_of_a_shifted_cloud_stand_far_above_the_noise_floor():
    data = datasets.make("two_moons")
    times = [0.05 * k for k in range(12)]
    generator = torch.Generator().manual_seed(3)
    shifted = data.sample_diffused(times, 10_000, generator) + torch.tensor([0.5, 0.0])  # (F, N, 2)
    distances = simulate._distances(shifted, data, times, generator)
    assert (distances > 3 * _floor_draws(data, times, seed=4).max()).all(), distances
