"""KL to an exact mixture, its noise band and the signed width error (MATH §10), against closed forms.

Truths used: KL(N(0, Σ) ‖ N(0, I)) = ½(tr Σ − 2 − log det Σ) in 2-D, hence s² − 1 − 2 log s for Σ = s² I;
H(N(0, s² I)) = 1 + log 2π + 2 log s; KL between two mixtures by Monte Carlo with their exact densities;
k-th neighbour distances by brute force; Student-t quantiles from tables.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch

from core import datasets, divergence, sde
from core.mixture import GaussianMixture

pytestmark = pytest.mark.usefixtures("single_thread")
NUM_SE = 5.0  # standard errors a Monte-Carlo check allows (tests/conftest.py uses the same)

SEEDS = range(8)
STANDARD = GaussianMixture(torch.ones(1), torch.zeros(1, 2), torch.eye(2)[None])  # N(0, I)
ULA_VARIANCE = 4.0 / 3.0  # ULA on N(0, I) at h = 0.5: stationary variance 1/(1 − h/2) (MATH §1)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _normal(n: int, seed: int, variance: float = 1.0) -> torch.Tensor:
    return torch.randn(n, 2, generator=_gen(seed)) * math.sqrt(variance)


def _gaussian_kl(variances: tuple[float, float]) -> float:
    """KL(N(0, diag(variances)) ‖ N(0, I)) = ½ Σ_j (v_j − 1 − log v_j)."""
    return 0.5 * sum(v - 1.0 - math.log(v) for v in variances)


def _monte_carlo_kl(q: GaussianMixture, p: GaussianMixture, n: int = 200_000) -> tuple[float, float]:
    """E_q[log q − log p] from n exact draws of q, and its standard error."""
    x = q.sample(n, _gen(99))
    log_ratio = (q.log_prob(x) - p.log_prob(x)).double()
    return float(log_ratio.mean()), float(log_ratio.std()) / math.sqrt(n)


# --- nearest neighbours -------------------------------------------------------------------------


def _brute_kth(x: torch.Tensor, k: int) -> torch.Tensor:
    distances = torch.cdist(x.double(), x.double(), compute_mode="donot_use_mm_for_euclid_dist")
    distances.fill_diagonal_(math.inf)
    return distances.sort(dim=1).values[:, k - 1]


@pytest.mark.parametrize(
    "cloud",
    [
        _normal(2500, 1),
        datasets.make("two_moons").sample(2000, _gen(2)),
        datasets.make("rings").sample(1500, _gen(3)) * 1e-3 + 50.0,  # a tiny cloud far from 0
        torch.stack(torch.meshgrid(torch.arange(30.0), torch.arange(25.0), indexing="ij"), -1).reshape(-1, 2),
        torch.cat([torch.zeros(50, 2), _normal(400, 4)]),  # 50 repeats of one point
    ],
    ids=["gaussian", "two_moons", "far_and_tiny", "grid_with_ties", "repeats"],
)
@pytest.mark.parametrize("k", [1, 4, 21, 32])
def test_kth_neighbour_distances_match_brute_force(cloud, k):
    found = divergence.kth_neighbour_distances(cloud, k)
    assert found.dtype == torch.float64 and found.shape == (len(cloud),)
    torch.testing.assert_close(found, _brute_kth(cloud, k), rtol=1e-9, atol=1e-12)


def test_neighbour_order_grows_like_two_thirds_of_root_n_within_its_limits():
    assert [divergence.neighbour_order(n) for n in (20, 200, 1000, 2000, 10_000)] == [4, 9, 21, 30, 32]


# --- entropy and KL against closed forms ----------------------------------------------------------


def test_entropy_of_a_gaussian_matches_the_closed_form_and_scales_exactly():
    # H(N(0, s²I)) = 1 + log 2π + 2 log s. Ĥ's bias at N = 4,000 is about −0.03 nats (measured),
    # so the mean over 8 seeds must lie within 0.05 + NUM_SE standard errors of the truth.
    scale = 1.7
    estimates = np.array([divergence.entropy(_normal(4000, seed) * scale) for seed in SEEDS])
    truth = 1.0 + math.log(2 * math.pi) + 2 * math.log(scale)
    error = abs(estimates.mean() - truth)
    assert error <= 0.05 + NUM_SE * estimates.std(ddof=1) / math.sqrt(len(estimates)), (estimates, truth)
    # ε_i scale with the cloud, so Ĥ(a x + b) = Ĥ(x) + 2 log a exactly (up to rounding).
    x = _normal(1000, 0)
    shifted = divergence.entropy(3.0 * x + torch.tensor([2.0, -1.0]))
    assert shifted == pytest.approx(divergence.entropy(x) + 2 * math.log(3.0), abs=1e-5)


@pytest.mark.parametrize("variances", [(ULA_VARIANCE, ULA_VARIANCE), (2.0, 2.0), (0.5, 0.5), (2.0, 0.5)])
def test_kl_minus_the_band_mean_matches_the_gaussian_closed_form(variances):
    # KL(N(0, diag v) ‖ N(0, I)) = ½ Σ (v_j − 1 − log v_j): 0.046 nats for ULA at h = 0.5, 0.307 for
    # s² = 2. The raw estimate carries the estimator's bias at N = 1,000 (≈ +0.045 nats here); the band
    # mean of exact clouds of the same size measures it, and removing it leaves the truth.
    n, scale = 1000, torch.tensor(variances).sqrt()
    band = divergence.kl_noise_band(STANDARD, n, repeats=24, generator=_gen(50))
    estimates = np.array([divergence.kl_to_exact(_normal(n, seed) * scale, STANDARD) for seed in SEEDS])
    se = estimates.std(ddof=1) / math.sqrt(len(estimates))
    se_band = (band.upper - band.mean) / 2.0 / math.sqrt(24)  # the band's spread ≈ 2 sd
    excess = estimates.mean() - band.mean
    assert excess == pytest.approx(_gaussian_kl(variances), abs=NUM_SE * math.hypot(se, se_band))


@pytest.mark.parametrize("variance", [ULA_VARIANCE, 2.0])
def test_raw_kl_at_4000_points_is_within_its_small_bias_of_the_closed_form(variance):
    # Without the band's correction: the bias shrinks with N (≈ 0.03 nats at N = 4,000, k = 32).
    estimates = np.array([divergence.kl_to_exact(_normal(4000, seed, variance), STANDARD) for seed in SEEDS])
    se = estimates.std(ddof=1) / math.sqrt(len(estimates))
    truth = variance - 1.0 - math.log(variance)
    assert 0.0 <= estimates.mean() - truth <= 0.05 + NUM_SE * se, (estimates, truth)


def test_kl_of_a_blurred_mixture_matches_the_monte_carlo_truth():
    # q = two moons diffused to t = 0.05 against p = the data: KL by Monte Carlo with both exact densities.
    data = datasets.make("two_moons")
    blurred = data.diffused(0.05)
    truth, truth_se = _monte_carlo_kl(blurred, data)
    estimates = np.array([divergence.kl_to_exact(blurred.sample(1000, _gen(s)), data) for s in SEEDS])
    se = math.hypot(estimates.std(ddof=1) / math.sqrt(len(estimates)), truth_se)
    assert estimates.mean() == pytest.approx(truth, abs=0.1 + NUM_SE * se)  # 0.1: the bias at N = 1,000


@pytest.mark.parametrize("name", ["two_moons", "eight_gaussians", "checkerboard", "rings"])
def test_exact_clouds_of_a_mixture_read_zero_within_the_band(name):
    # KL(p ‖ p) = 0: the band mean is the estimator's bias at N = 1,000 (measured within ±0.08 on
    # every preset), and fresh exact clouds fall below the band's upper edge.
    data = datasets.make(name)
    band = divergence.kl_noise_band(data, 1000, repeats=16, generator=_gen(60))
    assert abs(band.mean) < 0.1
    assert band.mean < band.upper < band.mean + 0.1
    values = [divergence.kl_to_exact(data.sample(1000, _gen(70 + s)), data) for s in SEEDS]
    assert sum(v <= band.upper for v in values) >= len(values) - 1, (values, band)


# --- the verdict: exact clouds inside the band, biased ones above it -------------------------------


def test_ula_width_is_above_the_band_and_exact_clouds_inside_it_at_1000_particles():
    # At N = 1,000 the per-seed band (16 exact repeats) separates N(0, 4/3 I), ULA's law at h = 0.5,
    # from N(0, I): measured over 200 seeds, 98.5 % of ULA clouds above and 98.5 % of exact clouds below.
    seeds, n = range(20), 1000
    above, within = 0, 0
    for seed in seeds:
        generator = _gen(1000 + seed)
        band = divergence.kl_noise_band(STANDARD, n, repeats=16, generator=generator)
        exact = torch.randn(n, 2, generator=generator)
        ula = torch.randn(n, 2, generator=generator) * math.sqrt(ULA_VARIANCE)
        within += divergence.kl_to_exact(exact, STANDARD) <= band.upper
        above += divergence.kl_to_exact(ula, STANDARD) > band.upper
    assert within >= 0.95 * len(seeds)
    assert above >= 0.95 * len(seeds)


def test_a_blurred_two_moons_cloud_is_detected_and_exact_samples_are_not():
    data = datasets.make("two_moons")
    blurred, slightly = data.diffused(0.05), data.diffused(0.005)  # KL ≈ 2.0 and ≈ 0.10 nats
    backward_detected, exact_within = 0, 0
    for seed in SEEDS:
        generator = _gen(200 + seed)
        band = divergence.kl_noise_band(data, 1000, repeats=16, generator=generator)
        assert divergence.kl_to_exact(blurred.sample(1000, generator), data) > band.upper + 1.0
        assert divergence.kl_to_exact(slightly.sample(1000, generator), data) > band.upper
        exact_within += divergence.kl_to_exact(data.sample(1000, generator), data) <= band.upper
        # The case: backward diffusion at h = 0.2 from T = 3 with the exact score.
        start = torch.randn(1000, 2, generator=generator)
        run = sde.backward(data.marginal_score, start, t_end=3.0, num_steps=15, generator=generator)
        backward_detected += divergence.kl_to_exact(run.final, data) > band.upper
    assert backward_detected == len(SEEDS)
    assert exact_within >= len(SEEDS) - 1  # a fresh exact cloud is above the band with probability ≈ 2.5 %


def test_frames_and_bands_at_several_times_match_the_single_cloud_functions():
    data, times = datasets.make("two_moons"), [0.0, 0.3, 1.5]
    frames = data.sample_diffused(times, 500, _gen(5))  # (3, 500, 2)
    values = divergence.kl_to_exact_frames(frames, data, torch.tensor(times))
    expected = [divergence.kl_to_exact(f, data.diffused(t)) for f, t in zip(frames, times, strict=True)]
    np.testing.assert_allclose(values, expected, rtol=1e-6)  # times as a float32 tensor: 0.3 rounds
    bands = divergence.kl_noise_bands(data, times, 500, repeats=6, generator=_gen(6))
    single = divergence.kl_noise_band(data.diffused(times[0]), 500, repeats=6, generator=_gen(6))
    assert bands.shape == (3, 2) and bool((bands[:, 0] < bands[:, 1]).all())
    np.testing.assert_allclose(bands[0], single, rtol=1e-12)
    assert bool((values <= bands[:, 1]).all())  # exact frames match their own p_t


def test_band_upper_edge_uses_the_student_t_prediction_bound():
    # Table values of t_ν(0.975); the Cornish–Fisher series is within 1 % for ν >= 3.
    for dof, table in [(3, 3.1824), (5, 2.5706), (15, 2.1314), (19, 2.0930)]:
        assert divergence._t_quantile(0.975, dof) == pytest.approx(table, rel=0.01)
    band = divergence._band(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 0.975)  # mean 3, sd √2.5
    assert band.mean == 3.0
    assert band.upper == pytest.approx(3.0 + divergence._t_quantile(0.975, 4) * math.sqrt(2.5 * 1.2))


def test_a_higher_level_widens_the_band_by_the_ratio_of_its_t_quantiles():
    low = divergence.kl_noise_band(STANDARD, 200, repeats=8, generator=_gen(9))
    high = divergence.kl_noise_band(STANDARD, 200, repeats=8, level=0.995, generator=_gen(9))
    ratio = divergence._t_quantile(0.995, 7) / divergence._t_quantile(0.975, 7)
    assert high.mean == low.mean
    assert high.upper - high.mean == pytest.approx(ratio * (low.upper - low.mean))


# --- width error ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [0.5, 0.9, 1.0, 1.155, 2.0])
def test_width_error_is_the_log_of_the_scale_for_scaled_gaussians(scale):
    # ¼ log(det Σ̂ / det I) for N(0, s²I) is log s, with sampling sd 1/(2√N) (log det of a 2-D sample
    # covariance has variance ≈ 4/N). Each seed on its own within NUM_SE sd; the sign says wide or narrow.
    n = 1000
    for seed in SEEDS:
        value = divergence.width_error(_normal(n, seed) * scale, STANDARD)
        assert value == pytest.approx(math.log(scale), abs=NUM_SE / (2 * math.sqrt(n)))
        if scale != 1.0:
            assert math.copysign(1.0, value) == math.copysign(1.0, scale - 1.0)


def test_width_error_of_a_scaled_mixture_cloud_is_the_log_of_the_scale():
    data = datasets.make("spiral")
    centre = data.mean()
    values = np.array(
        [divergence.width_error((data.sample(1000, _gen(s)) - centre) * 1.2 + centre, data) for s in SEEDS]
    )
    se = values.std(ddof=1) / math.sqrt(len(values))
    assert values.mean() == pytest.approx(math.log(1.2), abs=NUM_SE * se)


def test_width_band_holds_exact_clouds_and_flags_ula_and_a_narrow_cloud():
    # ULA at h = 0.5 is log √(4/3) = 0.144 too wide, about 9 sampling sd at N = 1,000 (measured over
    # 200 seeds: 100 % outside the band; exact clouds outside it 3.5 %).
    seeds, n = range(20), 1000
    inside, wide, narrow = 0, 0, 0
    for seed in seeds:
        generator = _gen(3000 + seed)
        low, high = divergence.width_noise_band(STANDARD, n, repeats=16, generator=generator)
        assert low < 0.0 < high
        inside += low <= divergence.width_error(torch.randn(n, 2, generator=generator), STANDARD) <= high
        wide += divergence.width_error(_normal(n, 4000 + seed, ULA_VARIANCE), STANDARD) > high
        narrow += divergence.width_error(_normal(n, 5000 + seed, 0.75), STANDARD) < low
    assert inside >= 0.95 * len(seeds)
    assert wide == narrow == len(seeds)


def test_width_error_is_blind_to_a_change_of_shape_that_kl_sees():
    # N(0, diag(2, ½)) has det Σ = 1: zero width error, yet KL = ½(2.5 − 2) = 0.25 nats.
    cloud = _normal(2000, 3) * torch.tensor([math.sqrt(2.0), math.sqrt(0.5)])
    assert divergence.width_error(cloud, STANDARD) == pytest.approx(0.0, abs=NUM_SE / (2 * math.sqrt(2000)))
    band = divergence.kl_noise_band(STANDARD, 2000, repeats=8, generator=_gen(4))
    assert divergence.kl_to_exact(cloud, STANDARD) - band.mean == pytest.approx(0.25, abs=0.05)


# --- repeated points and input checks --------------------------------------------------------------


def test_repeated_points_are_atoms_kl_is_infinite_and_width_minus_infinite():
    one_point = torch.full((100, 2), 0.3)
    assert divergence.kl_to_exact(one_point, STANDARD) == math.inf
    assert divergence.entropy(one_point) == -math.inf
    assert divergence.width_error(one_point, STANDARD) == -math.inf
    one_pair = _normal(500, 1)
    one_pair[7] = one_pair[123]
    assert divergence.kl_to_exact(one_pair, STANDARD) == math.inf
    on_a_line = torch.stack([torch.linspace(-1, 1, 50), torch.zeros(50)], -1)
    assert divergence.width_error(on_a_line, STANDARD) == -math.inf
    close_but_distinct = _normal(500, 1)
    close_but_distinct[7] = close_but_distinct[123] + 1e-4
    assert math.isfinite(divergence.kl_to_exact(close_but_distinct, STANDARD))
    axes = torch.meshgrid(torch.arange(30.0), torch.arange(25.0), indexing="ij")
    grid = torch.stack(axes, -1).reshape(-1, 2)
    assert math.isfinite(divergence.entropy(grid)), "shared coordinates are not repeated points"
    grid_with_a_twin = torch.cat([grid, grid[40:41]])  # its twin sits among 24 points with the same x₀
    assert divergence.entropy(grid_with_a_twin) == -math.inf


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: divergence.kl_to_exact(torch.zeros(100, 3), STANDARD), "shape"),
        (lambda: divergence.kl_to_exact(torch.zeros(100), STANDARD), "shape"),
        (lambda: divergence.kl_to_exact(_normal(19, 0), STANDARD), "at least 20"),
        (lambda: divergence.kl_to_exact(torch.full((100, 2), math.nan), STANDARD), "finite"),
        (
            lambda: divergence.kl_to_exact(
                _normal(100, 0).index_fill(0, torch.tensor([3]), math.inf), STANDARD
            ),
            "finite",
        ),
        (lambda: divergence.kl_to_exact("cloud", STANDARD), "2D points"),
        (lambda: divergence.kl_to_exact(_normal(100, 0), "p"), "GaussianMixture"),
        (lambda: divergence.entropy(_normal(10, 0)), "at least 20"),
        (lambda: divergence.width_error(_normal(100, 0), None), "GaussianMixture"),
        (lambda: divergence.width_error(torch.zeros(5, 2), STANDARD), "at least 20"),
        (lambda: divergence.kl_noise_band(STANDARD, 10, repeats=8), "size"),
        (lambda: divergence.kl_noise_band(STANDARD, 100, repeats=3), "repeats"),
        (lambda: divergence.kl_noise_band(STANDARD, 100, repeats=True), "repeats"),
        (lambda: divergence.kl_noise_band(STANDARD, 100.0, repeats=8), "size"),
        (lambda: divergence.width_noise_band(STANDARD, 100, repeats=2), "repeats"),
        (lambda: divergence.width_noise_band("p", 100), "GaussianMixture"),
        (lambda: divergence.kl_noise_band(STANDARD, 100, repeats=8, level=1.0), "level"),
        (lambda: divergence.width_noise_band(STANDARD, 100, repeats=8, level=0.2), "level"),
        (lambda: divergence.kth_neighbour_distances(_normal(10, 0), 10), "below"),
        (lambda: divergence.kth_neighbour_distances(_normal(10, 0), 0), "k"),
        (lambda: divergence.kl_to_exact_frames(torch.zeros(2, 50, 2), STANDARD, [0.0]), "one time per frame"),
        (lambda: divergence.kl_to_exact_frames(_normal(50, 0)[None], STANDARD, [-1.0]), "times"),
        (lambda: divergence.kl_to_exact_frames(_normal(50, 0), STANDARD, [0.0]), "shape"),
        (lambda: divergence.kl_noise_bands(STANDARD, "0.5", 100), "sequence"),
        (lambda: divergence.kl_noise_bands(STANDARD, [], 100), "at least one"),
        (lambda: divergence.neighbour_order(0), "positive"),
    ],
)
def test_bad_input_raises_a_concise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- cost on this machine (reported, not asserted) -------------------------------------------------


def test_report_timings(capsys):
    def best_of(repeats: int, call) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        return min(times)

    data = datasets.make("two_moons")
    clouds = {n: data.sample(n, _gen(n)) for n in (1000, 10_000)}
    report = {
        f"kl_to_exact N={n}": best_of(3, lambda c=c: divergence.kl_to_exact(c, data))
        for n, c in clouds.items()
    }
    report["kl_noise_band N=1000 repeats=16"] = best_of(
        2, lambda: divergence.kl_noise_band(data, 1000, repeats=16, generator=_gen(0))
    )
    with capsys.disabled():
        print("\n" + ", ".join(f"{label}: {seconds * 1000:.0f} ms" for label, seconds in report.items()))
