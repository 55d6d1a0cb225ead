"""Samplers of the backward process (MATH §9) against independent truths.

On Gaussian data N(0, s² I) every p_t = N(0, v_t I), v_t = 1 + e^{−2t}(s² − 1), and s_t(x) = −x/v_t, so
each sampler's chain is linear, x <- A x + B ξ per coordinate: its final mean and variance follow a
scalar recursion written here from the published formulas (not from core/samplers.py), and its
deterministic flow can be compared with the exact probability-flow map x_t = √(v_t/v_T) x_T.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import pytest
import torch

from core import datasets, divergence, samplers, sde
from core.mixture import GaussianMixture
from core.time_grids import TimeGrid

pytestmark = pytest.mark.usefixtures("single_thread")

DATA_VARIANCE = 0.25  # s²: far enough from 1 that every discretisation shows
GAUSSIAN = GaussianMixture(torch.ones(1), torch.zeros(1, 2), DATA_VARIANCE * torch.eye(2)[None])
SCORE_ONLY = [name for name, sampler in samplers.SAMPLERS.items() if not sampler.uses_exact_posterior]
DETERMINISTIC = ["probability_flow", "ddim", "heun", "dpm_solver_2m"]
COARSE_GRIDS = {  # few steps, so that the chains differ from each other and from the truth
    "uniform": (TimeGrid(), 4),
    "log_snr": (TimeGrid("log_snr", t_min=0.01, denoise=True), 4),
    "karras": (TimeGrid("karras", t_min=0.02), 3),
}
T_END = 2.0


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _variance(t: float) -> float:
    """v_t of p_t for the Gaussian data."""
    return 1.0 + math.exp(-2.0 * t) * (DATA_VARIANCE - 1.0)


def _score_gain(t: float) -> float:
    return -1.0 / _variance(t)


def _alpha(t: float) -> float:
    return math.exp(-t)


def _sigma(t: float) -> float:
    return math.sqrt(1.0 - math.exp(-2.0 * t))


def _denoiser_gain(t: float) -> float:
    """Tweedie: D_t(x) = (x + σ_t² s_t(x))/α_t."""
    return (1.0 + _sigma(t) ** 2 * _score_gain(t)) / _alpha(t)


def _noise_gain(t: float) -> float:
    """ε̂_t(x) = −σ_t s_t(x)."""
    return -_sigma(t) * _score_gain(t)


def _ddim_gain(s: float, t: float) -> float:
    """DDIM (Song et al. 2021, η = 0): x_t = α_t x̂₀ + σ_t ε̂."""
    return _alpha(t) * _denoiser_gain(s) + _sigma(t) * _noise_gain(s)


def _heun_gain(s: float, t: float) -> float:
    """Heun on dx̄/dς = ε̂(α x̄) in x̄ = x/α, ς = σ/α (Karras et al. 2022, Alg. 1), Euler alone into ς = 0."""

    def slope(x_bar: float, time: float) -> float:
        return _noise_gain(time) * _alpha(time) * x_bar

    level_s, level_t = _sigma(s) / _alpha(s), _sigma(t) / _alpha(t)
    x_bar = 1.0 / _alpha(s)  # x̄ of y = 1
    euler = x_bar + (level_t - level_s) * slope(x_bar, s)
    if t == 0.0:
        return euler
    return _alpha(t) * (x_bar + (level_t - level_s) * 0.5 * (slope(x_bar, s) + slope(euler, t)))


def _ancestral(s: float, t: float) -> tuple[float, float]:
    """DDPM (Ho et al. 2020) with β = 1 − e^{−2h} and σ² = β̃ = β σ_t²/σ_s²: (gain, added variance)."""
    beta = 1.0 - math.exp(-2.0 * (s - t))
    gain = (1.0 + beta * _score_gain(s)) / math.sqrt(1.0 - beta)
    return gain, (beta * _sigma(t) ** 2 / _sigma(s) ** 2 if t > 0 else 0.0)


def _one_step(name: str, s: float, t: float) -> tuple[float, float]:
    """(A, B²) of one step of a single-step sampler from s to t: x <- A y + B ξ."""
    h = s - t
    if name in ("euler_maruyama", "probability_flow"):
        lam = 1.0 if name == "euler_maruyama" else 0.0
        return 1.0 + h * (1.0 + (1.0 + lam) * _score_gain(s)), 2.0 * lam * h
    if name == "ddpm":
        return _ancestral(s, t)
    if name == "ddim":
        return _ddim_gain(s, t), 0.0
    if name == "heun":
        return _heun_gain(s, t), 0.0
    if name == "predictor_corrector":  # one Langevin step at s with ε = 0.1 σ_s², then DDPM
        size = 0.1 * _sigma(s) ** 2
        gain, added = _ancestral(s, t)
        return gain * (1.0 + size * _score_gain(s)), gain**2 * 2.0 * size + added
    if name == "exact_posterior":  # p(x_t | y) for y = a x_t + √β ξ, x_t ~ N(0, v_t)
        a, beta = math.exp(-h), 1.0 - math.exp(-2.0 * h)
        return a * _variance(t) / _variance(s), beta * _variance(t) / _variance(s)
    raise AssertionError(name)


def _dpm_solver_gains(times: list[float], denoise: bool) -> float:
    """DPM-Solver++(2M) (Lu et al. 2022, Alg. 2) as a recursion of the gains x_k = g_k x_0."""
    gains, denoised = [1.0], []
    for k, (s, t) in enumerate(itertools.pairwise(times)):
        denoised.append(_denoiser_gain(s) * gains[-1])
        if t == 0.0:  # first order into t = 0 (λ = ∞): x₀ = D_s; also the Tweedie step of a denoising grid
            gains.append(denoised[-1])
            continue
        lam = [math.log(_alpha(u) / _sigma(u)) for u in times[: k + 2]]
        h = lam[k + 1] - lam[k]
        blend = denoised[-1]
        if k > 0:
            r = (lam[k] - lam[k - 1]) / h
            blend = (1 + 1 / (2 * r)) * denoised[-1] - denoised[-2] / (2 * r)
        gains.append(_sigma(t) / _sigma(s) * gains[-1] - _alpha(t) * (math.exp(-h) - 1.0) * blend)
    return gains[-1]


def _chain(name: str, times: list[float], denoise: bool) -> tuple[float, float]:
    """(g, w): the final cloud is g x_start + N(0, w) per coordinate."""
    if name == "dpm_solver_2m":
        return _dpm_solver_gains(times, denoise), 0.0
    gain, added = 1.0, 0.0
    for s, t in itertools.pairwise(times):
        a, b2 = (_denoiser_gain(s), 0.0) if denoise and t == 0.0 else _one_step(name, s, t)
        gain, added = a * gain, a * a * added + b2
    return gain, added


def _with_grid(name: str, grid: TimeGrid) -> samplers.GridSampler:
    return dataclasses.replace(samplers.SAMPLERS[name], grid=grid)


# --- Gaussian data: the discrete chains' closed-form moments ------------------------------------


@pytest.mark.parametrize("grid_name", COARSE_GRIDS)
@pytest.mark.parametrize("name", list(samplers.SAMPLERS))
def test_final_mean_and_variance_match_the_closed_form_recursion_of_the_chain(
    name, grid_name, assert_moments_match
):
    grid, num_steps = COARSE_GRIDS[grid_name]
    start_mean, start_variance, n = torch.tensor([1.0, -0.5]), _variance(T_END), 20_000
    x_start = start_mean + math.sqrt(start_variance) * torch.randn(n, 2, generator=_gen(0))
    run = _with_grid(name, grid).sample(
        GAUSSIAN, x_start, t_end=T_END, num_steps=num_steps, generator=_gen(1)
    )
    gain, added = _chain(name, grid.times(T_END, num_steps), grid.denoise)
    variance = gain**2 * start_variance + added
    assert not run.diverged
    assert_moments_match(run.final, gain * start_mean, variance * torch.eye(2), label=f"{name} {grid_name}")


@pytest.mark.parametrize("name", [n for n in samplers.SAMPLERS if n != "exact_posterior"])
def test_the_coarse_chains_are_biased_far_beyond_the_monte_carlo_error(name):
    # the power of the test above: on the uniform 4-step grid no score sampler lands on the data's s²
    gain, added = _chain(name, TimeGrid().times(T_END, 4), False)
    variance = gain**2 * _variance(T_END) + added
    standard_error = variance * math.sqrt(2.0 / 40_000)  # of a variance from 2 × 20,000 coordinates
    assert abs(variance - DATA_VARIANCE) > 10 * standard_error


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_deterministic_samplers_are_the_linear_map_of_their_recursion_particle_by_particle(name):
    grid, num_steps = COARSE_GRIDS["log_snr"]
    x_start = torch.randn(200, 2, generator=_gen(2))
    run = _with_grid(name, grid).sample(GAUSSIAN, x_start, t_end=T_END, num_steps=num_steps)
    gain, _ = _chain(name, grid.times(T_END, num_steps), grid.denoise)
    torch.testing.assert_close(run.final, gain * x_start, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "name, order", [("probability_flow", 1), ("ddim", 1), ("heun", 2), ("dpm_solver_2m", 2)]
)
def test_order_of_convergence_to_the_exact_probability_flow_map(name, order):
    # x_t = √(v_t / v_T) x_T exactly; on a log-SNR grid to t_min (steps of equal size in log ς, where
    # the flow is smooth up to t_min) the error of S steps falls like S^{−order}
    grid = TimeGrid("log_snr", t_min=0.05)
    exact_gain = math.sqrt(_variance(grid.t_min) / _variance(T_END))
    x_start = torch.tensor([[1.0, 0.0]])
    errors = []
    for num_steps in (16, 32, 64, 128):
        run = _with_grid(name, grid).sample(GAUSSIAN, x_start, t_end=T_END, num_steps=num_steps)
        errors.append(abs(float(run.final[0, 0]) - exact_gain))
    measured = [math.log2(coarse / fine) for coarse, fine in itertools.pairwise(errors)]
    assert all(order - 0.2 < slope < order + 0.4 for slope in measured), measured


def test_ddpm_with_variance_beta_keeps_standard_normal_data_exact_at_any_step_count(assert_moments_match):
    # data N(0, I): p_t = N(0, I) for all t and DDPM's step with β̃ = β is the exact reverse transition
    standard = GaussianMixture(torch.ones(1), torch.zeros(1, 2), torch.eye(2)[None])
    sampler = samplers.DDPM(variance="beta", grid=TimeGrid(t_min=0.05))
    x_start = torch.randn(20_000, 2, generator=_gen(3))
    for num_steps in (1, 3, 30):
        run = sampler.sample(
            standard, x_start, t_end=T_END, num_steps=num_steps, generator=_gen(100 + num_steps)
        )
        assert_moments_match(run.final, torch.zeros(2), torch.eye(2), label=f"{num_steps} steps")


@pytest.mark.parametrize("name", ["ddim", "heun", "dpm_solver_2m"])
def test_exponential_samplers_are_exact_on_a_point_mass(name):
    # data δ₀: s_t(x) = −x/σ_t², the flow is x_t = (σ_t/σ_T) x_T, a line in ς that these steps follow exactly
    grid = TimeGrid("karras", t_min=0.05)
    x_start = torch.randn(100, 2, generator=_gen(4))
    run = _with_grid(name, grid).sample(lambda x, t: -x / _sigma(t) ** 2, x_start, t_end=T_END, num_steps=5)
    torch.testing.assert_close(run.final, _sigma(0.05) / _sigma(T_END) * x_start, rtol=1e-4, atol=1e-6)


# --- the exact posterior sampler on mixtures ------------------------------------------------------


@pytest.mark.parametrize("num_steps", [1, 3, 10])
def test_exact_posterior_sampler_reproduces_two_moons_at_any_step_count(num_steps):
    data = datasets.make("two_moons", generator=_gen(0))
    band = divergence.kl_noise_band(data, 1000, repeats=16, generator=_gen(5))
    x_start = data.sample_diffused([T_END], 1000, generator=_gen(6))[0]
    run = samplers.SAMPLERS["exact_posterior"].sample(
        data, x_start, t_end=T_END, num_steps=num_steps, generator=_gen(7)
    )
    # within about 4 sd of the exact clouds' estimates (the band's upper edge is about 2 sd above its mean)
    assert divergence.kl_to_exact(run.final, data) < band.upper + (band.upper - band.mean)
    ddpm = samplers.SAMPLERS["ddpm"].sample(
        data, x_start, t_end=T_END, num_steps=num_steps, generator=_gen(7)
    )
    assert divergence.kl_to_exact(ddpm.final, data) > band.upper + 5 * (band.upper - band.mean)


def test_exact_posterior_sampler_refuses_a_bare_score_function():
    with pytest.raises(ValueError, match="needs the mixture itself"):
        samplers.SAMPLERS["exact_posterior"].sample(
            lambda x, t: -x, torch.zeros(3, 2), t_end=1.0, num_steps=2
        )


# --- Tweedie's formula ------------------------------------------------------------------------------


def test_tweedie_matches_the_gaussian_posterior_mean():
    # x_t = α x₀ + σ ε with x₀ ~ N(0, s²): E[x₀ | x_t] = α s² x_t / v_t
    x, t = torch.randn(50, 2, generator=_gen(8)), 0.4
    expected = _alpha(t) * DATA_VARIANCE * x / _variance(t)
    torch.testing.assert_close(
        samplers.tweedie(GAUSSIAN.marginal_score, x, t), expected, rtol=1e-5, atol=1e-6
    )


def test_tweedie_residual_is_orthogonal_to_functions_of_x_t_on_a_mixture():
    # E[x₀ | x_t] is the L² projection: E[(x₀ − D(x_t)) f(x_t)] = 0 for f = x_t and f = D(x_t)
    data, t, n = datasets.make("two_modes", generator=_gen(0)), 0.3, 40_000
    x0 = data.sample(n, generator=_gen(9))
    xt = _alpha(t) * x0 + _sigma(t) * torch.randn(n, 2, generator=_gen(10))
    denoised = samplers.tweedie(data.marginal_score, xt, t)
    residual = (x0 - denoised).double()
    for f in (xt.double(), denoised.double()):
        products = residual * f  # (n, 2)
        assert (products.mean(0).abs() < 5 * products.std(0) / math.sqrt(n)).all()


# --- the run: grid, frames, evaluations, blow-ups, bad input -----------------------------------------


@pytest.mark.parametrize("lam", [1.0, 0.0])
def test_euler_maruyama_on_the_uniform_grid_is_core_sde_backward(lam):
    data, x_start = datasets.make("two_moons", generator=_gen(0)), torch.randn(300, 2, generator=_gen(11))
    sampler = samplers.EulerMaruyama(lam=lam)
    mine = sampler.sample(data, x_start, t_end=3.0, num_steps=30, generator=_gen(12))
    theirs = sde.backward(data.marginal_score, x_start, t_end=3.0, num_steps=30, lam=lam, generator=_gen(12))
    torch.testing.assert_close(mine.times, theirs.times)
    torch.testing.assert_close(mine.xs, theirs.xs, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("grid_name", COARSE_GRIDS)
@pytest.mark.parametrize("name", SCORE_ONLY)
def test_evaluations_count_the_score_calls_of_a_run(name, grid_name):
    grid, num_steps = COARSE_GRIDS[grid_name]
    calls = []

    def counted(x, t):
        calls.append(t)
        return GAUSSIAN.marginal_score(x, t)

    sampler = _with_grid(name, grid)
    sampler.sample(counted, torch.zeros(4, 2), t_end=T_END, num_steps=num_steps, generator=_gen(13))
    assert len(calls) == sampler.evaluations(num_steps)
    assert sampler.evaluations(10) <= 10 * sampler.evaluations_per_step


def test_trajectory_holds_the_grid_times_and_keeps_num_frames():
    grid = TimeGrid("karras", t_min=0.01, denoise=True)
    sampler = _with_grid("dpm_solver_2m", grid)
    full = sampler.sample(GAUSSIAN, torch.zeros(5, 2), t_end=T_END, num_steps=12)
    assert full.times.tolist() == grid.times(T_END, 12) and full.xs.shape == (13, 5, 2)
    thinned = sampler.sample(GAUSSIAN, torch.zeros(5, 2), t_end=T_END, num_steps=12, num_frames=4)
    assert thinned.times[0] == T_END and thinned.times[-1] == 0.0 and len(thinned.times) == 5
    torch.testing.assert_close(thinned.final, full.final)


@pytest.mark.parametrize("name", SCORE_ONLY)
def test_a_blow_up_is_reported_as_core_sde_reports_it(name):
    times = TimeGrid().times(T_END, 10)
    run = samplers.SAMPLERS[name].sample(
        lambda x, t: 1e3 * x, torch.ones(50, 2), t_end=T_END, num_steps=10, generator=_gen(14)
    )
    assert run.diverged and isinstance(run.divergence, sde.Divergence)
    assert run.divergence.time == times[run.divergence.step]
    assert len(run.xs) == run.divergence.step and torch.isfinite(run.xs).all()
    assert run.xs.norm(dim=-1).max() <= sde.MAX_RADIUS


def test_registry_names_every_sampler_and_only_the_exact_one_needs_the_mixture():
    assert set(samplers.SAMPLERS) >= {
        "euler_maruyama", "probability_flow", "ddpm", "ddim", "heun", "dpm_solver_2m",
        "predictor_corrector", "exact_posterior",
    }  # fmt: skip
    assert [n for n, s in samplers.SAMPLERS.items() if s.uses_exact_posterior] == ["exact_posterior"]
    assert samplers.SAMPLERS["heun"].evaluations_per_step == 2
    assert samplers.SAMPLERS["predictor_corrector"].evaluations_per_step == 2


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: samplers.EulerMaruyama(lam=-1.0), "lam must be >= 0"),
        (lambda: samplers.DDPM(variance="large"), "variance must be"),
        (lambda: samplers.PredictorCorrector(corrector_scale=2.0), "corrector_scale must be in"),
        (lambda: samplers.PredictorCorrector(corrector_steps=0), "corrector_steps must be a positive"),
        (
            lambda: samplers.DDIM().sample("score", torch.zeros(3, 2), t_end=1.0, num_steps=2),
            "score_fn must be",
        ),
        (lambda: samplers.DDIM().sample(GAUSSIAN, torch.zeros(3), t_end=1.0, num_steps=2), r"shape \(N, 2\)"),
        (
            lambda: samplers.DDIM().sample(GAUSSIAN, torch.zeros(3, 2), t_end=0.0, num_steps=2),
            "t_end must be",
        ),
        (lambda: samplers.DDIM().sample(GAUSSIAN, torch.zeros(3, 2), t_end=1.0, num_steps=0), "num_steps"),
        (lambda: samplers.tweedie(GAUSSIAN.marginal_score, torch.zeros(3, 2), -1.0), "t must be >= 0"),
    ],
)
def test_bad_input_raises_a_concise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
