"""Langevin, forward (OU) and backward diffusion, and the split step (MATH §1, §2, §4, §5, §6)."""

from __future__ import annotations

import functools
import math

import pytest
import torch

from core import datasets, metrics, sde

PRESETS = sorted(datasets.DATASETS)

pytestmark = pytest.mark.usefixtures("single_thread")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _times(trajectory) -> torch.Tensor:
    return torch.as_tensor(trajectory.times, dtype=torch.float64)


def _sw(a: torch.Tensor, b: torch.Tensor) -> float:
    return metrics.sliced_wasserstein(a, b, num_projections=256, generator=_gen(99))


def _sw_to_distribution(cloud: torch.Tensor, mixture, seed: int) -> tuple[float, float]:
    """SW from ``cloud`` to fresh samples of ``mixture`` and the noise floor: the SW between two
    independent samples of ``mixture`` of the same size."""
    n = cloud.shape[0]
    fresh = mixture.sample(n, generator=_gen(seed))
    other = mixture.sample(n, generator=_gen(seed + 1))
    return _sw(cloud, fresh), _sw(other, fresh)


_MIX = datasets.make("two_moons", generator=_gen(0))
_X = torch.randn(300, 2, generator=_gen(1))


def _gaussian_score(sigma: float):
    return lambda x: -x / sigma**2


# --- Langevin (ULA) ---------------------------------------------------------------------------


def test_langevin_trajectory_records_every_step_at_tau_equal_k_h():
    x0 = torch.randn(300, 2, generator=_gen(0))
    traj = sde.langevin(_gaussian_score(1.0), x0, step_size=0.1, num_steps=25, generator=_gen(1))
    assert traj.xs.shape == (26, 300, 2)
    assert torch.equal(traj.xs[0], x0)
    torch.testing.assert_close(_times(traj), 0.1 * torch.arange(26, dtype=torch.float64))
    assert traj.divergence is None and not traj.diverged
    assert torch.equal(traj.final, traj.xs[-1])


def test_langevin_step_is_drift_plus_root_two_h_noise():
    # One ULA step from a single point repeated N times: x + h s(x) + sqrt(2h) xi.
    h, n = 0.3, 5000
    x0 = torch.tensor([1.0, -2.0]).expand(n, 2).clone()
    traj = sde.langevin(_gaussian_score(0.5), x0, step_size=h, num_steps=1, generator=_gen(2))
    noise = (traj.final - (x0 + h * (-x0 / 0.25))).double()
    se = math.sqrt(2 * h / n)
    assert noise.mean(0).abs().max() < 5 * se
    # variance of the variance estimate from 2n standard-normal-scaled values: (2h)^2 * 2/(2n)
    assert abs(noise.var().item() - 2 * h) < 5 * 2 * h * math.sqrt(1 / n)


@pytest.mark.parametrize(
    "sigma, h",
    [(1.0, 0.1), (1.0, 0.5), (1.0, 1.0), (1.0, 1.5), (1.0, 1.8), (0.5, 0.1), (0.5, 0.4)],
)
def test_ula_on_gaussian_reaches_the_closed_form_biased_stationary_variance(sigma, h):
    n, num_steps, burn_in = 4000, 200, 60
    x0 = sigma * torch.randn(n, 2, generator=_gen(3))
    traj = sde.langevin(_gaussian_score(sigma), x0, step_size=h, num_steps=num_steps, generator=_gen(4))
    assert traj.divergence is None
    # the variance relaxes by (1 - h/sigma^2)^2 <= 0.81 per step, so after 60 steps it is stationary
    variance = traj.xs[burn_in:].double().pow(2).mean().item()  # the true mean is 0
    expected = sigma**2 / (1 - h / (2 * sigma**2))
    # SE of one frame's estimate from 2n coordinates; averaging correlated frames only lowers it
    se = expected * math.sqrt(2 / (2 * n))
    assert abs(variance - expected) < 5 * se
    if h / sigma**2 >= 0.4:  # the bias is then far larger than the noise: the target is not sigma^2
        assert abs(variance - sigma**2) > 10 * se


