"""The exact posterior of one forward OU step for Gaussian-mixture data (MATH §9, the exact posterior step).

Forward step over h from time t:  y = a x + √β ξ,  a = e^{−h},  β = 1 − e^{−2h},  x ~ p_t.
With p_t = Σ_k w_k N(m_k, C_k) (``data.diffused(t)``), Bayes' rule gives, for every y, a mixture again:

    p(x | y) ∝ p_t(x) N(y; a x, β I) = Σ_k π_k(y) N(x; μ_k(y), S_k),

    π_k(y) ∝ w_k N(y; a m_k, A_k),  A_k = a² C_k + β I   (y's responsibilities in p_{t+h}),
    G_k = a C_k A_k⁻¹,  μ_k(y) = m_k + G_k (y − a m_k),  S_k = C_k − a G_k C_k.

Drawing x from it undoes the forward step exactly, at any h: if y ~ p_{t+h}, then x ~ p_t.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from core import _checks
from core.mixture import LOG_TWO_PI, GaussianMixture


@dataclass(frozen=True)
class Posterior:
    """p(x_t | x_{t+h} = y_n) for every particle n: Σ_k π_nk N(μ_nk, S_k).

    log_weights (N, K) the log π_nk (each row sums to 1 after exp), means (N, K, 2) the μ_k(y_n),
    covs (K, 2, 2) the S_k, which do not depend on y.
    """

    log_weights: Tensor
    means: Tensor
    covs: Tensor

    def mean(self) -> Tensor:
        """E[x_t | x_{t+h} = y_n] = Σ_k π_nk μ_nk;  -> (N, 2)."""
        return torch.einsum("nk,nki->ni", self.log_weights.exp(), self.means)

    def sample(self, generator: torch.Generator | None = None) -> Tensor:
        """One draw per particle: k ~ π_n, then x = μ_nk + L_k ξ with L_k L_kᵀ = S_k;  -> (N, 2)."""
        picks = torch.multinomial(self.log_weights.exp(), 1, generator=generator).squeeze(1)  # (N,)
        noise = torch.randn(len(picks), 2, generator=generator, dtype=self.means.dtype)  # (N, 2)
        chosen = self.means[torch.arange(len(picks)), picks]  # (N, 2)
        cholesky = torch.linalg.cholesky(self.covs)[picks]  # (N, 2, 2)
        return chosen + torch.einsum("nij,nj->ni", cholesky, noise)

    def log_prob(self, x: Tensor) -> Tensor:
        """log p(x_n | y_n) of one point per particle;  x (N, 2) -> (N,)."""
        x = _checks.points(x, "x").to(self.means.dtype)
        if len(x) != len(self.means):
            raise ValueError(f"x must hold one point per particle ({len(self.means)}), got {len(x)}")
        return (self.log_weights + _log_normal(x[:, None, :], self.means, self.covs)).logsumexp(1)

    def mixture(self, n: int) -> GaussianMixture:
        """Particle n's posterior as a GaussianMixture (weights (K,), means (K, 2), covs (K, 2, 2))."""
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < len(self.means):
            raise ValueError(f"n must be a particle index in [0, {len(self.means)}), got {n!r}")
        weights = self.log_weights[n].exp()
        return GaussianMixture(weights / weights.sum(), self.means[n], self.covs)


def posterior(data: GaussianMixture, t: float, h: float, x_next: Tensor) -> Posterior:
    """p(x_t | x_{t+h}) for the cloud x_next (N, 2) at time t + h, p_t = ``data.diffused(t)``.

    Exact in closed form (module docstring): weights π_k(y) ∝ w_k N(y; a m_k, a² C_k + β I), means
    μ_k(y) = m_k + a C_k A_k⁻¹ (y − a m_k), covariances S_k = C_k − a² C_k A_k⁻¹ C_k, a = e^{−h},
    β = 1 − e^{−2h}. Computed in float64.
    """
    if not isinstance(data, GaussianMixture):
        raise ValueError(f"data must be a GaussianMixture, got {type(data).__name__}")
    t = _checks.non_negative_float(t, "t")
    h = _checks.positive_float(h, "h")
    y = _checks.points(x_next, "x_next").double()  # (N, 2)
    marginal = data.diffused(t)
    means, covs = marginal.means.double(), marginal.covs.double()  # (K, 2), (K, 2, 2)
    a, beta = math.exp(-h), -math.expm1(-2.0 * h)
    predictive = a * a * covs + beta * torch.eye(2, dtype=torch.float64)  # (K, 2, 2): A_k
    gains = a * covs @ torch.linalg.inv(predictive)  # (K, 2, 2): G_k
    logits = marginal.weights.double().log() + _log_normal(y[:, None, :], a * means, predictive)  # (N, K)
    offsets = y[:, None, :] - a * means  # (N, K, 2)
    posterior_covs = covs - a * gains @ covs  # (K, 2, 2)
    return Posterior(
        log_weights=logits - logits.logsumexp(1, keepdim=True),
        means=means + torch.einsum("kij,nkj->nki", gains, offsets),
        covs=0.5 * (posterior_covs + posterior_covs.transpose(1, 2)),
    )


def sample_posterior(
    data: GaussianMixture, t: float, h: float, x_next: Tensor, generator: torch.Generator | None = None
) -> Tensor:
    """One exact backward step: x_t ~ p(x_t | x_{t+h}) for every particle of x_next (N, 2);  -> (N, 2)
    float32. If x_next ~ p_{t+h}, the result is distributed exactly as p_t, whatever h."""
    return posterior(data, t, h, x_next).sample(generator).float()


def _log_normal(x: Tensor, means: Tensor, covs: Tensor) -> Tensor:
    """log N(x; μ_k, Σ_k) for x (N, 1, 2) or (N, K, 2), means (K, 2) or (N, K, 2), covs (K, 2, 2);
    -> (N, K)."""
    offsets = x - means  # (N, K, 2)
    solved = torch.einsum("kij,nkj->nki", torch.linalg.inv(covs), offsets)  # (N, K, 2)
    log_dets = torch.logdet(covs)  # (K,)
    return -0.5 * ((offsets * solved).sum(-1) + log_dets) - LOG_TWO_PI
