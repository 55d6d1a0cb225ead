"""Gaussian mixtures in the plane, with exact densities and scores at every diffusion time.

p(x) = Σ_k w_k N(x; μ_k, Σ_k).  Under the OU process dx = −x dt + √2 dW a mixture stays a mixture
(MATH.md §3):  p_t = Σ_k w_k N(e^{−t} μ_k, e^{−2t} Σ_k + (1 − e^{−2t}) I).
Everything is computed in log space (softmax responsibilities), so far-away points and thousands of
components stay finite.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from core import _checks

LOG_TWO_PI = math.log(2.0 * math.pi)
LOG_NEGLIGIBLE = -80.0  # e^{-80} ≈ 2e-35: a relative weight below float32 resolution, above its denormals
LOG_UNSHIFTED = 60.0  # logits within ±60 are exponentiated as they are: e^{±60} leaves float32 room for
# sums over 10⁴ components times means up to 1e6 (e^{88.7} is its largest), and e^{−60} is not denormal
_CHUNK_ENTRIES = 1 << 22  # rows × components handled at once by the general (per-component) path
_CACHE_ENTRIES = 3 << 17  # (K, rows) float32 blocks of the shared-covariance score: 1.5 MB, in a 2 MB L2


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
        self._shared_entries = (  # a, b, c of the shared Σ = [[a, b], [b, c]], for marginal_score
            tuple(float(v) for v in self.covs[0].flatten()[[0, 1, 3]]) if self.shared_cov else None
        )
        self._logit_scales = (  # max |log w_k|, max ‖μ_k‖₁, max ‖μ_k‖₂²: bound the logits at every t
            (
                float(self.log_weights.abs().amax()),
                float(self.means.abs().sum(-1).amax()),
                float(self.means.square().sum(-1).amax()),
            )
            if self.shared_cov
            else None
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
        x = _checks.points(x, "x")
        if self.shared_cov:
            return self._shared_cov_marginal_score(x, 0.0)
        return torch.cat([self._general_score(rows) for rows in self._chunks(x)])

    def marginal_score(self, x: Tensor, t: float) -> Tensor:
        """∇ log p_t(x) for the OU marginal p_t of this mixture;  x (N, 2), t >= 0 -> (N, 2).

        Equal to ``self.diffused(t).score(x)`` and usable directly as ``score_fn(x, t)``. This is the
        simulations' hot path: x's shape is checked, its finiteness is left to the caller.
        """
        t = _checks.non_negative_float(t, "t")
        if self.shared_cov:
            return self._shared_cov_marginal_score(_checks.points(x, "x", check_finite=False), t)
        return self.diffused(t).score(x)

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

    def _shared_cov_marginal_score(self, x: Tensor, t: float) -> Tensor:
        """∇ log p_t(x) when every Σ_k = Σ: means e^{−t} μ_k, precision P_t in closed form;  x (N, 2)."""
        a, b, c = _diffused_precision(self._shared_entries, t)
        precision_t = torch.tensor([[a, b], [b, c]])
        return _shared_cov_score(
            x, self.log_weights, math.exp(-t) * self.means, precision_t, self._logit_bound(t)
        )

    def _logit_bound(self, t: float) -> tuple[float, float]:
        """(β₀, β₁) with |b_k| <= β₀ and |(P_t μ_k(t))ᵀ x| <= β₁ ‖x‖_∞ for the logits of p_t's
        responsibilities (see _shared_cov_score):  β₀ = max |log w_k| + ½ e^{−2t} ‖P_t‖₁ max ‖μ_k‖²,
        β₁ = e^{−t} ‖P_t‖₁ max ‖μ_k‖₁, where ‖P_t‖₁ (largest column sum) is at least P_t's eigenvalues."""
        a, b, c = _diffused_precision(self._shared_entries, t)
        norm, decay = max(abs(a) + abs(b), abs(b) + abs(c)), math.exp(-t)
        log_weight_scale, mean_l1, mean_square = self._logit_scales
        return log_weight_scale + 0.5 * decay**2 * norm * mean_square, decay * norm * mean_l1

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

    def _general_score(self, x: Tensor) -> Tensor:
        """−Σ_k r_k(x) P_k (x − μ_k);  x (N, 2) -> (N, 2)."""
        log_joint, pull_x, pull_y = self._log_components(x)  # (K, N) each
        responsibilities = torch.softmax(log_joint, dim=0)  # (K, N)
        return -torch.stack([(responsibilities * pull_x).sum(0), (responsibilities * pull_y).sum(0)], -1)