@pytest.mark.parametrize(
    "sigma, ratio, num_steps",
    [(1.0, 1.0, 2000), (0.5, 1.0, 2000), (1.0, 1.1, 2000), (1.0, 2.0, 300), (0.3, 5.0, 300)],
)
def test_ula_reports_divergence_when_step_reaches_two_sigma_squared(sigma, ratio, num_steps):
    h = ratio * 2 * sigma**2
    x0 = sigma * torch.randn(2000, 2, generator=_gen(5))
    traj = sde.langevin(_gaussian_score(sigma), x0, step_size=h, num_steps=num_steps, generator=_gen(6))
    assert traj.diverged
    assert traj.divergence is not None
    assert isinstance(traj.divergence.message, str) and traj.divergence.message
    _assert_divergence_is_reported_cleanly(traj, h, num_steps)


def _assert_divergence_is_reported_cleanly(traj, h: float, num_steps: int):
    times = _times(traj)
    assert traj.xs.shape[0] == times.shape[0]
    assert 1 <= traj.xs.shape[0] <= num_steps
    assert torch.isfinite(traj.xs).all()
    # a particle beyond radius MAX_RADIUS means divergence, so no kept frame holds one
    assert traj.xs.norm(dim=-1).max().item() <= sde.MAX_RADIUS
    # the blow-up happened in the step after the last kept frame (times may run either way)
    assert 0 < abs(traj.divergence.time - times[-1].item()) <= h + 1e-6
    if times.shape[0] > 1:
        direction = math.copysign(1.0, (times[1] - times[0]).item())
        assert (traj.divergence.time - times[-1].item()) * direction > 0
    assert 1 <= traj.divergence.step <= num_steps


def test_forward_euler_maruyama_reports_divergence_for_h_above_2():
    # MATH §2: the EM step x <- (1 - h) x + sqrt(2h) xi is stable only for h < 2.
    x0 = torch.randn(500, 2, generator=_gen(7))
    traj = sde.forward(x0, t_end=100.0, num_steps=20, exact=False, generator=_gen(8))
    assert traj.diverged
    _assert_divergence_is_reported_cleanly(traj, 5.0, 20)
    exact = sde.forward(x0, t_end=100.0, num_steps=20, exact=True, generator=_gen(8))
    assert not exact.diverged


def test_backward_reports_divergence_for_a_step_too_large_for_a_steep_score():
    # score -x / 1e-3 with h = 0.1: each step multiplies x by about 1 + h - 2h/1e-3 = -199
    x_start = torch.randn(500, 2, generator=_gen(9))
    traj = sde.backward(lambda x, t: -x / 1e-3, x_start, t_end=1.0, num_steps=10, lam=1.0, generator=_gen(10))
    assert traj.diverged
    _assert_divergence_is_reported_cleanly(traj, 0.1, 10)


@pytest.mark.parametrize(
    ("point", "blows_up"),
    [
        ((90.0, 0.0), False),
        ((0.0, -99.0), False),
        ((72.0, 72.0), True),
        ((101.0, 0.0), True),
        ((math.nan, 0.0), True),
    ],
)
def test_blow_up_is_leaving_the_disc_of_max_radius_not_its_square(point, blows_up):
    # one deterministic backward step (λ = 0) with s = (target − x) / h − x puts a particle at target
    target = torch.tensor([[0.0, 0.0], point])  # (2, 2)
    h = 0.5
    traj = sde.backward(lambda x, t: (target - x) / h - x, torch.zeros(2, 2), t_end=h, num_steps=1, lam=0.0)
    assert traj.diverged == blows_up
    assert traj.diverged == (not math.hypot(*point) <= sde.MAX_RADIUS)


# --- forward (OU) -----------------------------------------------------------------------------


def test_forward_trajectory_times_run_from_zero_to_t_end():
    x0 = torch.randn(100, 2, generator=_gen(0))
    for exact in (True, False):
        traj = sde.forward(x0, t_end=2.0, num_steps=40, exact=exact, generator=_gen(1))
        assert traj.xs.shape == (41, 100, 2)
        assert torch.equal(traj.xs[0], x0)
        torch.testing.assert_close(_times(traj), torch.linspace(0, 2.0, 41, dtype=torch.float64))
        assert traj.divergence is None


