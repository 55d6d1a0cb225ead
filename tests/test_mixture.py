"""GaussianMixture: exact density, exact score, moments and OU marginals (MATH §3)."""

from __future__ import annotations

import math

import pytest
import torch

from core import datasets, metrics, shared_cov_kernel
from core.mixture import GaussianMixture

PRESETS = sorted(datasets.DATASETS)
TIMES = [0.0, 0.05, 0.3, 1.0, 3.0]

pytestmark = pytest.mark.usefixtures("single_thread")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _reference_log_prob(mixture: GaussianMixture, x: torch.Tensor) -> torch.Tensor:
    """Float64 brute force: log sum_k w_k N(x; mu_k, Sigma_k) via torch.distributions."""
    components = torch.distributions.MultivariateNormal(
        mixture.means.double(), covariance_matrix=mixture.covs.double()
    )
    per_component = components.log_prob(x.double()[:, None, :])  # (N, K)
    return torch.logsumexp(per_component + mixture.weights.double().log(), dim=1)


def _reference_score(mixture: GaussianMixture, x: torch.Tensor) -> torch.Tensor:
    x = x.double().requires_grad_(True)
    (grad,) = torch.autograd.grad(_reference_log_prob(mixture, x).sum(), x)
    return grad


def _autograd_score(mixture: GaussianMixture, x: torch.Tensor) -> torch.Tensor:
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(mixture.log_prob(x).sum(), x)
    return grad


def _query_points(mixture: GaussianMixture, seed: int) -> torch.Tensor:
    """Points on the distribution (mixed responsibilities) and in a broad halo around it."""
    g = _gen(seed)
    return torch.cat([mixture.sample(200, generator=g), 3.0 * torch.randn(100, 2, generator=g)])


def _assert_scores_close(actual: torch.Tensor, expected: torch.Tensor, rtol: float = 2e-3):
    # float32 round-off scales with the size of the score (it reaches ~1e4 near a narrow
    # component), so the absolute allowance is relative to the largest score in the batch.
    atol = rtol * (1.0 + expected.abs().max().item())
    torch.testing.assert_close(actual.double(), expected.double(), rtol=rtol, atol=atol)


def _anisotropic_mixture() -> GaussianMixture:
    return GaussianMixture(
        torch.tensor([0.2, 0.5, 0.3]),
        torch.tensor([[-2.0, 0.5], [1.0, 1.0], [0.5, -1.5]]),
        torch.tensor(
            [
                [[0.5, 0.3], [0.3, 0.4]],
                [[0.1, -0.05], [-0.05, 0.2]],
                [[1.0, 0.0], [0.0, 0.05]],
            ]
        ),
    )


# --- density and score ------------------------------------------------------------------------