def _shared_cov_score(
    x: Tensor, log_weights: Tensor, means: Tensor, precision: Tensor, logit_bound: tuple[float, float]
) -> Tensor:
    """Score when every Σ_k = Σ:  s(x) = P (Σ_k r_k(x) μ_k − x),  P = Σ⁻¹.

    The term xᵀ P x is the same for every component and cancels in the softmax, so
    r_k(x) = softmax_k(ℓ_k(x)) with ℓ_k(x) = b_k + (P μ_k)ᵀ x and b_k = log w_k − ½ μ_kᵀ P μ_k.
    ``logit_bound`` = (β₀, β₁) promises |b_k| <= β₀ and |(P μ_k)ᵀ x| <= β₁ ‖x‖_∞. Many particles are
    taken in blocks whose (K, rows) logits stay in a core's cache (_CACHE_ENTRIES).
    """
    pulled_means = means @ precision  # (K, 2)
    biases = log_weights - 0.5 * (pulled_means * means).sum(-1)  # (K,)
    blocks = math.ceil(len(x) * len(means) / _CACHE_ENTRIES)
    mean_of_means = (  # (2, N)
        _mean_of_means(x, means, pulled_means, biases, logit_bound)
        if blocks == 1
        else torch.cat(
            [_mean_of_means(rows, means, pulled_means, biases, logit_bound) for rows in x.chunk(blocks)], 1
        )
    )
    return (mean_of_means - x.T).T @ precision  # (N, 2)


def _mean_of_means(
    x: Tensor, means: Tensor, pulled_means: Tensor, biases: Tensor, logit_bound: tuple[float, float]
) -> Tensor:
    """Σ_k r_k(x) μ_k for a block of particles;  x (rows, 2) -> (2, rows).

    Particles sit on the last axis, (K, rows), where CPU reductions are fastest, and the softmax is
    left unnormalised. When |ℓ| <= β₀ + β₁ ‖x‖_∞ <= LOG_UNSHIFTED, e^ℓ = e^{b_k} e^{(P μ_k)ᵀ x} is
    taken as it is (no overflow, no denormals): e^{b_k} moves into one (3, K) × (K, rows) product that
    gives Σ_k u_k μ_k and Σ_k u_k: three passes over (K, rows) where the shifted form takes eight.
    Otherwise (sharp components near t = 0) each particle's largest logit is subtracted first, and
    weights below e^{LOG_NEGLIGIBLE} of the largest are raised to it: no change in float32, but exp
    and the product no longer meet denormal numbers, which made them 30-60× slower.
    """
    offset, slope = logit_bound
    if offset <= LOG_UNSHIFTED and offset + slope * float(x.abs().amax()) <= LOG_UNSHIFTED:  # False for NaN
        unnormalised = (pulled_means @ x.T).exp_()  # (K, rows)
        means_and_ones = torch.cat([means.T, torch.ones(1, len(means))]) * biases.exp()  # (3, K)
        sums = means_and_ones @ unnormalised  # (3, rows)
        return sums[:2] / sums[2]
    logits = torch.addmm(biases[:, None], pulled_means, x.T)  # (K, rows)
    unnormalised = logits.sub_(logits.amax(0)).clamp_min_(LOG_NEGLIGIBLE).exp_()  # (K, rows), max 1
    return (means.T @ unnormalised) / unnormalised.sum(0)


def _diffused_precision(cov: tuple[float, float, float], t: float) -> tuple[float, float, float]:
    """P_t = (e^{−2t} Σ + (1 − e^{−2t}) I)⁻¹ for Σ = [[a, b], [b, c]], in closed form with Python floats
    (cheaper than the tensor ops at every step of a simulation);  -> its entries (a', b', c')."""
    keep, fresh = math.exp(-2 * t), -math.expm1(-2 * t)
    a, b, c = keep * cov[0] + fresh, keep * cov[1], keep * cov[2] + fresh
    det = a * c - b * b
    return c / det, -b / det, a / det


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