@pytest.mark.parametrize("t_end, num_steps", [(0.5, 1), (1.0, 2), (1.0, 10)])
def test_forward_transitions_match_the_ou_closed_forms_from_a_point(t_end, num_steps, assert_moments_match):
    # From a point x0: exact OU gives N(e^{-t} x0, (1 - e^{-2t}) I) for any number of steps;
    # Euler–Maruyama gives N((1-h)^n x0, 2h sum_j (1-h)^{2j} I). With h = 0.5 they differ a lot.
    n = 4000
    point = torch.tensor([2.0, -1.0])
    x0 = point.expand(n, 2).clone()
    eye = torch.eye(2)
    exact = sde.forward(x0, t_end=t_end, num_steps=num_steps, exact=True, generator=_gen(2))
    assert_moments_match(
        exact.final, math.exp(-t_end) * point, (1 - math.exp(-2 * t_end)) * eye, label="exact"
    )
    h = t_end / num_steps
    em = sde.forward(x0, t_end=t_end, num_steps=num_steps, exact=False, generator=_gen(3))
    em_var = 2 * h * sum((1 - h) ** (2 * j) for j in range(num_steps))
    assert_moments_match(em.final, (1 - h) ** num_steps * point, em_var * eye, label="EM")


@pytest.mark.parametrize("name", PRESETS)
def test_diffused_matches_monte_carlo_of_the_forward_process_for_every_preset(
    name, assert_moments_match, assert_same_mean_log_likelihood
):
    mixture = datasets.make(name, generator=_gen(0))
    n = 3000
    x0 = mixture.sample(n, generator=_gen(1))
    exact = sde.forward(x0, t_end=1.0, num_steps=10, exact=True, generator=_gen(2))
    # EM with h = 0.005: its variance bias is at most h/2 = 0.0025, far below the MC tolerance
    em = sde.forward(x0, t_end=1.0, num_steps=200, exact=False, generator=_gen(3))
    for k in (1, 3, 10):  # every exact frame is a sample of p_t at its own time
        t = _times(exact)[k].item()
        p_t = mixture.diffused(t)
        assert_moments_match(exact.xs[k], p_t.mean(), p_t.cov(), label=f"{name} exact t={t}")
        fresh = p_t.sample(n, generator=_gen(4 + k))
        assert_same_mean_log_likelihood(p_t, exact.xs[k], fresh, label=f"{name} exact t={t}")
    p_1 = mixture.diffused(1.0)
    assert_moments_match(em.final, p_1.mean(), p_1.cov(), extra=0.0025, label=f"{name} EM")
    assert_same_mean_log_likelihood(p_1, em.final, p_1.sample(n, generator=_gen(20)), label=name)


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "euler-maruyama"])
@pytest.mark.parametrize("name", PRESETS)
def test_forward_to_t_end_4_reaches_standard_normal_for_every_preset(name, exact):
    mixture = datasets.make(name, generator=_gen(0))
    x0 = mixture.sample(4000, generator=_gen(1))
    traj = sde.forward(x0, t_end=4.0, num_steps=400, exact=exact, generator=_gen(2))
    final = traj.final.double()
    # Tolerance: with N = 4000 the MC standard error is <= 0.016 for a mean and <= 0.022 for a
    # covariance entry (5 SE ~ 0.08 / 0.11); the leftover e^{-4}|mean_0| <= 0.02 for standardized
    # data; EM (h = 0.01) inflates the variance by h/2 = 0.005. So: |mean| < 0.1, |cov - I| < 0.13.
    assert final.mean(0).abs().max().item() < 0.1
    assert (torch.cov(final.T) - torch.eye(2, dtype=final.dtype)).abs().max().item() < 0.13


RUNS_WITH_FRAMES = {
    "langevin": lambda g, **kw: sde.langevin(
        lambda x: -x, _X, step_size=0.05, num_steps=40, generator=g, **kw
    ),
    "forward": lambda g, **kw: sde.forward(_X, t_end=2.0, num_steps=40, generator=g, **kw),
    "backward": lambda g, **kw: sde.backward(
        _MIX.marginal_score, _X, t_end=2.0, num_steps=40, generator=g, **kw
    ),
}


