"""Distances between clouds and to a mixture (MATH §8), checked against closed forms."""

from __future__ import annotations

import math

import pytest
import torch

from core import datasets, metrics
from core.mixture import GaussianMixture

pytestmark = pytest.mark.usefixtures("single_thread")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _normal(n: int, seed: int, shift=(0.0, 0.0)) -> torch.Tensor:
    return torch.randn(n, 2, generator=_gen(seed)) + torch.tensor(shift)


def _sw(a, b, seed=0, num_projections=128):
    return metrics.sliced_wasserstein(a, b, num_projections=num_projections, generator=_gen(seed))


# --- sliced Wasserstein -----------------------------------------------------------------------


def test_sliced_wasserstein_of_a_cloud_with_itself_is_zero():
    a = _normal(2000, 1)
    assert _sw(a, a) == 0.0
    assert _sw(a, a[torch.randperm(2000, generator=_gen(2))]) == pytest.approx(0.0, abs=1e-6)


def test_sliced_wasserstein_is_symmetric_and_non_negative():
    a, b = _normal(1500, 1), _normal(2500, 2, shift=(0.5, 0.0))
    ab, ba = _sw(a, b, seed=3), _sw(b, a, seed=3)
    assert ab > 0
    assert ab == pytest.approx(ba, rel=1e-5)


@pytest.mark.parametrize("shift", [(3.0, 0.0), (-1.5, 2.0), (0.0, 1.0)])
def test_sliced_wasserstein_of_a_shifted_gaussian_matches_the_closed_form(shift):
    # core implements SW_2 = (E_theta W_2^2)^{1/2}. Projections of N(0,I) and N(m,I) on a unit
    # direction theta are N(0,1) and N(theta.m, 1), whose W_2 is |theta.m|; with theta uniform on
    # the circle SW_2 = sqrt(|m|^2 E cos^2 phi) = |m| / sqrt(2).
    closed_form = math.hypot(*shift) / math.sqrt(2)
    a, b = _normal(4000, 4), _normal(3000, 5, shift=shift)
    # 1000 random projections: the average of cos^2 has ~2% relative std (1% after the square
    # root); sampling noise of the 1-D distances is ~0.03. 8% + 0.05 covers both several times.
    value = _sw(a, b, seed=6, num_projections=1000)
    assert value == pytest.approx(closed_form, rel=0.08, abs=0.05)


def test_sliced_wasserstein_of_same_distribution_samples_is_small():
    shifted = _sw(_normal(3000, 7), _normal(3000, 8, shift=(1.0, 0.0)))
    same = _sw(_normal(3000, 7), _normal(2000, 9))
    assert same < 0.1
    assert same < shifted / 5


def test_sliced_wasserstein_is_reproducible_for_a_seed_and_differs_across_seeds():
    a, b = _normal(1000, 1), _normal(1000, 2, shift=(0.3, -0.2))
    assert _sw(a, b, seed=10) == _sw(a, b, seed=10)
    assert _sw(a, b, seed=10) != _sw(a, b, seed=11)


@pytest.mark.parametrize("shifts", [[(0.0, 0.0), (3.0, 0.0), (0.0, -1.5)]])
def test_sliced_wasserstein_frames_match_the_closed_form_frame_by_frame(shifts):
    # Frame f compares N(0, I) with N(m_f, I): SW_2 = |m_f| / sqrt(2) (see the single-cloud test).
    a = torch.stack([_normal(4000, 20 + f) for f in range(len(shifts))])
    b = torch.stack([_normal(3000, 30 + f, shift=shift) for f, shift in enumerate(shifts)])
    values = metrics.sliced_wasserstein_frames(a, b, num_projections=1000, generator=_gen(6))
    assert values.shape == (len(shifts),)
    for value, shift in zip(values, shifts, strict=True):
        assert value == pytest.approx(math.hypot(*shift) / math.sqrt(2), rel=0.08, abs=0.05)


def test_sliced_wasserstein_frames_equal_single_calls_along_the_same_directions():
    a, b = torch.randn(5, 700, 2, generator=_gen(1)), torch.randn(5, 400, 2, generator=_gen(2)) + 0.4
    values = metrics.sliced_wasserstein_frames(a, b, num_projections=64, generator=_gen(3))
    singles = [_sw(a[f], b[f], seed=3, num_projections=64) for f in range(5)]
    assert values.tolist() == pytest.approx(singles, rel=1e-6)


@pytest.mark.parametrize(
    "a, b, argument",
    [
        (torch.zeros(3, 10, 2), torch.zeros(4, 10, 2), "frames"),
        (torch.zeros(10, 2), torch.zeros(10, 2), "a"),
        (torch.zeros(3, 10, 2), torch.full((3, 10, 2), float("nan")), "b"),
    ],
    ids=["frame-counts-differ", "not-frames", "nan"],
)
def test_sliced_wasserstein_frames_rejects_bad_input_naming_it(a, b, argument):
    with pytest.raises(ValueError, match=rf"\b{argument}\b"):
        metrics.sliced_wasserstein_frames(a, b, generator=_gen(0))