@pytest.mark.parametrize("name", PRESETS)
def test_log_prob_matches_float64_brute_force_for_every_preset(name):
    mixture = datasets.make(name, generator=_gen(0))
    x = _query_points(mixture, seed=1)
    log_p = mixture.log_prob(x)
    assert log_p.shape == (x.shape[0],)
    torch.testing.assert_close(log_p.double(), _reference_log_prob(mixture, x), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("t", TIMES)
@pytest.mark.parametrize("name", PRESETS)
def test_analytic_score_matches_autograd_for_every_preset(name, t):
    mixture = datasets.make(name, generator=_gen(0))
    p_t = mixture.diffused(t)
    x = _query_points(p_t, seed=2)
    expected = _autograd_score(p_t, x)
    assert p_t.score(x).shape == x.shape
    _assert_scores_close(p_t.score(x), expected)
    _assert_scores_close(mixture.marginal_score(x, t), expected)


def test_analytic_score_matches_float64_reference_for_anisotropic_covariances():
    # Presets may be isotropic; this pins the C_k^{-1} (not 1/trace) in the score formula.
    mixture = _anisotropic_mixture()
    x = _query_points(mixture, seed=3)
    for t in TIMES:
        p_t = mixture.diffused(t)
        reference = _reference_score(p_t, x)
        _assert_scores_close(p_t.score(x), reference)
        _assert_scores_close(mixture.marginal_score(x, t), reference)
        _assert_scores_close(_autograd_score(p_t, x), reference)


def _shared_anisotropic_mixture() -> GaussianMixture:
    """Three components sharing one tilted covariance, for the shared-covariance score path."""
    cov = torch.tensor([[0.04, 0.015], [0.015, 0.02]])
    return GaussianMixture(
        torch.tensor([0.2, 0.5, 0.3]),
        torch.tensor([[-1.5, 0.5], [1.0, 1.0], [0.5, -1.2]]),
        cov.expand(3, 2, 2),
    )


def _kernel(mixture: GaussianMixture) -> shared_cov_kernel.SharedCovKernel:
    """The fast score kernel of a shared-covariance mixture, built as GaussianMixture builds it."""
    return shared_cov_kernel.SharedCovKernel(mixture.log_weights, mixture.means, mixture.covs[0])


def _logit_terms(p_t: GaussianMixture, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Float64 b_k = log w_k − ½ μ_kᵀ P μ_k (K,) and (P μ_k)ᵀ x (N, K) of p_t's responsibilities."""
    precision = torch.linalg.inv(p_t.covs[0].double())
    means = p_t.means.double()
    pulled = means @ precision
    return p_t.weights.double().log() - 0.5 * (pulled * means).sum(-1), x.double() @ pulled.T


SHARED_PRESETS = [name for name in PRESETS if datasets.make(name, generator=_gen(0)).shared_cov]


@pytest.mark.parametrize("t", TIMES)
@pytest.mark.parametrize("name", [*SHARED_PRESETS, "shared anisotropic"])
def test_logit_bound_holds_for_every_shared_covariance_mixture_time_and_point(name, t):
    mixture = (
        _shared_anisotropic_mixture()
        if name == "shared anisotropic"
        else datasets.make(name, generator=_gen(0))
    )
    x = torch.cat([_query_points(mixture.diffused(t), seed=6), FAR_POINTS])
    biases, products = _logit_terms(mixture.diffused(t), x)
    offset, slope = _kernel(mixture).logit_bound(t)
    assert biases.abs().max() <= offset * (1 + 1e-6)
    assert (products.abs().amax(1) <= slope * x.double().abs().amax(1) * (1 + 1e-6)).all()


def test_shared_covariance_score_matches_float64_reference_in_both_exponent_forms():
    # Far from t = 0 the logits are small and exponentiated as they are; near t = 0 they are large and
    # shifted by each particle's largest first. Both forms must give the exact score.
    mixture = _shared_anisotropic_mixture()
    for t, unshifted in ((0.0, False), (1.0, True)):
        p_t = mixture.diffused(t)
        x = _query_points(p_t, seed=7)
        offset, slope = _kernel(mixture).logit_bound(t)
        assert (offset + slope * float(x.abs().amax()) <= shared_cov_kernel.LOG_UNSHIFTED) == unshifted
        reference = _reference_score(p_t, x)
        _assert_scores_close(mixture.marginal_score(x, t), reference)
        _assert_scores_close(p_t.score(x), reference)


def test_shared_covariance_score_in_cache_sized_blocks_matches_float64_reference(monkeypatch):
    mixture = datasets.make("two_moons", generator=_gen(0))
    x = _query_points(mixture.diffused(0.5), seed=8)  # (300, 2)
    monkeypatch.setattr(shared_cov_kernel, "_CACHE_ENTRIES", 7 * mixture.num_components)  # 43 blocks, uneven
    for t in (0.0, 0.5):
        _assert_scores_close(mixture.marginal_score(x, t), _reference_score(mixture.diffused(t), x))


@pytest.mark.parametrize("t", TIMES)
@pytest.mark.parametrize("name", [*SHARED_PRESETS, "shared anisotropic"])
def test_shared_covariance_kernel_agrees_with_the_reference_score(name, t):
    # the fast kernel (the one GaussianMixture takes for these mixtures) against the readable
    # log-joint -> softmax -> pulls score of the same p_t, both float32
    mixture = (
        _shared_anisotropic_mixture()
        if name == "shared anisotropic"
        else datasets.make(name, generator=_gen(0))
    )
    p_t = mixture.diffused(t)
    x = _query_points(p_t, seed=9)
    reference = p_t._reference_score(x)
    _assert_scores_close(_kernel(mixture).score(x, t), reference)
    _assert_scores_close(mixture.marginal_score(x, t), reference)


FAR_POINTS = torch.tensor([[1e3, 1e3], [-1e3, 0.0], [0.0, 1e3], [1e3, -1e3], [-700.0, -1e3], [1e3, 1.0]])


@pytest.mark.parametrize("name", PRESETS)
def test_log_prob_and_score_stay_finite_and_accurate_far_from_every_preset(name):
    mixture = datasets.make(name, generator=_gen(0))
    log_p = mixture.log_prob(FAR_POINTS)
    assert torch.isfinite(log_p).all()
    torch.testing.assert_close(log_p.double(), _reference_log_prob(mixture, FAR_POINTS), rtol=1e-4, atol=1e-2)
    score = mixture.score(FAR_POINTS)
    assert torch.isfinite(score).all()
    # Far away the responsibilities become a hard arg-max that float32 resolves only up to the
    # rounding of ~|x|^2/sigma^2, so only agreement to 1% is demanded (a wrong formula is O(1) off).
    _assert_scores_close(score, _reference_score(mixture, FAR_POINTS), rtol=1e-2)
    # and the score points back towards the data (x . s(x) < 0 far out, since every C_k^{-1} > 0)
    assert ((score * FAR_POINTS).sum(1) < 0).all()


def test_log_prob_matches_float64_reference_for_5000_components():
    g = _gen(4)
    k = 5000
    weights = torch.softmax(torch.randn(k, generator=g), dim=0)
    means = 2.0 * torch.randn(k, 2, generator=g)
    factors = 0.1 * torch.randn(k, 2, 2, generator=g)
    covs = factors @ factors.transpose(1, 2) + 0.01 * torch.eye(2)
    mixture = GaussianMixture(weights, means, covs)
    assert mixture.num_components == k
    x = torch.cat([mixture.sample(200, generator=g), 4.0 * torch.randn(100, 2, generator=g)])
    x = torch.cat([x, FAR_POINTS])
    log_p = mixture.log_prob(x)
    assert torch.isfinite(log_p).all()
    torch.testing.assert_close(log_p.double(), _reference_log_prob(mixture, x), rtol=1e-4, atol=1e-3)


def test_log_prob_of_kde_with_5000_points_matches_float64_reference():
    g = _gen(5)
    mixture = datasets.from_points(1.5 * torch.randn(5000, 2, generator=g), bandwidth=0.05)
    assert mixture.num_components == 5000
    x = torch.cat([mixture.sample(200, generator=g), 4.0 * torch.randn(100, 2, generator=g)])
    x = torch.cat([x, FAR_POINTS])
    torch.testing.assert_close(
        mixture.log_prob(x).double(), _reference_log_prob(mixture, x), rtol=1e-4, atol=1e-3
    )


# --- moments ----------------------------------------------------------------------------------


def test_mean_and_cov_follow_the_law_of_total_covariance():
    mixture = _anisotropic_mixture()
    w, mu, sigma = mixture.weights.double(), mixture.means.double(), mixture.covs.double()
    mean = (w[:, None] * mu).sum(0)
    second = (w[:, None, None] * (sigma + mu[:, :, None] * mu[:, None, :])).sum(0)
    cov = second - mean[:, None] * mean[None, :]
    torch.testing.assert_close(mixture.mean().double(), mean, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(mixture.cov().double(), cov, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", PRESETS)
def test_mean_and_cov_match_sample_moments_for_every_preset(name, assert_moments_match):
    mixture = datasets.make(name, generator=_gen(0))
    x = mixture.sample(5000, generator=_gen(6))
    assert x.shape == (5000, 2)
    assert torch.isfinite(x).all()
    assert_moments_match(x, mixture.mean(), mixture.cov(), label=name)


def test_sample_draws_components_in_proportion_to_their_weights():
    # Far-apart narrow components: every sample can be attributed to its component.
    means = torch.tensor([[-10.0, 0.0], [0.0, 10.0], [10.0, 0.0]])
    weights = torch.tensor([0.1, 0.3, 0.6])
    mixture = GaussianMixture(weights, means, 0.01 * torch.eye(2).expand(3, 2, 2).clone())
    n = 5000
    x = mixture.sample(n, generator=_gen(7))
    labels = torch.cdist(x, means).argmin(1)
    freq = torch.bincount(labels, minlength=3).double() / n
    se = (weights.double() * (1 - weights.double()) / n) ** 0.5
    assert torch.all((freq - weights.double()).abs() <= 5 * se)


# --- the OU marginal p_t ----------------------------------------------------------------------


@pytest.mark.parametrize("t", [0.0, 0.1, 0.7, 2.5])
def test_diffused_applies_the_ou_marginal_formula_to_each_component(t):
    mixture = _anisotropic_mixture()
    p_t = mixture.diffused(t)
    assert isinstance(p_t, GaussianMixture)
    decay = math.exp(-t)
    torch.testing.assert_close(p_t.weights, mixture.weights)
    torch.testing.assert_close(p_t.means, decay * mixture.means)
    expected_covs = decay**2 * mixture.covs + (1 - decay**2) * torch.eye(2)
    torch.testing.assert_close(p_t.covs, expected_covs)


@pytest.mark.parametrize("name", PRESETS)
def test_diffused_moments_follow_the_ou_moment_equations_for_every_preset(name):
    # E x_t = e^{-t} E x_0 and Cov x_t = e^{-2t} Cov x_0 + (1 - e^{-2t}) I, from x_t's SDE alone.
    mixture = datasets.make(name, generator=_gen(0))
    for t in (0.2, 1.0, 4.0):
        p_t = mixture.diffused(t)
        d = math.exp(-t)
        torch.testing.assert_close(p_t.mean(), d * mixture.mean(), rtol=1e-4, atol=1e-5)
        expected = d**2 * mixture.cov() + (1 - d**2) * torch.eye(2)
        torch.testing.assert_close(p_t.cov(), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["two_moons", "two_modes"])  # shared and per-component covs
def test_sample_diffused_draws_each_exact_ou_marginal(name, assert_moments_match):
    # Checked against the closed-form p_t of diffused(t): its moments, and a sliced Wasserstein
    # distance to its own samples no larger than between two sample sets of p_t.
    mixture = datasets.make(name, generator=_gen(0))
    times = [0.0, 0.3, 2.0]
    clouds = mixture.sample_diffused(times, 20_000, generator=_gen(8))
    assert clouds.shape == (3, 20_000, 2)
    for t, cloud in zip(times, clouds, strict=True):
        p_t = mixture.diffused(t)
        assert_moments_match(cloud, p_t.mean(), p_t.cov(), label=f"{name} t={t}")
        gap = metrics.sliced_wasserstein(cloud, p_t.sample(20_000, _gen(9)), generator=_gen(10))
        floor = metrics.sliced_wasserstein(
            p_t.sample(20_000, _gen(11)), p_t.sample(20_000, _gen(12)), generator=_gen(10)
        )
        assert gap < 2 * floor + 0.01, f"{name} t={t}: SW {gap:.4f} against sampling noise {floor:.4f}"


@pytest.mark.parametrize(
    "times", [[0.5, -0.1], [float("nan")], [], 0.5, "12"], ids=["negative", "nan", "empty", "number", "text"]
)
def test_sample_diffused_rejects_bad_times_naming_them(times):
    with pytest.raises(ValueError, match=r"\btimes\b"):
        _anisotropic_mixture().sample_diffused(times, 10, generator=_gen(0))


def test_diffused_at_large_time_is_standard_normal():
    p_t = _anisotropic_mixture().diffused(30.0)
    x = torch.randn(300, 2, generator=_gen(8))
    standard = -0.5 * (x.double() ** 2).sum(1) - math.log(2 * math.pi)
    torch.testing.assert_close(p_t.log_prob(x).double(), standard, rtol=1e-5, atol=1e-5)


# --- validation -------------------------------------------------------------------------------


GOOD_WEIGHTS = torch.tensor([0.5, 0.5])
GOOD_MEANS = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
GOOD_COVS = torch.eye(2).expand(2, 2, 2).clone()


@pytest.mark.parametrize(
    "weights, means, covs, argument",
    [
        (torch.tensor([-0.5, 1.5]), GOOD_MEANS, GOOD_COVS, "weights"),
        (torch.tensor([0.5, 0.6]), GOOD_MEANS, GOOD_COVS, "weights"),
        (torch.tensor([0.2, 0.2]), GOOD_MEANS, GOOD_COVS, "weights"),
        (torch.tensor([float("nan"), 0.5]), GOOD_MEANS, GOOD_COVS, "weights"),
        (GOOD_WEIGHTS, torch.zeros(2, 3), GOOD_COVS, "means"),
        (GOOD_WEIGHTS, torch.tensor([[0.0, float("inf")], [1.0, 1.0]]), GOOD_COVS, "means"),
        (GOOD_WEIGHTS, GOOD_MEANS, torch.tensor([[[1.0, 0.5], [0.0, 1.0]]] * 2), "covs"),
        (GOOD_WEIGHTS, GOOD_MEANS, torch.tensor([[[1.0, 0.0], [0.0, -1.0]]] * 2), "covs"),
        (GOOD_WEIGHTS, GOOD_MEANS, torch.tensor([[[1.0, 2.0], [2.0, 1.0]]] * 2), "covs"),
        (GOOD_WEIGHTS, GOOD_MEANS, torch.zeros(2, 2, 2), "covs"),
        (GOOD_WEIGHTS, GOOD_MEANS, torch.ones(2, 3, 3), "covs"),
    ],
    ids=[
        "negative-weight",
        "weights-sum-above-1",
        "weights-sum-below-1",
        "nan-weight",
        "means-wrong-shape",
        "means-inf",
        "covs-not-symmetric",
        "covs-negative-eigenvalue",
        "covs-indefinite",
        "covs-singular",
        "covs-wrong-shape",
    ],
)
def test_constructor_rejects_invalid_parameters_naming_the_argument(weights, means, covs, argument):
    with pytest.raises(ValueError, match=rf"\b{argument}\b"):
        GaussianMixture(weights, means, covs)


BAD_POINTS = [
    torch.zeros(4, 3),
    torch.zeros(4),
    torch.tensor([[0.0, float("nan")]]),
    torch.tensor([[float("inf"), 0.0]]),
]
BAD_POINT_IDS = ["wrong-width", "one-dimensional", "nan", "inf"]


@pytest.mark.parametrize("x", BAD_POINTS, ids=BAD_POINT_IDS)
def test_log_prob_and_score_reject_bad_points_naming_x(x):
    mixture = _anisotropic_mixture()
    with pytest.raises(ValueError, match=r"\bx\b"):
        mixture.log_prob(x)
    with pytest.raises(ValueError, match=r"\bx\b"):
        mixture.score(x)


@pytest.mark.parametrize("name", ["eight_gaussians", "two_modes"])  # shared and per-component covs
@pytest.mark.parametrize("x", BAD_POINTS[:2], ids=BAD_POINT_IDS[:2])
def test_marginal_score_rejects_points_of_the_wrong_shape_naming_x(name, x):
    # (marginal_score is the simulations' hot path: it documents that finiteness is the caller's job)
    with pytest.raises(ValueError, match=r"\bx\b"):
        datasets.make(name).marginal_score(x, 0.5)


@pytest.mark.parametrize("n", [0, -3])
def test_sample_rejects_non_positive_n(n):
    with pytest.raises(ValueError, match=r"\bn\b"):
        _anisotropic_mixture().sample(n, generator=_gen(0))


@pytest.mark.parametrize("t", [-0.1, -5.0, float("nan")])
def test_diffused_and_marginal_score_reject_negative_time(t):
    mixture = _anisotropic_mixture()
    with pytest.raises(ValueError, match=r"\bt\b"):
        mixture.diffused(t)
    with pytest.raises(ValueError, match=r"\bt\b"):
        mixture.marginal_score(torch.zeros(3, 2), t)


# --- reproducibility --------------------------------------------------------------------------


def test_sample_is_reproducible_for_a_seed_and_differs_across_seeds():
    mixture = _anisotropic_mixture()
    a = mixture.sample(500, generator=_gen(11))
    b = mixture.sample(500, generator=_gen(11))
    c = mixture.sample(500, generator=_gen(12))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
