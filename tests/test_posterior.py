"""The exact posterior of one forward OU step (core/posterior.py) against independent truths: Bayes'
rule in information form on one Gaussian, numerical quadrature of the unnormalised posterior on a
grid, Tweedie's formula with an autograd score, and Monte Carlo invariance of p_t."""

from __future__ import annotations

import math

import pytest
import torch

from core import datasets, divergence, posterior, sde
from core.mixture import GaussianMixture

pytestmark = pytest.mark.usefixtures("single_thread")


def one_gaussian() -> GaussianMixture:
    return GaussianMixture(
        torch.ones(1), torch.tensor([[0.8, -0.5]]), torch.tensor([[[0.3, 0.1], [0.1, 0.2]]])
    )


def exact_step(x: torch.Tensor, h: float, generator: torch.Generator) -> torch.Tensor:
    """The exact OU transition x -> e^{−h} x + √(1 − e^{−2h}) ξ (MATH §2)."""
    return math.exp(-h) * x + math.sqrt(-math.expm1(-2 * h)) * torch.randn(x.shape, generator=generator)


def test_one_gaussian_posterior_is_bayes_rule_in_information_form():
    data, t, h = one_gaussian(), 0.2, 0.3
    y = torch.tensor([[0.0, 0.0], [1.5, -2.0], [-3.0, 1.0]])
    marginal = data.diffused(t)
    a, beta = math.exp(-h), -math.expm1(-2 * h)
    prior_precision = torch.linalg.inv(marginal.covs[0].double())
    covariance = torch.linalg.inv(prior_precision + (a * a / beta) * torch.eye(2, dtype=torch.float64))
    means = (
        covariance @ ((prior_precision @ marginal.means[0].double())[:, None] + (a / beta) * y.double().T)
    ).T
    result = posterior.posterior(data, t, h, y)
    torch.testing.assert_close(result.covs[0], covariance, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(result.means[:, 0], means, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(result.log_weights, torch.zeros(3, 1, dtype=torch.float64))


def test_mixture_posterior_matches_quadrature_of_prior_times_likelihood():
    data, t, h = datasets.make("two_modes"), 0.1, 0.6
    y = torch.tensor([[0.4, 0.3], [-1.2, -0.2]])
    a, beta = math.exp(-h), -math.expm1(-2 * h)
    axis = torch.linspace(-4.0, 4.0, 401, dtype=torch.float64)
    grid = torch.cartesian_prod(axis, axis)  # (G², 2)
    cell = float(axis[1] - axis[0]) ** 2
    prior = data.diffused(t).log_prob(grid.float()).double()  # (G²,)
    result = posterior.posterior(data, t, h, y)
    for n, point in enumerate(y.double()):
        likelihood = -((point - a * grid) ** 2).sum(1) / (2 * beta)
        log_density = prior + likelihood
        weights = torch.softmax(log_density, 0)  # (G²,) the normalised posterior on the grid
        mean = weights @ grid
        cov = (weights[:, None] * (grid - mean)).T @ (grid - mean)
        torch.testing.assert_close(result.mean()[n], mean, atol=1e-4, rtol=0)
        mixture = result.mixture(n)
        torch.testing.assert_close(mixture.cov().double(), cov, atol=1e-4, rtol=0)
        normalised = log_density - (log_density.logsumexp(0) + math.log(cell))
        near = torch.nonzero(weights > 1e-4).squeeze(1)[::50]  # grid points where the posterior has mass
        column = point.expand(len(near), 2)
        one_per_row = posterior.posterior(data, t, h, column)
        torch.testing.assert_close(one_per_row.log_prob(grid[near]), normalised[near], atol=2e-3, rtol=0)


@pytest.mark.parametrize("name", ["two_moons", "two_modes"])
def test_posterior_mean_is_tweedie_s_formula_with_the_autograd_score(name):
    data, t, h = datasets.make(name), 0.05, 0.2
    y = data.diffused(t + h).sample(64, torch.Generator().manual_seed(1)).requires_grad_(True)
    (score,) = torch.autograd.grad(data.diffused(t + h).log_prob(y).sum(), y)
    a, beta = math.exp(-h), -math.expm1(-2 * h)
    expected = (y.detach() + beta * score) / a  # E[x_t | x_{t+h} = y] (MATH §9)
    torch.testing.assert_close(
        posterior.posterior(data, t, h, y.detach()).mean().float(), expected, atol=2e-4, rtol=0
    )


@pytest.mark.parametrize("h", [0.2, 1.0])
def test_forward_step_then_posterior_draw_leaves_p_t_invariant(h):
    data, t, size = datasets.make("two_moons"), 0.05, 1000
    exact = data.diffused(t)
    band = divergence.kl_noise_band(exact, size, generator=torch.Generator().manual_seed(99))
    above, moved = 0, []
    for seed in range(8):
        generator = torch.Generator().manual_seed(seed)
        start = exact.sample(size, generator)
        back = posterior.sample_posterior(data, t, h, exact_step(start, h, generator), generator)
        above += divergence.kl_to_exact(back, exact) > band.upper
        moved.append(float((back - start).norm(dim=1).median()))
    assert above <= 1, f"{above} of 8 clouds above the exact clouds' band"
    assert min(moved) > 0.1, "the backward draw should move the particles, not return them"


def test_forward_then_posterior_keeps_the_mean_and_covariance_of_p_t():
    data, t, h, size = datasets.make("two_modes"), 0.3, 0.8, 40_000
    exact = data.diffused(t)
    generator = torch.Generator().manual_seed(5)
    back = posterior.sample_posterior(
        data, t, h, exact_step(exact.sample(size, generator), h, generator), generator
    )
    scale = float(exact.cov().diagonal().max().sqrt())
    tolerance = 5 * scale / math.sqrt(size)  # five Monte Carlo standard errors
    torch.testing.assert_close(back.mean(0), exact.mean(), atol=tolerance, rtol=0)
    torch.testing.assert_close(
        torch.cov(back.T), exact.cov(), atol=5 * scale**2 * math.sqrt(2 / size), rtol=0
    )


def test_a_too_coarse_backward_half_fails_where_the_posterior_passes():
    """The same check has power: the Euler backward half at h = 0.2 (MATH §4) lands off p_t."""
    data, t, h, size = datasets.make("two_moons"), 0.05, 0.2, 1000
    exact = data.diffused(t)
    band = divergence.kl_noise_band(exact, size, generator=torch.Generator().manual_seed(99))
    generator = torch.Generator().manual_seed(0)
    _, euler = sde.split_step(data.marginal_score, exact.sample(size, generator), t, h, 1.0, generator)
    assert divergence.kl_to_exact(euler, exact) > band.upper


def test_samples_are_reproducible_with_the_generator_and_float32():
    data, y = datasets.make("eight_gaussians"), torch.zeros(10, 2)
    first = posterior.sample_posterior(data, 0.1, 0.1, y, torch.Generator().manual_seed(3))
    second = posterior.sample_posterior(data, 0.1, 0.1, y, torch.Generator().manual_seed(3))
    assert first.dtype == torch.float32 and first.shape == (10, 2)
    torch.testing.assert_close(first, second)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((None, 0.1, 0.1, torch.zeros(3, 2)), "data must be a GaussianMixture"),
        (("data", -0.1, 0.1, torch.zeros(3, 2)), "t must be >= 0"),
        (("data", 0.1, 0.0, torch.zeros(3, 2)), "h must be positive"),
        (("data", 0.1, 0.1, torch.zeros(3, 3)), r"x_next must have shape \(N, 2\)"),
        (("data", 0.1, 0.1, torch.tensor([[math.nan, 0.0]])), "x_next must be finite"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_it(arguments, message):
    data = one_gaussian()
    arguments = tuple(data if isinstance(value, str) else value for value in arguments)
    with pytest.raises(ValueError, match=message):
        posterior.posterior(*arguments)


def test_particle_index_and_point_count_are_checked():
    result = posterior.posterior(one_gaussian(), 0.1, 0.1, torch.zeros(3, 2))
    with pytest.raises(ValueError, match="n must be a particle index"):
        result.mixture(3)
    with pytest.raises(ValueError, match="one point per particle"):
        result.log_prob(torch.zeros(2, 2))
