"""What the lessons simulate: the per-frame distances are compared fairly with their noise floor."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from core import datasets, metrics
from lessons import simulate
from lessons.settings import Settings

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
    distances = simulate.distances_to_marginal(exact_clouds, data, times, generator)
    ratio = np.median(distances) / np.median(_floor_draws(data, times, seed=2))
    assert 0.85 <= ratio <= 1.18, ratio


def test_distances_of_a_shifted_cloud_stand_far_above_the_noise_floor():
    data = datasets.make("two_moons")
    times = [0.05 * k for k in range(12)]
    generator = torch.Generator().manual_seed(3)
    shifted = data.sample_diffused(times, 10_000, generator) + torch.tensor([0.5, 0.0])  # (F, N, 2)
    distances = simulate.distances_to_marginal(shifted, data, times, generator)
    assert (distances > 3 * _floor_draws(data, times, seed=4).max()).all(), distances


@pytest.mark.parametrize(
    ("method", "t_end", "steps"),
    [("exact", 0.5, 25), ("exact", 4.0, 200), ("euler", 4.0, 8), ("euler", 0.5, 5)],
)
def test_the_forward_variance_closed_form_matches_a_monte_carlo_chain(method, t_end, steps):
    # An independent chain, written out here, started from N(0, v₀ I): its variance at T must match.
    generator = torch.Generator().manual_seed(3)
    initial, count, h = 0.3, 200_000, t_end / steps
    x = initial**0.5 * torch.randn(count, generator=generator, dtype=torch.float64)
    for _ in range(steps):
        noise = torch.randn(count, generator=generator, dtype=torch.float64)
        if method == "exact":
            x = np.exp(-h) * x + (1 - np.exp(-2 * h)) ** 0.5 * noise
        else:
            x = (1 - h) * x + (2 * h) ** 0.5 * noise
    predicted = simulate.forward_variance(initial, t_end, steps, method)
    assert abs(float(x.var()) - predicted) < 5 * predicted * (2 / count) ** 0.5


def test_euler_maruyama_settles_too_wide_and_the_readout_says_by_how_much():
    settings = Settings(dataset="gaussian", method="euler", step_size=0.5, t_end=8.0, particles=2000)
    readouts = dict(simulate.forward_run(settings).readouts)
    closed = float(readouts["variance per axis at $T$, closed form (Euler–Maruyama)"])
    measured = float(readouts["variance per axis at $T$, measured"])
    assert closed == pytest.approx(1 / (1 - 0.5 / 2), abs=1e-3)  # 4/3, not 1
    assert abs(measured - closed) < 0.1
    exact = dict(simulate.forward_run(replace(settings, method="exact")).readouts)
    assert float(exact["variance per axis at $T$, closed form (exact transition)"]) == pytest.approx(
        1, abs=1e-3
    )


def test_the_ddpm_beta_readout_uses_the_step_the_run_takes():
    settings = Settings(dataset="gaussian", step_size=0.2, t_end=0.5, particles=100)  # S = 2: h = 0.25
    readouts = dict(simulate.forward_run(settings).readouts)
    (beta,) = [value for label, value in readouts.items() if label.startswith("DDPM")]
    assert float(beta) == pytest.approx(1 - np.exp(-2 * 0.25), abs=1e-4)


@pytest.mark.parametrize("run", [simulate.forward_run, simulate.langevin_run, simulate.backward_run])
def test_readout_labels_write_their_maths_as_latex_not_raw_text(run):
    for label, _ in run(Settings(dataset="gaussian", particles=100)).readouts:
        outside_maths = label.split("$")[::2]
        assert not [part for part in outside_maths if "^{" in part or "_{" in part], label
