"""Dataset presets and point-cloud KDEs (MATH §3): every dataset is a valid Gaussian mixture."""

from __future__ import annotations

import pytest
import torch

from core import datasets
from core.mixture import GaussianMixture

PRESETS = sorted(datasets.DATASETS)
EXPECTED_PRESETS = {
    "eight_gaussians",
    "two_moons",
    "spiral",
    "checkerboard",
    "rings",
    "smiley",
    "two_modes",
    "single_point",
    "gaussian",
}

pytestmark = pytest.mark.usefixtures("single_thread")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_registry_offers_every_documented_preset():
    assert set(datasets.DATASETS) >= EXPECTED_PRESETS


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_builds_a_valid_gaussian_mixture(name):
    mixture = datasets.make(name, generator=_gen(0))
    assert isinstance(mixture, GaussianMixture)
    k = mixture.num_components
    assert k >= 1
    assert mixture.weights.shape == (k,)
    assert mixture.means.shape == (k, 2)
    assert mixture.covs.shape == (k, 2, 2)
    assert (mixture.weights >= 0).all()
    assert abs(mixture.weights.double().sum().item() - 1.0) < 1e-5
    assert torch.isfinite(mixture.means).all()
    covs = mixture.covs.double()
    torch.testing.assert_close(covs, covs.transpose(1, 2))
    assert (torch.linalg.eigvalsh(covs) > 0).all()


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_is_reproducible_for_a_seed(name):
    a = datasets.make(name, generator=_gen(5))
    b = datasets.make(name, generator=_gen(5))
    assert torch.equal(a.weights, b.weights)
    assert torch.equal(a.means, b.means)
    assert torch.equal(a.covs, b.covs)


@pytest.mark.parametrize("name", sorted(set(PRESETS) - {"single_point", "gaussian"}))
def test_shape_presets_are_centred_with_unit_scale(name):
    # standardize() centres each shape and scales it so the KDE's overall std is ~1
    mixture = datasets.make(name, generator=_gen(0))
    assert mixture.mean().abs().max().item() < 0.01
    overall_std = (torch.trace(mixture.cov()).item() / 2) ** 0.5
    assert abs(overall_std - 1.0) < 0.02


def test_single_point_preset_is_a_near_delta():
    mixture = datasets.make("single_point", generator=_gen(0))
    assert torch.linalg.eigvalsh(mixture.cov().double()).max().item() <= 0.1**2  # std <= 0.1
    x = mixture.sample(2000, generator=_gen(1))
    assert (x - mixture.mean()).norm(dim=1).max().item() < 0.3


@pytest.mark.parametrize("sigma", [0.3, 1.0, 2.0])
def test_gaussian_preset_is_isotropic_normal_with_the_requested_sigma(sigma):
    mixture = datasets.make("gaussian", generator=_gen(0), sigma=sigma)
    torch.testing.assert_close(mixture.mean(), torch.zeros(2), rtol=0, atol=1e-5)
    torch.testing.assert_close(mixture.cov(), sigma**2 * torch.eye(2), rtol=1e-4, atol=1e-5)
    x = torch.randn(200, 2, generator=_gen(1))
    # closed form: log N(x; 0, sigma^2 I) = -|x|^2 / (2 sigma^2) - log(2 pi sigma^2)
    expected = -(x.double() ** 2).sum(1) / (2 * sigma**2) - torch.log(
        torch.tensor(2 * torch.pi * sigma**2, dtype=torch.float64)
    )
    torch.testing.assert_close(mixture.log_prob(x).double(), expected, rtol=1e-4, atol=1e-4)


def test_from_points_puts_one_isotropic_equal_weight_component_on_each_point():
    points = torch.randn(37, 2, generator=_gen(2))
    bandwidth = 0.2
    mixture = datasets.from_points(points, bandwidth)
    assert mixture.num_components == 37
    torch.testing.assert_close(mixture.weights, torch.full((37,), 1 / 37))
    torch.testing.assert_close(mixture.means, points)
    torch.testing.assert_close(mixture.covs, bandwidth**2 * torch.eye(2).expand(37, 2, 2))


def test_from_points_moments_are_the_empirical_moments_plus_kernel_variance():
    points = torch.randn(300, 2, generator=_gen(3)) @ torch.tensor([[1.0, 0.5], [0.0, 0.5]])
    bandwidth = 0.3
    mixture = datasets.from_points(points, bandwidth)
    p = points.double()
    mean = p.mean(0)
    cov = (p - mean).T @ (p - mean) / p.shape[0] + bandwidth**2 * torch.eye(2, dtype=p.dtype)
    torch.testing.assert_close(mixture.mean().double(), mean, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(mixture.cov().double(), cov, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("bandwidth", [0.02, 0.1, 0.3])
def test_standardize_centres_points_and_gives_the_kde_unit_overall_std(bandwidth):
    points = 5.0 + 3.0 * torch.rand(400, 2, generator=_gen(4)) * torch.tensor([4.0, 1.0])
    standardized = datasets.standardize(points, bandwidth)
    assert standardized.shape == points.shape
    mixture = datasets.from_points(standardized, bandwidth)
    assert mixture.mean().abs().max().item() < 1e-4
    # overall std sqrt(trace Cov / 2) of the KDE, kernel variance bandwidth^2 included
    overall_std = (torch.trace(mixture.cov()).item() / 2) ** 0.5
    assert abs(overall_std - 1.0) < 1e-3


def test_standardize_preserves_the_shape_up_to_translation_and_scale():
    points = torch.randn(100, 2, generator=_gen(5)) * torch.tensor([3.0, 0.5]) + 7.0
    standardized = datasets.standardize(points, 0.1)
    # an affine map with one positive scale factor keeps all distance ratios
    d_before = torch.pdist(points.double())
    d_after = torch.pdist(standardized.double())
    ratio = d_after / d_before
    assert (ratio > 0).all()
    torch.testing.assert_close(ratio, ratio.mean().expand_as(ratio), rtol=1e-4, atol=0)


# --- validation -------------------------------------------------------------------------------


def test_unknown_dataset_name_raises_listing_the_known_names():
    with pytest.raises(ValueError) as info:
        datasets.make("no_such_dataset")
    message = str(info.value)
    assert "two_moons" in message
    for name in datasets.DATASETS:
        assert name in message


BAD_POINTS = [
    torch.zeros(4, 3),
    torch.zeros(4),
    torch.zeros(2, 2, 2),
    torch.tensor([[0.0, 1.0], [float("nan"), 0.0]]),
    torch.tensor([[0.0, 1.0], [0.0, float("-inf")]]),
]
BAD_POINT_IDS = ["wrong-width", "one-dimensional", "three-dimensional", "nan", "inf"]


@pytest.mark.parametrize("points", BAD_POINTS, ids=BAD_POINT_IDS)
def test_from_points_rejects_bad_points_naming_points(points):
    with pytest.raises(ValueError, match=r"\bpoints\b"):
        datasets.from_points(points, 0.1)


@pytest.mark.parametrize("bandwidth", [0.0, -0.1, float("nan")])
def test_from_points_and_standardize_reject_non_positive_bandwidth(bandwidth):
    points = torch.randn(10, 2, generator=_gen(6))
    with pytest.raises(ValueError, match=r"\bbandwidth\b"):
        datasets.from_points(points, bandwidth)
    with pytest.raises(ValueError, match=r"\bbandwidth\b"):
        datasets.standardize(points, bandwidth)
