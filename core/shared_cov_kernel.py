"""The fast score of a Gaussian mixture whose components all share one covariance Σ (MATH §3).

For p_t = Σ_k w_k N(e^{−t} μ_k, C_t), C_t = e^{−2t} Σ + (1 − e^{−2t}) I and P_t = C_t⁻¹, the term
xᵀ P_t x is the same for every component and cancels in the softmax, so

    s_t(x) = P_t (Σ_k r_k(x) m_k − x),   r_k(x) = softmax_k(b_k + (P_t m_k)ᵀ x),   m_k = e^{−t} μ_k,
    b_k = log w_k − ½ m_kᵀ P_t m_k.

This module is the simulations' hot path: it gives the same score as the readable reference in
``core.mixture`` (log-joint -> softmax -> pulls), which ``GaussianMixture`` uses for every other mixture,
but with P_t in closed form, logits bounded in closed form so that most of them are exponentiated
without a shift, exponentials taken in base 2 (e^ℓ = 2^{ℓ log₂ e}, with log₂ e folded into P_t m_k),
and particles taken in cache-sized blocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

LOG_NEGLIGIBLE = -80.0  # e^{-80} ≈ 2e-35: a relative weight below float32 resolution, above its denormals
LOG_UNSHIFTED = 60.0  # logits within ±60 are exponentiated as they are: e^{±60} leaves float32 room for
# sums over 10⁴ components times means up to 1e6 (e^{88.7} is its largest), and e^{−60} is not denormal
LOG2_E = 1.0 / math.log(2.0)  # e^ℓ = 2^{ℓ log₂ e}: torch's exp2 takes a third of exp's time on CPU
_CACHE_ENTRIES = 3 << 17  # (K, rows) float32 blocks of the score: 1.5 MB, in a 2 MB L2


class SharedCovKernel:
    """∇ log p_t at any OU time t >= 0 of p = Σ_k w_k N(μ_k, Σ): log w (K,), μ (K, 2), Σ (2, 2).

    Arguments are trusted (``GaussianMixture`` has checked them); what depends only on p is computed
    once, here.
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
        first, second = means.T  # (K,) each
        self._mean_features = torch.stack(  # (K, 5): what P_t m_k and m_kᵀ P_t m_k are linear in
            [first, second, first**2, 2 * first * second, second**2], 1
        )
        self._weighted_means_and_ones = torch.cat([means.T, torch.ones(1, len(means))]) * log_weights.exp()

    def score(self, x: Tensor, t: float) -> Tensor:
        """s_t(x) = P_t (e^{−t} Σ_k r_k(x) μ_k − x);  x (N, 2), t >= 0 (checked) -> (N, 2).

        One (K, 5) × (5, 3) product gives every component's slope P_t m_k log₂ e (first two columns)
        and ½ m_kᵀ P_t m_k (last), from μ_k's coordinates and their products.
        """
        a, b, c = _diffused_precision(self._cov_entries, t)
        decay = math.exp(-t)
        slope, half = decay * LOG2_E, 0.5 * decay**2
        coefficients = torch.tensor(  # (5, 3)
            [
                [slope * a, slope * b, 0.0],
                [slope * b, slope * c, 0.0],
                [0.0, 0.0, half * a],
                [0.0, 0.0, half * b],
                [0.0, 0.0, half * c],
            ]
        )
        slopes_and_halves = self._mean_features @ coefficients  # (K, 3)
        logits = _Logits(  # ℓ_k(x) log₂ e = (b_k + (P_t m_k)ᵀ x) log₂ e, with ½ m_kᵀ P_t m_k apart
            log_weights=self.log_weights,
            half_squares=slopes_and_halves[:, 2],
            slopes=slopes_and_halves[:, :2],
            bound=self.logit_bound(t),
        )
        blocks = math.ceil(len(x) * len(self.means) / _CACHE_ENTRIES)
        mean_of_means = (  # (2, N): Σ_k r_k(x) μ_k
            self._mean_of_means(x, logits)
            if blocks == 1
            else torch.cat([self._mean_of_means(rows, logits) for rows in x.chunk(blocks)], 1)
        )
        precision_t = torch.tensor([[a, b], [b, c]])  # (2, 2)
        return mean_of_means.mul_(decay).sub_(x.T).T @ precision_t  # (N, 2), P_t symmetric

    def logit_bound(self, t: float) -> tuple[float, float]:
        """(β₀, β₁) with |b_k| <= β₀ and |(P_t m_k)ᵀ x| <= β₁ ‖x‖_∞ for the logits of p_t's
        responsibilities:  β₀ = max |log w_k| + ½ e^{−2t} ‖P_t‖₁ max ‖μ_k‖², β₁ = e^{−t} ‖P_t‖₁ max ‖μ_k‖₁,
        where ‖P_t‖₁ (largest column sum) is at least P_t's eigenvalues."""
        a, b, c = _diffused_precision(self._cov_entries, t)
        norm, decay = max(abs(a) + abs(b), abs(b) + abs(c)), math.exp(-t)
        log_weight_scale, mean_l1, mean_square = self._logit_scales
        return log_weight_scale + 0.5 * decay**2 * norm * mean_square, decay * norm * mean_l1

    def _mean_of_means(self, x: Tensor, logits: _Logits) -> Tensor:
        """Σ_k r_k(x) μ_k for a block of particles;  x (rows, 2) -> (2, rows).

        Particles sit on the last axis, (K, rows), where CPU reductions are fastest, and the softmax is
        left unnormalised. When |ℓ| <= β₀ + β₁ ‖x‖_∞ <= LOG_UNSHIFTED, e^ℓ = e^{b_k} e^{(P m_k)ᵀ x} is
        taken as it is (no overflow, no denormals): e^{b_k} = w_k e^{−½ m_kᵀ P m_k} moves into one
        (3, K) × (K, rows) product that gives Σ_k u_k μ_k and Σ_k u_k: three passes over (K, rows)
        where the shifted form takes eight. Otherwise (sharp components near t = 0) each particle's
        largest logit is subtracted first, and weights below e^{LOG_NEGLIGIBLE} of the largest are
        raised to it: no change in float32, but exp and the product no longer meet denormal numbers,
        which made them 30-60× slower.
        """
        offset, slope = logits.bound
        if (
            offset <= LOG_UNSHIFTED and offset + slope * float(x.abs().amax()) <= LOG_UNSHIFTED
        ):  # False for NaN
            unnormalised = (logits.slopes @ x.T).exp2_()  # (K, rows)
            sums = (
                self._weighted_means_and_ones * logits.half_squares.neg().exp()
            ) @ unnormalised  # (3, rows)
            return sums[:2] / sums[2]
        biases = (logits.log_weights - logits.half_squares) * LOG2_E  # (K,)
        scaled = torch.addmm(biases[:, None], logits.slopes, x.T)  # (K, rows): ℓ log₂ e
        unnormalised = scaled.sub_(scaled.amax(0)).clamp_min_(LOG_NEGLIGIBLE * LOG2_E).exp2_()  # max 1
        return (self.means.T @ unnormalised) / unnormalised.sum(0)


@dataclass(frozen=True)
class _Logits:
    """p_t's logits ℓ_k(x) = log w_k − ½ m_kᵀ P_t m_k + (P_t m_k)ᵀ x in their parts: log w (K,),
    ½ m_kᵀ P_t m_k (K,), slopes P_t m_k log₂ e (K, 2), and ``logit_bound(t)``."""

    log_weights: Tensor
    half_squares: Tensor
    slopes: Tensor
    bound: tuple[float, float]


def _diffused_precision(cov: tuple[float, float, float], t: float) -> tuple[float, float, float]:
    """P_t = (e^{−2t} Σ + (1 − e^{−2t}) I)⁻¹ for Σ = [[a, b], [b, c]], in closed form with Python floats
    (cheaper than the tensor ops at every step of a simulation);  -> its entries (a', b', c')."""
    keep, fresh = math.exp(-2 * t), -math.expm1(-2 * t)
    a, b, c = keep * cov[0] + fresh, keep * cov[1], keep * cov[2] + fresh
    det = a * c - b * b
    return c / det, -b / det, a / det
