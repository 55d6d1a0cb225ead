"""The closed forms of the step-size bias (MATH §11) against Monte Carlo of the engine's own chains
(core.sde), against the exact mixture marginal, and against their limits (h → 0, S → ∞, KL(p ‖ p) = 0).

Truths used: the sample mean and variance of many chains (tolerances of NUM_SE standard errors from the
samples themselves); KL(q ‖ p) = E_q[log q − log p] by Monte Carlo with both exact log-densities;
``GaussianMixture.diffused`` for p_t.
"""

from __future__ import annotations

import math

import pytest
import torch

from core import sde, step_bias
from core.mixture import GaussianMixture
from core.step_bias import IsotropicGaussian

pytestmark = pytest.mark.usefixtures("single_thread")
NUM_SE = 5.0  # standard errors a Monte-Carlo check allows (as in tests/conftest.py)
CHAINS = 40_000  # particles of every Monte-Carlo chain


def _mixture(law: IsotropicGaussian) -> GaussianMixture:
    return GaussianMixture(torch.ones(1), torch.tensor([law.mean]), torch.eye(2)[None] * law.variance)


def _sample(law: IsotropicGaussian, n: int, seed: int) -> torch.Tensor:
    noise = torch.randn(n, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return (noise * math.sqrt(law.variance) + torch.tensor(law.mean, dtype=torch.float64)).float()


def assert_law(cloud: torch.Tensor, law: IsotropicGaussian) -> None:
    """The cloud's mean and per-axis variance agree with ``law`` within NUM_SE standard errors."""
    x = cloud.double()
    n = len(x)
    mean, variance = x.mean(0), x.var(0).mean()
    mean_se = (x.var(0) / n).sqrt()  # (2,)
    variance_se = ((x - mean).square().var(0) / n).sqrt().mean() / math.sqrt(2)  # two axes averaged
    assert torch.all((mean - torch.tensor(law.mean, dtype=torch.float64)).abs() <= NUM_SE * mean_se + 1e-9)
    assert abs(float(variance) - law.variance) <= NUM_SE * float(variance_se) + 1e-9


def test_gaussian_kl_matches_monte_carlo_of_log_q_minus_log_p():
    q, p = IsotropicGaussian((0.3, -0.2), 1.7), IsotropicGaussian((0.1, 0.4), 0.8)
    x = _sample(q, 200_000, seed=1)
    log_ratio = (_mixture(q).log_prob(x) - _mixture(p).log_prob(x)).double()
    se = float(log_ratio.std()) / math.sqrt(len(x))
    assert abs(step_bias.gaussian_kl(q, p) - float(log_ratio.mean())) <= NUM_SE * se


def test_gaussian_kl_is_zero_for_equal_laws_and_infinite_for_a_point():
    p = IsotropicGaussian((1.0, 0.5), 0.3)
    assert step_bias.gaussian_kl(p, p) == 0.0
    assert step_bias.gaussian_kl(IsotropicGaussian((1.0, 0.5), 0.0), p) == math.inf
    assert step_bias.gaussian_kl(IsotropicGaussian((1.0, 0.5), math.inf), p) == math.inf


@pytest.mark.parametrize(("sigma2", "h"), [(1.0, 0.5), (1.0, 1.0), (0.5, 0.3)])
def test_ula_stationary_variance_matches_a_long_ula_chain(sigma2, h):
    target = IsotropicGaussian((0.5, -1.0), sigma2)
    start = _sample(target, CHAINS, seed=2)
    chain = sde.langevin(
        _mixture(target).score, start, step_size=h, num_steps=200, generator=torch.Generator().manual_seed(3)
    )
    assert_law(chain.final, step_bias.ula_stationary(target, h))


def test_ula_stationary_tends_to_the_target_as_h_vanishes_and_diverges_from_twice_its_variance():
    target = IsotropicGaussian((0.0, 0.0), 0.5)
    assert step_bias.ula_stationary(target, 1e-6).variance == pytest.approx(0.5, rel=1e-5)
    assert step_bias.ula_stationary(target, 1.0).variance == math.inf


@pytest.mark.parametrize(
    ("start", "h", "steps"),
    [
        (IsotropicGaussian((-2.0, 2.0), 0.0), 0.1, 7),  # a point start: the lesson's "point"
        (IsotropicGaussian((0.0, 0.0), 1.0), 0.5, 3),  # the target itself
        (IsotropicGaussian((1.0, 0.0), 4.0), 1.5, 5),  # a wide start, a = −0.5
    ],
)
def test_ula_law_after_a_few_steps_matches_monte_carlo_of_the_chain(start, h, steps):
    target = IsotropicGaussian((0.0, 0.0), 1.0)
    chain = sde.langevin(
        _mixture(target).score,
        _sample(start, CHAINS, seed=4),
        step_size=h,
        num_steps=steps,
        generator=torch.Generator().manual_seed(5),
    )
    assert_law(chain.final, step_bias.ula_law(start, target, h, steps))


def test_ula_law_tends_to_the_stationary_law_after_many_steps():
    target, start = IsotropicGaussian((0.2, 0.1), 2.0), IsotropicGaussian((-2.0, 2.0), 0.0)
    law, stationary = step_bias.ula_law(start, target, 0.5, 2000), step_bias.ula_stationary(target, 0.5)
    assert law.variance == pytest.approx(stationary.variance, rel=1e-12)
    assert law.mean == pytest.approx(target.mean, abs=1e-12)


def test_ula_law_of_an_unstable_step_has_infinite_variance_and_kl():
    target = IsotropicGaussian((0.0, 0.0), 1.0)
    law = step_bias.ula_law(target, target, 5.0, 4000)  # a = −4: the variance overflows
    assert law.variance == math.inf
    assert step_bias.gaussian_kl(law, target) == math.inf


def test_exact_marginal_is_the_mixtures_own_diffused_law():
    data = IsotropicGaussian((1.0, 0.5), 0.0025)
    for t in (0.0, 0.05, 1.0, 4.0):
        exact, law = _mixture(data).diffused(t), step_bias.exact_marginal(data, t)
        assert law.mean == pytest.approx(tuple(exact.means[0].tolist()), abs=1e-6)
        assert law.variance == pytest.approx(float(exact.covs[0, 0, 0]), rel=1e-5)
        assert float(exact.covs[0, 0, 1]) == 0.0


@pytest.mark.parametrize(("t_end", "steps"), [(1.0, 4), (4.0, 8), (3.0, 2)])
def test_euler_forward_law_matches_monte_carlo_of_the_euler_chain(t_end, steps):
    data = IsotropicGaussian((1.0, 0.5), 0.3)
    chain = sde.forward(
        _sample(data, CHAINS, seed=6),
        t_end=t_end,
        num_steps=steps,
        exact=False,
        generator=torch.Generator().manual_seed(7),
    )
    assert_law(chain.final, step_bias.euler_forward_law(data, t_end, steps))


def test_euler_forward_kl_to_the_exact_marginal_vanishes_as_steps_grow():
    data = IsotropicGaussian((1.0, 0.5), 0.3)
    exact = step_bias.exact_marginal(data, 2.0)
    kls = [
        step_bias.gaussian_kl(step_bias.euler_forward_law(data, 2.0, s), exact) for s in (4, 40, 400, 4000)
    ]
    assert kls == sorted(kls, reverse=True)
    assert kls[-1] < 1e-6
    assert kls[0] > 1e-2


@pytest.mark.parametrize(
    ("data", "t_end", "steps", "lam"),
    [
        (IsotropicGaussian((0.0, 0.0), 1.0), 4.0, 8, 1.0),  # dataset "gaussian" at h = 0.5
        (IsotropicGaussian((0.0, 0.0), 0.25), 2.0, 10, 1.0),  # a narrower Gaussian: v_t changes with t
        (IsotropicGaussian((1.0, 0.5), 0.0025), 1.0, 20, 0.5),  # "single_point": steep score near t = 0
        (IsotropicGaussian((1.0, 0.5), 0.3), 2.0, 10, 0.0),  # the probability-flow ODE
    ],
)
def test_euler_backward_law_matches_monte_carlo_of_core_sde_backward(data, t_end, steps, lam):
    chain = sde.backward(
        _mixture(data).marginal_score,
        torch.randn(CHAINS, 2, generator=torch.Generator().manual_seed(8)),
        t_end=t_end,
        num_steps=steps,
        lam=lam,
        generator=torch.Generator().manual_seed(9),
    )
    assert_law(chain.final, step_bias.euler_backward_law(data, t_end, steps, lam))


def test_euler_backward_law_tends_to_the_data_with_small_steps_and_a_long_horizon():
    data = IsotropicGaussian((1.0, 0.5), 0.3)
    kls = [
        step_bias.gaussian_kl(step_bias.euler_backward_law(data, 8.0, s, 1.0), data) for s in (16, 160, 1600)
    ]
    assert kls == sorted(kls, reverse=True)
    assert kls[-1] < 1e-3


def test_euler_backward_ode_on_the_standard_gaussian_has_no_step_error():
    """λ = 0 on N(0, I) data: v_t = 1 for all t, so a_k = 1 and the chain is the identity on N(0, I)."""
    law = step_bias.euler_backward_law(step_bias.STANDARD, 4.0, 2, 0.0)
    assert law == IsotropicGaussian((0.0, 0.0), 1.0)


@pytest.mark.parametrize(
    ("data", "t", "h", "steps", "lam"),
    [
        (IsotropicGaussian((0.0, 0.0), 1.0), 0.3, 0.5, 6, 1.0),  # dataset "gaussian": ULA at step 2h
        (IsotropicGaussian((1.0, 0.5), 0.0025), 0.05, 0.05, 10, 1.0),  # "single_point", near t = 0
        (IsotropicGaussian((1.0, 0.5), 0.3), 0.3, 0.2, 8, 0.0),  # the deterministic backward half
    ],
)
def test_split_law_matches_monte_carlo_of_repeated_split_steps(data, t, h, steps, lam):
    mixture, generator = _mixture(data), torch.Generator().manual_seed(10)
    x = mixture.diffused(t).sample(CHAINS, generator)
    for _ in range(steps):
        x = sde.split_step(mixture.marginal_score, x, t, h, lam, generator)[1]
    assert_law(x, step_bias.split_law(data, t, h, steps, lam))


def test_split_law_stays_at_p_t_as_h_vanishes():
    data = IsotropicGaussian((1.0, 0.5), 0.3)
    kls = [
        step_bias.gaussian_kl(step_bias.split_law(data, 0.3, h, 20, 1.0), step_bias.exact_marginal(data, 0.3))
        for h in (0.2, 0.02, 0.002)
    ]
    assert kls == sorted(kls, reverse=True)
    assert kls[-1] < 1e-5


def test_bad_laws_and_step_sizes_are_refused_in_plain_words():
    target = IsotropicGaussian((0.0, 0.0), 1.0)
    with pytest.raises(ValueError, match="target"):
        step_bias.ula_stationary(IsotropicGaussian((0.0, 0.0), 0.0), 0.1)
    with pytest.raises(ValueError, match="step_size"):
        step_bias.ula_law(target, target, -0.1, 3)
    with pytest.raises(ValueError, match="steps"):
        step_bias.euler_forward_law(target, 1.0, 0)
    with pytest.raises(ValueError, match="IsotropicGaussian"):
        step_bias.gaussian_kl((0.0, 1.0), target)
    with pytest.raises(ValueError, match="variance"):
        step_bias.exact_marginal(IsotropicGaussian((0.0, 0.0), -1.0), 1.0)