@pytest.mark.parametrize("run", RUNS_WITH_FRAMES.values(), ids=RUNS_WITH_FRAMES.keys())
def test_num_frames_keeps_evenly_spaced_frames_of_the_very_same_run(run):
    full = run(_gen(3))
    thin = run(_gen(3), num_frames=8)
    full_times, thin_times = _times(full), _times(thin)
    assert thin.xs.shape[0] == thin_times.shape[0] == 9
    assert thin_times[0] == full_times[0] and thin_times[-1] == full_times[-1]
    index = torch.cat([(full_times - t).abs().argmin().reshape(1) for t in thin_times])
    torch.testing.assert_close(full_times[index], thin_times, rtol=0, atol=1e-12)
    assert torch.equal(full.xs[index], thin.xs)
    assert (index.diff() == 5).all()  # 40 steps / 8 frames


# --- backward ---------------------------------------------------------------------------------

N_BACKWARD = 2000
T_END = 4.0
BACKWARD_STEPS = 400


@functools.cache
def _backward_run(name: str, lam: float):
    mixture = datasets.make(name, generator=_gen(0))
    x_start = torch.randn(N_BACKWARD, 2, generator=_gen(30))
    traj = sde.backward(
        mixture.marginal_score,
        x_start,
        t_end=T_END,
        num_steps=BACKWARD_STEPS,
        lam=lam,
        generator=_gen(31),
    )
    return mixture, traj


def test_backward_trajectory_times_decrease_from_t_end_to_zero():
    _, traj = _backward_run("two_moons", 1.0)
    times = _times(traj)
    assert traj.xs.shape == (BACKWARD_STEPS + 1, N_BACKWARD, 2)
    assert times.shape == (BACKWARD_STEPS + 1,)
    assert times[0].item() == pytest.approx(T_END)
    assert times[-1].item() == pytest.approx(0.0, abs=1e-9)
    assert (times[1:] < times[:-1]).all()
    assert traj.divergence is None


# Euler–Maruyama with h = T / num_steps = 0.01 has an error that does not shrink with N. It is
# largest for the near-delta single_point (sigma_0 = 0.05): the last step adds noise of std
# sqrt(2 lam h) = 0.14 that no later step removes, so the cloud ends up ~0.14 wide and its SW_2 to
# the data is ~0.09 (the exact recursion test below pins this). ABS_FLOOR covers that bias on top
# of NOISE_MULTIPLE x the sampling noise floor; a failed generation is O(1) away (guard test below).
ABS_FLOOR = 0.1
NOISE_MULTIPLE = 3.0


@pytest.mark.parametrize("lam", [1.0, 0.0], ids=["anderson", "ode"])
@pytest.mark.parametrize("name", PRESETS)
def test_backward_with_exact_score_recovers_every_preset(name, lam):
    mixture, traj = _backward_run(name, lam)
    assert traj.divergence is None
    distance, floor = _sw_to_distribution(traj.final, mixture, seed=40)
    assert distance <= NOISE_MULTIPLE * floor + ABS_FLOOR, (distance, floor)


@pytest.mark.parametrize("name", PRESETS)
def test_backward_lam_0_and_lam_1_produce_the_same_distribution(name):
    mixture, sde_run = _backward_run(name, 1.0)
    _, ode_run = _backward_run(name, 0.0)
    _, floor = _sw_to_distribution(sde_run.final, mixture, seed=50)
    distance = _sw(sde_run.final, ode_run.final)
    assert distance <= NOISE_MULTIPLE * floor + ABS_FLOOR, (distance, floor)


DUALITY_TIMES = [3.0, 2.0, 1.0, 0.5, 0.25, 0.1]


@pytest.mark.parametrize("lam", [1.0, 0.0], ids=["anderson", "ode"])
@pytest.mark.parametrize("name", PRESETS)
def test_backward_cloud_at_each_time_matches_the_forward_marginal(name, lam, assert_same_mean_log_likelihood):
    # MATH §6: q_{t'} = p_{T - t'}; frame k of the backward run is at forward time times[k].
    # For t >= 0.1 every component of p_t is >= 0.4 wide, so the EM bias is below the noise and
    # no absolute allowance is needed. The mean log-likelihood under p_t (within NUM_SE SE of that
    # of fresh samples) is the sharper check: it sees a cloud blurred or sharpened relative to p_t.
    mixture, traj = _backward_run(name, lam)
    times = _times(traj)
    for target in DUALITY_TIMES:
        k = int((times - target).abs().argmin())
        t = times[k].item()
        p_t = mixture.diffused(t)
        distance, floor = _sw_to_distribution(traj.xs[k], p_t, seed=60 + k)
        assert distance <= NOISE_MULTIPLE * floor, (t, distance, floor)
        fresh = p_t.sample(N_BACKWARD, generator=_gen(60 + k))
        assert_same_mean_log_likelihood(p_t, traj.xs[k], fresh, label=f"{name} t={t:.2f}")


