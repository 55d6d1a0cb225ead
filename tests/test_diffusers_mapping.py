"""bench/diffusers_samplers.py's mapping of the OU process onto diffusers' discrete VP schedule: ᾱ at every
timestep is e^{−2t} of the time it is scored at, one DDIM step with the exact score is the closed-form
DDIM update, Heun's model calls are counted, and Euler with Karras sigmas is the project's DDIM on its
Karras grid."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("diffusers")  # a benchmark dependency (requirements-dev.txt), not a runtime one

import torch

from bench import diffusers_samplers as ds
from core import datasets
from core.samplers import DDIM
from core.time_grids import GRIDS

# diffusers 0.42.1 on numpy 2 warns when it turns its torch tables into arrays; harmless here
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy:DeprecationWarning"
)


@pytest.mark.parametrize("name", list(ds.SCHEDULERS))
def test_alphas_cumprod_at_the_timesteps_is_e_minus_2t_of_their_times(name: str) -> None:
    scheduler = ds.SCHEDULERS[name].build()
    scheduler.set_timesteps(10)
    time_of = ds.timestep_time(scheduler)
    sigmas = getattr(scheduler, "sigmas", None)  # diffusers' ς = σ/α at each timestep, where it keeps them
    for index, timestep in enumerate(scheduler.timesteps.tolist()):
        t = time_of(timestep)
        if float(timestep).is_integer():
            assert float(scheduler.alphas_cumprod[int(timestep)]) == pytest.approx(
                math.exp(-2.0 * t), rel=1e-6
            )
            assert t == pytest.approx((timestep + 1) * ds.TRAIN_STEP, abs=5e-5)  # float32 ᾱ: |δt| ≈ 10⁻⁵
        else:  # a fractional timestep (Euler, Heun with Karras sigmas) is scored at the sigma it steps with
            assert sigmas is not None
            assert math.sqrt(math.expm1(2.0 * t)) == pytest.approx(float(sigmas[index]), rel=1e-5)


def test_the_discrete_schedule_is_the_ou_schedule_on_the_whole_training_grid() -> None:
    cumprod = ds.SCHEDULERS["DDIM"].build().alphas_cumprod.double()  # (N,)
    times = (torch.arange(ds.TRAIN_STEPS, dtype=torch.float64) + 1) * ds.TRAIN_STEP  # (N,): t = (τ + 1)Δ
    assert times[-1].item() == pytest.approx(ds.T_END)
    torch.testing.assert_close(cumprod, torch.exp(-2.0 * times), rtol=1e-4, atol=0.0)


def test_one_ddim_step_with_the_exact_score_is_the_closed_form_update() -> None:
    data = datasets.make("gaussian", sigma=0.5)  # p_t = N(0, v_t I), v_t = e^{−2t} 0.25 + σ_t²
    scheduler = ds.SCHEDULERS["DDIM"].build()
    scheduler.set_timesteps(10)  # trailing: 3999, 3599, …, 799, 399
    start, end = 799, 399
    s, t = ds.timestep_time(scheduler)(start), ds.timestep_time(scheduler)(end)
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))  # (64, 2)
    stepped = scheduler.step(ds.exact_epsilon(data, x, s), start, x).prev_sample

    def alpha(u: float) -> float:
        return math.exp(-u)

    def sigma(u: float) -> float:
        return math.sqrt(1.0 - math.exp(-2.0 * u))

    variance = alpha(s) ** 2 * 0.25 + sigma(s) ** 2  # v_s; ε̂ = σ_s x / v_s, x̂₀ = (x − σ_s ε̂)/α_s
    factor = alpha(t) / alpha(s) * (1.0 - sigma(s) ** 2 / variance) + sigma(t) * sigma(s) / variance
    torch.testing.assert_close(stepped, factor * x, rtol=1e-4, atol=1e-5)


def test_heun_costs_two_calls_a_step_but_one_into_zero() -> None:
    spec = ds.SCHEDULERS["Heun Karras"]
    assert ds.evaluations(spec.build(), 5) == 9
    assert [ds.steps_within_budget(spec, budget) for budget in (10, 20, 50)] == [5, 10, 25]
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
    _, calls = ds.run_scheduler(spec, datasets.make("two_moons"), x, 5, torch.Generator().manual_seed(1))
    assert calls == 9


def test_euler_karras_is_the_projects_ddim_on_its_karras_grid() -> None:
    data = datasets.make("two_moons")
    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))  # (200, 2) ~ N(0, I) at T
    theirs, calls = ds.run_scheduler(ds.SCHEDULERS["Euler Karras"], data, x, 10, torch.Generator())
    ours = DDIM(grid=GRIDS["karras"]).sample(data, x, t_end=ds.T_END, num_steps=10).final
    assert calls == 10
    assert theirs is not None
    assert float((theirs - ours).abs().max()) < 1e-2  # float32 sigmas; the same grid and update
