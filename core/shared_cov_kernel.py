"""The fast score of a Gaussian mixture whose components all share one covariance Σ (MATH §3).

For p_t = Σ_k w_k N(e^{−t} μ_k, C_t), C_t = e^{−2t} Σ + (1 − e^{−2t}) I and P_t = C_t⁻¹, the term
xᵀ P_t x is the same for every component and cancels in the softmax, so

    s_t(x) = P_t (Σ_k r_k(x) m_k − x),   r_k(x) = softmax_k(b_k + (P_t m_k)ᵀ x),   m_k = e^{−t} μ_k,
    b_k = log w_k − ½ m_kᵀ P_t m_k.

This module is the simulations' hot path: it gives the same score as the readable reference in
``core.mixture`` (log-joint -> softmax -> pulls), which ``GaussianMixture`` uses for every other mixture,
but with P_t in closed form, logits bounded in closed form so that most of them are exponentiated
without a shift, and particles taken in cache-sized blocks.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

LOG_NEGLIGIBLE = -80.0  # e^{-80} ≈ 2e-35: a relative weight below float32 resolution, above its denormals
LOG_UNSHIFTED = 60.0  # logits within ±60 are exponentiated as they are: e^{±60} leaves float32 room for
# sums over 10⁴ components times means up to 1e6 (e^{88.7} is its largest), and e^{−60} is not denormal
_CACHE_ENTRIES = 3 << 17  # (K, rows) float32 blocks of the score: 1.5 MB, in a 2 MB L2


class SharedCovKernel:
    """∇ log p_t at any OU time t >= 0 of p = Σ_k w_k N(μ_k, Σ): log w (K,), μ (K, 2), Σ (2, 2).

    Arguments are trusted (``GaussianMixture`` has checked them); what depends only on p is computed
    once, here, as Python floats.
    """

    def __init__(self, log_weights: Tensor, means: Tensor, cov: Tensor) -> None:
        self.log_weights = log_weights  # (K,)
        self.means = means  # (K, 2)
        self._cov_entries = tuple(
            float(v) for v in cov.flatten()[[0, 1, 3]]
        )  # a, b, c of Σ = [[a, b], [b, c]]
        self._logit_scales = (  # max |log w_k|, max ‖μ_k‖₁, max ‖μ_k‖₂²: bound the logits at every t
            float(log_weights.abs().amax()),
            float(means.abs().sum(-1).amax()),
            float(means.square().sum(-1).amax()),
        )

    def score(self, x: Tensor, t: float) -> Tensor:
        """s_t(x) = P_t (Σ_k r_k(x) m_k − x) with m_k = e^{−t} μ_k;  x (N, 2), t >= 0 (checked) -> (N, 2)."""
        a, b, c = _diffused_precision(self._cov_entries, t)
        precision_t = torch.tensor([[a, b], [b, c]])  # (2, 2)
        return _score(x, self.log_weights, math.exp(-t) * self.means, precision_t, self.logit_bound(t))

    def logit_bound(self, t: float) -> tuple[float, float]:
        """(β₀, β₁) with |b_k| <= β₀ and |(P_t m_k)ᵀ x| <= β₁ ‖x‖_∞ for the logits of p_t's
        responsibilities:  β₀ = max |log w_k| + ½ e^{−2t} ‖P_t‖₁ max ‖μ_k‖², β₁ = e^{−t} ‖P_t‖₁ max ‖μ_k‖₁,
        where ‖P_t‖₁ (largest column sum) is at least P_t's eigenvalues."""
        a, b, c = _diffused_precision(self._cov_entries, t)
        norm, decay = max(abs(a) + abs(b), abs(b) + abs(c)), math.exp(-t)
        log_weight_scale, mean_l1, mean_square = self._logit_scales
        return log_weight_scale + 0.5 * decay**2 * norm * mean_square, decay * norm * mean_l1


def _diffused_precision(cov: tuple[float, float, float], t: float) -> tuple[float, float, float]:
    """P_t = (e^{−2t} Σ + (1 − e^{−2t}) I)⁻¹ for Σ = [[a, b], [b, c]], in closed form with Python floats
    (cheaper than the tensor ops at every step of a simulation);  -> its entries (a', b', c')."""
    keep, fresh = math.exp(-2 * t), -math.expm1(-2 * t)
    a, b, c = keep * cov[0] + fresh, keep * cov[1], keep * cov[2] + fresh
    det = a * c - b * b
    return c / det, -b / det, a / det


def _score(
    x: Tensor, log_weights: Tensor, means: Tensor, precision: Tensor, logit_bound: tuple[float, float]
) -> Tensor:
    """s(x) = P (Σ_k r_k(x) μ_k − x) with r_k(x) = softmax_k(ℓ_k(x)), ℓ_k(x) = b_k + (P μ_k)ᵀ x and
    b_k = log w_k − ½ μ_kᵀ P μ_k;  x (N, 2) -> (N, 2).

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