@pytest.mark.parametrize("lam", [1.0, 0.0, 0.5])
@pytest.mark.parametrize("name", ["gaussian", "single_point"])
def test_backward_on_a_gaussian_target_follows_the_exact_euler_maruyama_recursion(
    name, lam, assert_moments_match
):
    # For p_0 = N(mu, v0 I): p_t = N(m_t, c_t I), m_t = e^{-t} mu, c_t = e^{-2t} v0 + 1 - e^{-2t},
    # and the EM step x <- x + h (x - (1+lam)(x - m_t)/c_t) + sqrt(2 lam h) xi (score at the step's
    # start) is affine, x <- a x + b + noise, so the cloud's mean and variance follow a recursion.
    mixture, traj = _backward_run(name, lam)
    mu, v0 = mixture.means[0].double(), mixture.covs[0, 0, 0].item()
    h = T_END / BACKWARD_STEPS
    mean, var = torch.zeros(2, dtype=torch.float64), 1.0  # the start is N(0, I)
    for k in range(BACKWARD_STEPS):
        t = T_END - k * h
        c_t = math.exp(-2 * t) * v0 + 1 - math.exp(-2 * t)
        a = 1 + h - (1 + lam) * h / c_t
        mean = a * mean + (1 + lam) * h * math.exp(-t) * mu / c_t
        var = a**2 * var + 2 * lam * h
    assert traj.divergence is None
    assert_moments_match(traj.final, mean, var * torch.eye(2, dtype=torch.float64), label=name)


def test_backward_from_a_wrong_start_is_detected_by_the_same_check():
    # Guard that the recovery criterion has teeth: starting from N(3, I) instead of N(0, I) with a
    # short horizon T = 0.5 must fail it.
    mixture = datasets.make("two_moons", generator=_gen(0))
    x_start = torch.randn(N_BACKWARD, 2, generator=_gen(30)) + 3.0
    traj = sde.backward(mixture.marginal_score, x_start, t_end=0.5, num_steps=50, lam=1.0, generator=_gen(31))
    distance, floor = _sw_to_distribution(traj.final, mixture, seed=40)
    assert distance > NOISE_MULTIPLE * floor + ABS_FLOOR


# --- split step -------------------------------------------------------------------------------


