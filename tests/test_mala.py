"""MALA (MATH §9) against closed forms: it leaves the target invariant at any step size, where ULA
(MATH §1) is biased or diverges, and its acceptance rate on N(0, I) at h = 1 is exactly 2/3."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from core import datasets, sde
from core.mala import MALARun, mala
from core.mixture import GaussianMixture

pytestmark = pytest.mark.usefixtures("single_thread")

NUM_SE = 5.0  # standard errors a Monte-Carlo check allows (tests/conftest.py uses the same)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _gaussian(variance: float) -> GaussianMixture:
    return GaussianMixture(torch.ones(1), torch.zeros(1, 2), variance * torch.eye(2)[None])


def test_mala_removes_the_ula_bias_on_standard_normal_at_h_one():
    # ULA's stationary variance is 1 / (1 − h/2) = 2 at h = 1 (MATH §1); MALA's is the target's, 1
    target, n = _gaussian(1.0), 20_000
    x0 = torch.randn(n, 2, generator=_gen(0))
    ula = sde.langevin(target.score, x0, step_size=1.0, num_steps=30, generator=_gen(1))
    run = mala(target, x0, step_size=1.0, num_steps=30, generator=_gen(1))
    standard_error = math.sqrt(2.0 / (2 * n))  # of a variance 1 from 2n coordinates (x 2 for ULA's 2)
    assert abs(float(ula.final.double().var()) - 2.0) < NUM_SE * 2.0 * standard_error
    assert abs(float(run.trajectory.final.double().var()) - 1.0) < NUM_SE * standard_error


def test_acceptance_rate_at_h_one_on_standard_normal_is_two_thirds():
    # at h = 1 the proposal is x' = √2 ξ, independent of x: p/q ∝ e^{−|x|²/4}, and with U = |x|²/4 ~ Exp(2),
    # V = |x'|²/4 ~ Exp(1): E min(1, e^{U−V}) = P(V <= U) + E[e^{U−V}; V > U] = 1/3 + 1/3
    n = 20_000
    run = mala(
        _gaussian(1.0), torch.randn(n, 2, generator=_gen(2)), step_size=1.0, num_steps=10, generator=_gen(3)
    )
    # each step's rate has sd √(p(1−p)/n); their average over steps has at most that sd
    assert abs(run.acceptance_rate - 2.0 / 3.0) < NUM_SE * math.sqrt(2.0 / 9.0 / n)


@pytest.mark.parametrize("step_size", [0.1, 0.5, 1.0, 1.5])
def test_mala_leaves_a_gaussian_invariant_at_any_step_size(step_size, assert_moments_match):
    # variance 0.5: ULA diverges from h = 2σ² = 1 on, MALA still keeps N(0, σ² I)
    variance, n = 0.5, 20_000
    x0 = math.sqrt(variance) * torch.randn(n, 2, generator=_gen(4))
    run = mala(_gaussian(variance), x0, step_size=step_size, num_steps=20, generator=_gen(5))
    assert not run.trajectory.diverged
    assert_moments_match(
        run.trajectory.final, torch.zeros(2), variance * torch.eye(2), label=f"h={step_size}"
    )


def test_acceptance_falls_as_the_step_grows_and_tends_to_one_as_it_shrinks():
    target, x0 = _gaussian(0.5), math.sqrt(0.5) * torch.randn(4000, 2, generator=_gen(6))
    rates = [
        mala(target, x0, step_size=h, num_steps=5, generator=_gen(7)).acceptance_rate
        for h in (1e-3, 0.1, 0.5, 1.5)
    ]
    assert rates[0] > 0.99
    assert all(later < earlier for earlier, later in itertools.pairwise(rates))


def test_mala_leaves_a_two_mode_mixture_invariant(assert_moments_match, assert_same_mean_log_likelihood):
    data, n = datasets.make("two_modes", generator=_gen(0)), 8000
    run = mala(data, data.sample(n, generator=_gen(8)), step_size=0.05, num_steps=20, generator=_gen(9))
    assert_moments_match(run.trajectory.final, data.mean(), data.cov(), label="two_modes")
    assert_same_mean_log_likelihood(data, run.trajectory.final, data.sample(n, generator=_gen(10)))
    assert 0.5 < run.acceptance_rate < 0.9  # the particles do move (the components have sd 0.17 to 0.71)


def test_mala_run_has_langevin_times_and_keeps_num_frames():
    x0 = torch.randn(50, 2, generator=_gen(11))
    run = mala(_gaussian(1.0), x0, step_size=0.25, num_steps=8, generator=_gen(12))
    assert isinstance(run, MALARun)
    assert (
        run.trajectory.times.tolist()
        == sde.langevin(lambda x: -x, x0, step_size=0.25, num_steps=8).times.tolist()
    )
    assert torch.equal(run.trajectory.xs[0], x0)
    thinned = mala(_gaussian(1.0), x0, step_size=0.25, num_steps=8, generator=_gen(12), num_frames=2)
    assert thinned.trajectory.times.tolist() == [0.0, 1.0, 2.0]
    torch.testing.assert_close(thinned.trajectory.final, run.trajectory.final)
    assert thinned.acceptance_rate == run.acceptance_rate


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"step_size": 0.0, "num_steps": 3}, "step_size must be positive"),
        ({"step_size": 0.1, "num_steps": 0}, "num_steps must be a positive integer"),
    ],
)
def test_bad_input_raises_a_concise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mala(_gaussian(1.0), torch.zeros(3, 2), **kwargs)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        mala(_gaussian(1.0), torch.zeros(3), step_size=0.1, num_steps=3)
