"""Gaussian mixtures in the plane, with exact densities and scores at every diffusion time.

p(x) = Σ_k w_k N(x; μ_k, Σ_k).  Under the OU process dx = −x dt + √2 dW a mixture stays a mixture
(MATH.md §3):  p_t = Σ_k w_k N(e^{−t} μ_k, e^{−2t} Σ_k + (1 − e^{−2t}) I).
Everything is computed in log space (softmax responsibilities), so far-away points and thousands of
components stay finite. The score below (log-joint -> softmax -> pulls) is the reference implementation;
mixtures whose components share one covariance take the fast kernel of ``core.shared_cov_kernel``
instead, chosen in one place (``GaussianMixture._score_at``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from core import _checks
from core.shared_cov_kernel import SharedCovKernel

LOG_TWO_PI = math.log(2.0 * math.pi)
_CHUNK_ENTRIES = 1 << 22  # rows × components handled at once by the general (per-component) path


class GaussianMixture:
    """p(x) = Σ_k w_k N(x; μ_k, Σ_k) with w (K,), μ (K, 2), Σ (K, 2, 2)."""

    def __init__(self, weights: Tensor, means: Tensor, covs: Tensor) -> None:
        self.weights = _checked_weights(weights)  # (K,)
        self.means = _checked_means(means, len(self.weights))  # (K, 2)
        self.covs = _checked_covs(covs, len(self.weights))  # (K, 2, 2)
        self._prepare()

    @classmethod
    def _trusted(cls, weights: Tensor, means: Tensor, covs: Tensor) -> GaussianMixture:
        mixture = cls.__new__(cls)
        mixture.weights, mixture.means, mixture.covs = weights, means, covs
        mixture._prepare()
        return mixture

    def _prepare(self) -> None:
        self.log_weights = torch.log(self.weights)  # (K,)
        self.precisions, log_dets = _inverse_and_log_det(self.covs)  # (K, 2, 2), (K,)
        self.log_norms = self.log_weights - 0.5 * log_dets - LOG_TWO_PI  # (K,)
        self.shared_cov = bool((self.covs == self.covs[:1]).all())
        self._shared_kernel = (  # the fast score when every Σ_k = Σ (see _score_at)
            SharedCovKernel(self.log_weights, self.means, self.covs[0]) if self.shared_cov else None
        )

    @property
    def num_components(self) -> int:
        """K, the number of components."""
        return len(self.weights)

    def log_prob(self, x: Tensor) -> Tensor:
        """log p(x) = logsumexp_k [log w_k + log N(x; μ_k, Σ_k)];  x (N, 2) -> (N,)."""
        x = _checks.points(x, "x")
        if self.shared_cov:
            return _shared_cov_log_prob(x, self.log_weights, self.means, self.covs[0])
        return torch.cat([self._log_components(rows)[0].logsumexp(0) for rows in self._chunks(x)])

    def score(self, x: Tensor) -> Tensor:
        """s(x) = ∇ log p(x) = −Σ_k r_k(x) Σ_k⁻¹ (x − μ_k);  x (N, 2) -> (N, 2)."""
        return self._score_at(_checks.points(x, "x"), 0.0)

    def marginal_score(self, x: Tensor, t: float) -> Tensor:
        """∇ log p_t(x) for the OU marginal p_t of this mixture;  x (N, 2), t >= 0 -> (N, 2).

        Equal to ``self.diffused(t).score(x)`` and usable directly as ``score_fn(x, t)``. This is the
        simulations' hot path: x's shape is checked; with a shared covariance its finiteness is left to
        the caller (the reference path checks it, as ``score`` does).
        """
        t = _checks.non_negative_float(t, "t")
        return self._score_at(_checks.points(x, "x", check_finite=not self.shared_cov), t)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n draws: k ~ Categorical(w), x = μ_k + L_k ξ with L_k L_kᵀ = Σ_k;  -> (n, 2)."""
        n = _checks.positive_int(n, "n")
        picks = torch.multinomial(self.weights, n, replacement=True, generator=generator)  # (n,)
        noise = torch.randn(n, 2, generator=generator)  # (n, 2)
        cholesky = torch.linalg.cholesky(self.covs)  # (K, 2, 2)
        return self.means[picks] + torch.einsum("nij,nj->ni", cholesky[picks], noise)

    def sample_diffused(
        self, times: Sequence[float], n: int, generator: torch.Generator | None = None
    ) -> Tensor:
        """n draws of each OU marginal p_t, t in ``times``:  x_t = e^{−t} x₀ + √(1 − e^{−2t}) ξ with
        x₀ ~ p (MATH §2), in one batch;  -> (F, n, 2)."""
        n = _checks.positive_int(n, "n")
        try:  # a string, a number or an empty sequence is not a list of times
            values = (
                []
                if isinstance(times, str | bytes)
                else [_checks.non_negative_float(v, "times") for v in times]
            )
        except TypeError as error:
            raise ValueError(
                f"times must be a sequence of times t >= 0, got {type(times).__name__}"
            ) from error
        if not values:
            raise ValueError(f"times must hold at least one time t >= 0, got {times!r}")
        t = torch.tensor(values)  # (F,)
        start = self.sample(len(t) * n, generator).reshape(len(t), n, 2)  # (F, n, 2)
        noise = torch.randn(start.shape, generator=generator)  # (F, n, 2)
        decay, spread = torch.exp(-t)[:, None, None], torch.sqrt(-torch.expm1(-2 * t))[:, None, None]
        return decay * start + spread * noise

    def diffused(self, t: float) -> GaussianMixture:
        """The exact OU marginal p_t: μ_k -> e^{−t} μ_k, Σ_k -> e^{−2t} Σ_k + (1 − e^{−2t}) I."""
        t = _checks.non_negative_float(t, "t")
        decay = math.exp(-t)
        covs = decay**2 * self.covs + (1.0 - decay**2) * torch.eye(2)
        return GaussianMixture._trusted(self.weights, decay * self.means, covs)

    def mean(self) -> Tensor:
        """E[x] = Σ_k w_k μ_k;  -> (2,)."""
        return self.weights @ self.means

    def cov(self) -> Tensor:
        """Cov[x] = Σ_k w_k (Σ_k + μ_k μ_kᵀ) − E[x] E[x]ᵀ;  -> (2, 2)."""
        second_moment = torch.einsum("k,kij->ij", self.weights, self.covs)
        second_moment = second_moment + torch.einsum("k,ki,kj->ij", self.weights, *2 * [self.means])
        mean = self.mean()
        return second_moment - torch.outer(mean, mean)

    def _score_at(self, x: Tensor, t: float) -> Tensor:
        """∇ log p_t(x) for checked x (N, 2) and t >= 0 -> (N, 2): the one place that chooses between the
        fast shared-covariance kernel and the reference score of p_t (this mixture itself at t = 0)."""
        if self._shared_kernel is not None:
            return self._shared_kernel.score(x, t)
        if t > 0.0:  # p_t's covariances can round to one shared C far out in t: then p_t takes the kernel
            return self.diffused(t)._score_at(x, 0.0)
        return torch.cat([self._reference_score(rows) for rows in self._chunks(x)])

    def _chunks(self, x: Tensor) -> tuple[Tensor, ...]:
        rows = max(1, _CHUNK_ENTRIES // self.num_components)
        return torch.split(x, rows)

    def _log_components(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """log w_k + log N(x; μ_k, Σ_k) and the pulls P_k (x − μ_k), with the quadratic forms
        dᵀ P_k d written out per coordinate on (K, N) arrays: particles on the last axis, where CPU
        element-wise ops and reductions are fastest even for K = 2;  x (N, 2) -> three (K, N)."""
        dx, dy = x[:, 0] - self.means[:, :1], x[:, 1] - self.means[:, 1:]  # (K, N) each
        a, b, c = (self.precisions[:, i, j, None] for i, j in ((0, 0), (0, 1), (1, 1)))  # (K, 1) each
        pull_x, pull_y = a * dx + b * dy, b * dx + c * dy  # (K, N)
        return self.log_norms[:, None] - 0.5 * (dx * pull_x + dy * pull_y), pull_x, pull_y

    def _reference_score(self, x: Tensor) -> Tensor:
        """The reference score  −Σ_k r_k(x) P_k (x − μ_k), r = softmax_k(log-joint);  x (N, 2) -> (N, 2)."""
        log_joint, pull_x, pull_y = self._log_components(x)  # (K, N) each
        responsibilities = torch.softmax(log_joint, dim=0)  # (K, N)
        return -torch.stack([(responsibilities * pull_x).sum(0), (responsibilities * pull_y).sum(0)], -1)


def _shared_cov_log_prob(x: Tensor, log_weights: Tensor, means: Tensor, cov: Tensor) -> Tensor:
    """log p(x) when every Σ_k = Σ, in float64 (the expansion below cancels large terms far out):

    log p(x) = logsumexp_k(log w_k + μ_kᵀ P x − ½ μ_kᵀ P μ_k) − ½ xᵀ P x − ½ log det Σ − log 2π.
    """
    x, means, cov = x.double(), means.double(), cov.double()
    precision, log_det = _inverse_and_log_det(cov[None])
    pulled_means = means @ precision[0]  # (K, 2)
    biases = log_weights.double() - 0.5 * (pulled_means * means).sum(-1)  # (K,)
    mixed = torch.addmm(biases[:, None], pulled_means, x.T).logsumexp(0)  # (N,)
    own = 0.5 * ((x @ precision[0]) * x).sum(-1)  # (N,)
    return (mixed - own - 0.5 * log_det[0] - LOG_TWO_PI).float()


def _inverse_and_log_det(covs: Tensor) -> tuple[Tensor, Tensor]:
    """Closed-form 2×2 inverse and log-determinant;  (K, 2, 2) -> (K, 2, 2), (K,)."""
    a, b, c = covs[:, 0, 0], covs[:, 0, 1], covs[:, 1, 1]
    det = a * c - b * b  # (K,)
    inverse = torch.stack([torch.stack([c, -b], -1), torch.stack([-b, a], -1)], -2) / det[:, None, None]
    return inverse, torch.log(det)


def _checked_weights(weights: object) -> Tensor:
    weights = _as_tensor(weights, "weights")
    if weights.ndim != 1 or len(weights) == 0:
        raise ValueError(f"weights must have shape (K,) with K >= 1, got {tuple(weights.shape)}")
    if not bool(torch.isfinite(weights).all()) or bool((weights < 0).any()):
        raise ValueError("weights must be finite and non-negative")
    total = float(weights.double().sum())
    if abs(total - 1.0) > 1e-4:
        raise ValueError(f"weights must sum to 1, they sum to {total:.6g}")
    return weights / weights.sum()


def _checked_means(means: object, count: int) -> Tensor:
    means = _as_tensor(means, "means")
    if means.shape != (count, 2):
        raise ValueError(f"means must have shape ({count}, 2) to match weights, got {tuple(means.shape)}")
    if not bool(torch.isfinite(means).all()) or float(means.abs().amax()) > _checks.MAX_MAGNITUDE:
        raise ValueError("means must be finite and within ±1e6")
    return means


def _checked_covs(covs: object, count: int) -> Tensor:
    covs = _as_tensor(covs, "covs")
    if covs.shape != (count, 2, 2):
        raise ValueError(f"covs must have shape ({count}, 2, 2) to match weights, got {tuple(covs.shape)}")
    if not bool(torch.isfinite(covs).all()) or float(covs.abs().amax()) > _checks.MAX_MAGNITUDE:
        raise ValueError("covs must be finite and within ±1e6")
    scale = covs.abs().amax(dim=(1, 2))  # (K,)
    if bool(((covs[:, 0, 1] - covs[:, 1, 0]).abs() > 1e-6 * scale).any()):
        raise ValueError("covs must be symmetric")
    det = covs[:, 0, 0] * covs[:, 1, 1] - covs[:, 0, 1] ** 2
    if not bool((covs[:, 0, 0] > 0).all()) or not bool((det > 1e-12 * scale**2).all()):
        raise ValueError("covs must be positive definite")
    return 0.5 * (covs + covs.transpose(1, 2))


def _as_tensor(value: object, name: str) -> Tensor:
    try:
        return torch.as_tensor(value, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"{name} must be numeric, got {type(value).__name__}") from error