@pytest.mark.parametrize("lam", [0.0, 0.5, 1.0, 2.0])
def test_split_drifts_add_up_to_the_langevin_drift(lam):
    mixture = datasets.make("eight_gaussians", generator=_gen(0))
    x = 1.5 * torch.randn(500, 2, generator=_gen(1))
    t = 0.4
    forward_drift, backward_drift, langevin_drift = sde.split_drifts(mixture.marginal_score, x, t, lam=lam)
    score = mixture.diffused(t).score(x)
    torch.testing.assert_close(forward_drift, -x)
    torch.testing.assert_close(langevin_drift, (1 + lam) * score, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(forward_drift + backward_drift, langevin_drift, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(backward_drift, x + (1 + lam) * score, rtol=1e-5, atol=1e-5)


def test_split_step_backward_half_uses_the_score_of_p_t_plus_h():
    # MATH §4: with lam = 0 the backward half is the deterministic step
    #   x <- x + h (x + s_{t+h}(x)) applied to the forward half's output.
    mixture = datasets.make("two_moons", generator=_gen(0))
    t, h = 0.3, 0.05
    x = mixture.diffused(t).sample(500, generator=_gen(1))
    after_forward, after_backward = sde.split_step(
        mixture.marginal_score, x, t, h, lam=0.0, generator=_gen(2)
    )
    expected = after_forward + h * (after_forward + mixture.marginal_score(after_forward, t + h))
    torch.testing.assert_close(after_backward, expected, rtol=1e-5, atol=1e-5)


def test_split_step_backward_half_adds_noise_of_variance_2_lam_h():
    mixture = datasets.make("two_moons", generator=_gen(0))
    t, h, lam, n = 0.3, 0.05, 1.0, 4000
    x = mixture.diffused(t).sample(n, generator=_gen(1))
    after_forward, after_backward = sde.split_step(
        mixture.marginal_score, x, t, h, lam=lam, generator=_gen(2)
    )
    drift = after_forward + (1 + lam) * mixture.marginal_score(after_forward, t + h)
    noise = (after_backward - after_forward - h * drift).double()
    expected = 2 * lam * h
    assert noise.mean(0).abs().max().item() < 5 * math.sqrt(expected / n)
    assert abs(noise.var().item() - expected) < 5 * expected * math.sqrt(1 / n)


@pytest.mark.parametrize("h", [0.05, 0.5, 1.5])
def test_forward_half_of_a_gaussian_has_the_exact_euler_maruyama_moments(h, assert_moments_match):
    # x ~ N(m, S) and y = (1 − h) x + √(2h) ξ with ξ independent: y ~ N((1 − h) m, (1 − h)² S + 2h I)
    # exactly (MATH §4), whatever h (h = 1.5 flips the sign of the mean).
    m = torch.tensor([1.0, -0.5], dtype=torch.float64)
    s = torch.tensor([[0.5, 0.2], [0.2, 0.3]], dtype=torch.float64)
    n = 100_000
    x = (m + torch.randn(n, 2, generator=_gen(1), dtype=torch.float64) @ torch.linalg.cholesky(s).T).float()
    y = sde.forward_half(x, h, generator=_gen(2))
    assert y.shape == (n, 2) and y.dtype == torch.float32
    expected_cov = (1 - h) ** 2 * s + 2 * h * torch.eye(2, dtype=torch.float64)
    assert_moments_match(y, (1 - h) * m, expected_cov, label=f"h={h}")


def _gaussian_marginal(mu: torch.Tensor, sigma: torch.Tensor, t: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and covariance of p_t for p_0 = N(mu, sigma): e^{−t} mu and e^{−2t} sigma + (1 − e^{−2t}) I."""
    decay = math.exp(-t)
    return decay * mu, decay**2 * sigma + (1 - decay**2) * torch.eye(2, dtype=torch.float64)


def test_backward_half_at_lam_0_with_the_exact_gaussian_score_is_the_closed_form_affine_map():
    # p_0 = N(mu, sigma), so p_{t+h} = N(m, C) with score −C⁻¹ (y − m), and with λ = 0 the backward
    # half is the affine map  z = ((1 + h) I − h C⁻¹) y + h C⁻¹ m, with no noise drawn.
    mu = torch.tensor([0.8, -0.3], dtype=torch.float64)
    sigma = torch.tensor([[0.05, 0.02], [0.02, 0.03]], dtype=torch.float64)
    t, h = 0.1, 0.2
    called_at = []

    def exact_score(y: torch.Tensor, time: float) -> torch.Tensor:
        called_at.append(time)
        mean, cov = _gaussian_marginal(mu, sigma, time)
        return (-(y.double() - mean) @ torch.linalg.inv(cov)).float()  # C⁻¹ is symmetric

    y = torch.randn(500, 2, generator=_gen(1))
    g = _gen(2)
    state = g.get_state()
    z = sde.backward_half(exact_score, y, t, h, lam=0.0, generator=g)
    assert called_at == [t + h]
    assert torch.equal(g.get_state(), state)  # λ = 0: deterministic, the generator is untouched

    def affine_map(time: float) -> torch.Tensor:
        mean, cov = _gaussian_marginal(mu, sigma, time)
        precision = torch.linalg.inv(cov)
        matrix = (1 + h) * torch.eye(2, dtype=torch.float64) - h * precision
        return y.double() @ matrix.T + h * precision @ mean

    torch.testing.assert_close(z.double(), affine_map(t + h), rtol=1e-5, atol=1e-5)
    assert (z.double() - affine_map(t)).abs().max() > 0.1  # the score of p_t instead would be far off


@pytest.mark.parametrize("lam", [0.0, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("name", ["two_moons", "two_modes"])  # shared and per-component covs
def test_split_step_is_backward_half_after_forward_half_with_the_same_generator(name, lam):
    mixture = datasets.make(name, generator=_gen(0))
    t, h = 0.3, 0.05
    x = mixture.diffused(t).sample(500, generator=_gen(1))
    g_step, g_halves = _gen(2), _gen(2)
    after_forward, after_backward = sde.split_step(mixture.marginal_score, x, t, h, lam, g_step)
    y = sde.forward_half(x, h, g_halves)
    z = sde.backward_half(mixture.marginal_score, y, t, h, lam, g_halves)
    assert torch.equal(after_forward, y)
    assert torch.equal(after_backward, z)
    assert torch.equal(g_step.get_state(), g_halves.get_state())  # the same draws, in the same order


def _ed(a: torch.Tensor, b: torch.Tensor) -> float:
    return metrics.energy_distance(a, b, generator=_gen(98))


@pytest.mark.parametrize("lam", [0.0, 1.0], ids=["ode", "anderson"])
@pytest.mark.parametrize("name, t", [("two_modes", 0.2), ("two_moons", 0.1)])
def test_repeated_split_steps_keep_p_t_while_either_half_alone_moves_it(name, t, lam):
    mixture = datasets.make(name, generator=_gen(0))
    h, repeats, n = 0.02, 50, 2000
    p_t = mixture.diffused(t)
    g = _gen(70)
    both = forward_only = backward_only = p_t.sample(n, generator=g)
    for _ in range(repeats):
        _, both = sde.split_step(mixture.marginal_score, both, t, h, lam=lam, generator=g)
        forward_only, _ = sde.split_step(mixture.marginal_score, forward_only, t, h, lam=lam, generator=g)
        # the backward half alone (MATH §4: EM step with the score of p_{t+h}) applied to p_t
        _, backward_drift, _ = sde.split_drifts(mixture.marginal_score, backward_only, t + h, lam=lam)
        noise = torch.randn(backward_only.shape, generator=g)
        backward_only = backward_only + h * backward_drift + math.sqrt(2 * lam * h) * noise
    stay, floor = _sw_to_distribution(both, p_t, seed=71)
    assert stay <= NOISE_MULTIPLE * floor, (stay, floor)
    # SW_2 is dominated by the tails and tolerant; the energy distance is the sharper detector of
    # a change of shape, so it is the one that must see each half alone move the cloud. Its noise
    # floor is the mean over three pairs of independent p_t samples.
    fresh = p_t.sample(n, generator=_gen(72))
    ed_floor = sum(_ed(p_t.sample(n, generator=_gen(73 + i)), fresh) for i in range(3)) / 3
    assert _ed(forward_only, fresh) > 5 * ed_floor
    assert _ed(backward_only, fresh) > 5 * ed_floor
    # and the forward half alone is the forward process: it lands on p_{t + repeats h}
    later, later_floor = _sw_to_distribution(forward_only, mixture.diffused(t + repeats * h), 80)
    assert later <= NOISE_MULTIPLE * later_floor, (later, later_floor)


# --- validation -------------------------------------------------------------------------------


def _score_x(x):
    return -x


def _score_xt(x, t):
    return -x


GOOD = torch.zeros(10, 2)
BAD_POINTS = [
    torch.zeros(10, 3),
    torch.zeros(10),
    torch.tensor([[0.0, float("nan")]]),
    torch.tensor([[float("inf"), 0.0]]),
]
BAD_POINT_IDS = ["wrong-width", "one-dimensional", "nan", "inf"]


@pytest.mark.parametrize("x", BAD_POINTS, ids=BAD_POINT_IDS)
def test_every_process_rejects_bad_starting_points_naming_them(x):
    with pytest.raises(ValueError, match=r"\bx0\b"):
        sde.langevin(_score_x, x, step_size=0.1, num_steps=5)
    with pytest.raises(ValueError, match=r"\bx0\b"):
        sde.forward(x, t_end=1.0, num_steps=5)
    with pytest.raises(ValueError, match=r"\bx_start\b"):
        sde.backward(_score_xt, x, t_end=1.0, num_steps=5)
    with pytest.raises(ValueError, match=r"\bx\b"):
        sde.split_step(_score_xt, x, 0.5, 0.1)
    with pytest.raises(ValueError, match=r"\bx\b"):
        sde.split_drifts(_score_xt, x, 0.5)


@pytest.mark.parametrize("x", BAD_POINTS, ids=BAD_POINT_IDS)
def test_split_halves_reject_bad_points_naming_them(x):
    with pytest.raises(ValueError, match=r"\bx\b"):
        sde.forward_half(x, 0.1)
    with pytest.raises(ValueError, match=r"\by\b"):
        sde.backward_half(_score_xt, x, 0.5, 0.1)


BAD_CALLS = {
    "langevin-step_size-zero": (
        lambda: sde.langevin(_score_x, GOOD, step_size=0.0, num_steps=5),
        "step_size",
    ),
    "langevin-step_size-negative": (
        lambda: sde.langevin(_score_x, GOOD, step_size=-0.1, num_steps=5),
        "step_size",
    ),
    "langevin-num_steps-zero": (
        lambda: sde.langevin(_score_x, GOOD, step_size=0.1, num_steps=0),
        "num_steps",
    ),
    "forward-num_steps-negative": (
        lambda: sde.forward(GOOD, t_end=1.0, num_steps=-2),
        "num_steps",
    ),
    "forward-t_end-zero": (lambda: sde.forward(GOOD, t_end=0.0, num_steps=5), "t_end"),
    "forward-t_end-negative": (lambda: sde.forward(GOOD, t_end=-1.0, num_steps=5), "t_end"),
    "backward-t_end-zero": (
        lambda: sde.backward(_score_xt, GOOD, t_end=0.0, num_steps=5),
        "t_end",
    ),
    "backward-num_steps-zero": (
        lambda: sde.backward(_score_xt, GOOD, t_end=1.0, num_steps=0),
        "num_steps",
    ),
    "backward-lam-negative": (
        lambda: sde.backward(_score_xt, GOOD, t_end=1.0, num_steps=5, lam=-0.5),
        "lam",
    ),
    "split_step-step_size-zero": (lambda: sde.split_step(_score_xt, GOOD, 0.5, 0.0), "step_size"),
    "split_step-lam-negative": (
        lambda: sde.split_step(_score_xt, GOOD, 0.5, 0.1, lam=-1.0),
        "lam",
    ),
    "split_drifts-lam-negative": (lambda: sde.split_drifts(_score_xt, GOOD, 0.5, lam=-0.1), "lam"),
    "forward_half-step_size-zero": (lambda: sde.forward_half(GOOD, 0.0), "step_size"),
    "forward_half-step_size-nan": (lambda: sde.forward_half(GOOD, float("nan")), "step_size"),
    "backward_half-t-negative": (lambda: sde.backward_half(_score_xt, GOOD, -0.5, 0.1), "t"),
    "backward_half-step_size-negative": (lambda: sde.backward_half(_score_xt, GOOD, 0.5, -0.1), "step_size"),
    "backward_half-lam-negative": (lambda: sde.backward_half(_score_xt, GOOD, 0.5, 0.1, lam=-1.0), "lam"),
}


@pytest.mark.parametrize("call, argument", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_parameters_raise_value_error_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=rf"\b{argument}\b"):
        call()


# --- reproducibility --------------------------------------------------------------------------


RUNS = {
    "langevin": lambda g: sde.langevin(_MIX.score, _X, step_size=0.05, num_steps=20, generator=g).xs,
    "forward-exact": lambda g: sde.forward(_X, t_end=1.0, num_steps=20, exact=True, generator=g).xs,
    "forward-em": lambda g: sde.forward(_X, t_end=1.0, num_steps=20, generator=g).xs,
    "backward": lambda g: sde.backward(_MIX.marginal_score, _X, t_end=1.0, num_steps=20, generator=g).xs,
    "split_step": lambda g: torch.stack(sde.split_step(_MIX.marginal_score, _X, 0.5, 0.05, generator=g)),
    "forward_half": lambda g: sde.forward_half(_X, 0.05, generator=g),
    "backward_half": lambda g: sde.backward_half(_MIX.marginal_score, _X, 0.5, 0.05, generator=g),
}


@pytest.mark.parametrize("run", RUNS.values(), ids=RUNS.keys())
def test_stochastic_processes_are_reproducible_for_a_seed_and_differ_across_seeds(run):
    a, b, c = run(_gen(5)), run(_gen(5)), run(_gen(6))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
