"""Shared helpers for the engine tests: Monte-Carlo tolerance checks.

Monte-Carlo comparisons use tolerances computed from the samples themselves (a few standard
errors), never stored numbers, so that they test the mathematics rather than one implementation.
"""

from __future__ import annotations

import pytest
import torch

# Number of standard errors a Monte-Carlo estimate may deviate from the truth. With fixed seeds the
# tests are deterministic; 5 SE keeps the chance that an honest implementation fails below 1e-6 per
# compared quantity, while any formula error of practical size is many SE away.
NUM_SE = 5.0


@pytest.fixture(scope="module")
def single_thread():
    """Run torch on one intra-op thread for the module, then restore the previous count.

    The engine tests use small tensors (<= 5000 x 200), for which a second thread gains little,
    while on a busy 2-core machine (a CI runner, the app and benchmarks alongside) the thread pool's
    waiting made the same runs several times slower.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _moment_errors(x: torch.Tensor, mean: torch.Tensor, cov: torch.Tensor):
    """Deviation of the sample mean/cov of ``x`` from ``mean``/``cov`` and their standard errors."""
    x = x.double()
    n = x.shape[0]
    sample_mean = x.mean(0)
    centred = x - sample_mean
    products = centred[:, :, None] * centred[:, None, :]
    sample_cov = products.mean(0)
    mean_se = x.std(0) / n**0.5
    cov_se = products.std(0) / n**0.5
    return (
        (sample_mean - mean.double()).abs(),
        mean_se,
        (sample_cov - cov.double()).abs(),
        cov_se,
    )


@pytest.fixture
def assert_moments_match():
    """Assert that the sample moments of a cloud agree with exact moments within NUM_SE SEs.

    ``extra`` is an absolute allowance for known, bounded deterministic biases (e.g. an
    Euler–Maruyama discretisation bias); each caller states it.
    """

    def check(x, mean, cov, *, extra: float = 0.0, label: str = ""):
        mean_err, mean_se, cov_err, cov_se = _moment_errors(x, mean, cov)
        assert torch.all(mean_err <= NUM_SE * mean_se + extra), (
            f"{label}: mean error {mean_err.tolist()} > {NUM_SE} SE {mean_se.tolist()} + {extra}"
        )
        assert torch.all(cov_err <= NUM_SE * cov_se + extra), (
            f"{label}: cov error {cov_err.tolist()} > {NUM_SE} SE {cov_se.tolist()} + {extra}"
        )

    return check


@pytest.fixture
def assert_same_mean_log_likelihood():
    """Assert two clouds have the same mean log-likelihood under ``mixture`` within NUM_SE SEs."""

    def check(mixture, x, y, *, label: str = ""):
        lx = mixture.log_prob(x).double()
        ly = mixture.log_prob(y).double()
        se = (lx.var() / lx.numel() + ly.var() / ly.numel()) ** 0.5
        gap = (lx.mean() - ly.mean()).abs()
        assert gap <= NUM_SE * se, f"{label}: mean log-likelihood gap {gap:.4f} > {NUM_SE} SE {se:.4f}"

    return check
