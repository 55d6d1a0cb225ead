"""What the lessons simulate, and how far from exact their frames are measured to be (MATH §10)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from core import datasets
from lessons import fit, simulate
from lessons.settings import Settings

pytestmark = pytest.mark.usefixtures("single_thread")


def _run_of(frames: torch.Tensor, times: list[float]) -> simulate.Run:
    """A Run whose frames (F, N, 2) are compared with p_t at ``times``."""
    times = np.array(times)
    return simulate.Run(times, frames.numpy(), np.zeros((1, 1), np.uint8), times, ())


@pytest.mark.parametrize("particles", [1000, 10_000])
def test_the_kl_of_exact_clouds_of_any_size_sits_in_the_noise_band(particles):
    # Exact samples are "no different" from p_t whatever their number: the readout uses the first
    # kl_size of them, the size its band was measured at.
    data, settings = datasets.make("two_moons"), Settings(dataset="two_moons")
    times = [0.1 * k for k in range(12)]
    exact_clouds = data.sample_diffused(times, particles, torch.Generator().manual_seed(1))  # (F, N, 2)
    measured = fit.measure(_run_of(exact_clouds, times), settings)
    assert np.mean(measured.excess <= measured.margin) >= 0.9, measured.excess


def test_the_kl_of_a_shifted_cloud_stands_far_above_the_noise_band():
    data, settings = datasets.make("two_moons"), Settings(dataset="two_moons")
    times = [0.1 * k for k in range(6)]
    shifted = data.sample_diffused(times, 1000, torch.Generator().manual_seed(3)) + torch.tensor([0.5, 0.0])
    measured = fit.measure(_run_of(shifted, times), settings)
    assert (measured.excess > 3 * measured.margin).all(), measured.excess


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