# --- energy distance --------------------------------------------------------------------------


def test_energy_distance_is_near_zero_for_one_distribution_and_large_for_a_shift():
    a, b = _normal(2000, 1), _normal(2000, 2)
    same = metrics.energy_distance(a, b, generator=_gen(3))
    shifted = metrics.energy_distance(a, _normal(2000, 4, shift=(1.0, 0.0)), generator=_gen(3))
    assert same >= 0.0
    assert metrics.energy_distance(a, a, generator=_gen(3)) == pytest.approx(0.0, abs=1e-6)
    assert shifted > 10 * same


def _mean_distance_of_shifted_gaussian(shift: float, scale: float) -> float:
    """E|Z| for Z ~ N(m, scale^2 I) in 2-D, |m| = shift: the Rice mean
    scale sqrt(pi/2) L_{1/2}(-shift^2 / (2 scale^2)), written with scaled Bessel functions."""
    y = torch.tensor(shift**2 / (4 * scale**2), dtype=torch.float64)
    laguerre = (1 + 2 * y) * torch.special.i0e(y) + 2 * y * torch.special.i1e(y)
    return scale * math.sqrt(math.pi / 2) * laguerre.item()


@pytest.mark.parametrize("shift", [0.5, 1.0, 2.0])
def test_energy_distance_of_a_shifted_gaussian_matches_the_closed_form(shift):
    # X, X' ~ N(0, I), Y ~ N(m, I): X - Y ~ N(-m, 2I) and X - X' ~ N(0, 2I), so
    #   ED = 2 E|X - Y| - E|X - X'| - E|Y - Y'| = 2 (Rice(|m|, sqrt 2) - sqrt(pi)).
    closed_form = 2 * (_mean_distance_of_shifted_gaussian(shift, math.sqrt(2)) - math.sqrt(math.pi))
    n, replicates = 1000, 8
    estimates = torch.tensor(
        [
            metrics.energy_distance(_normal(n, 2 * r), _normal(n, 2 * r + 1, shift=(shift, 0.0)))
            for r in range(replicates)
        ],
        dtype=torch.float64,
    )
    se = estimates.std().item() / math.sqrt(replicates)
    # the plug-in (V-statistic) within-cloud means count the zero self-distances: bias 2 sqrt(pi)/n
    tolerance = 5 * se + 2 * math.sqrt(math.pi) / n
    assert abs(estimates.mean().item() - closed_form) <= tolerance


# --- mean log-likelihood ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "cov",
    [
        [[1.0, 0.0], [0.0, 1.0]],
        [[0.3, 0.2], [0.2, 0.5]],
        [[4.0, -1.0], [-1.0, 0.7]],
    ],
)
def test_mean_log_likelihood_of_own_samples_is_minus_the_entropy(cov):
    # For x ~ N(mu, S) in 2-D: E log p(x) = -H = -(1 + log(2 pi) + 0.5 log det S), and
    # Var log p(x) = d/2 = 1, so the Monte-Carlo standard error is 1/sqrt(n).
    cov = torch.tensor(cov)
    gaussian = GaussianMixture(torch.ones(1), torch.tensor([[1.0, -2.0]]), cov[None])
    n = 5000
    x = gaussian.sample(n, generator=_gen(12))
    minus_entropy = -(1 + math.log(2 * math.pi) + 0.5 * math.log(torch.linalg.det(cov).item()))
    assert metrics.mean_log_likelihood(gaussian, x) == pytest.approx(minus_entropy, abs=5 / math.sqrt(n))


def test_mean_log_likelihood_is_the_average_log_density():
    mixture = datasets.make("two_moons", generator=_gen(0))
    x = 2.0 * torch.randn(500, 2, generator=_gen(13))
    expected = mixture.log_prob(x).double().mean().item()
    assert metrics.mean_log_likelihood(mixture, x) == pytest.approx(expected, rel=1e-5, abs=1e-5)


def test_mean_log_likelihood_is_highest_for_the_true_distribution():
    # Gibbs' inequality: E_p log p >= E_p log q; a shifted model scores clearly lower.
    gaussian = GaussianMixture(torch.ones(1), torch.zeros(1, 2), torch.eye(2)[None])
    shifted = GaussianMixture(torch.ones(1), torch.tensor([[0.5, 0.0]]), torch.eye(2)[None])
    x = gaussian.sample(4000, generator=_gen(14))
    # the expected gap is the KL divergence |m|^2 / 2 = 0.125
    gap = metrics.mean_log_likelihood(gaussian, x) - metrics.mean_log_likelihood(shifted, x)
    assert gap == pytest.approx(0.125, abs=0.04)
