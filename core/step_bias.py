"""Closed forms of the step-size bias on a Gaussian (MATH §11): every chain of the lessons is linear
when the data are one isotropic Gaussian N(μ, s² I), so its law after S steps is N(m_S, u_S I) with
moments given by a recursion, and its KL to the exact law is a formula.

Laws are ``IsotropicGaussian(mean, variance)`` in 2-D; the variance is per axis and may be ``math.inf``
(a chain whose variance grows without bound). Pure Python floats: nothing here is random.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from core import _checks

STANDARD_MEAN = (0.0, 0.0)


class IsotropicGaussian(NamedTuple):
    """N(mean, variance · I) in 2-D: ``mean`` (2,) as a pair of floats, ``variance`` per axis, >= 0."""

    mean: tuple[float, float]
    variance: float


STANDARD = IsotropicGaussian(STANDARD_MEAN, 1.0)  # N(0, I): the prior the backward process starts from


def gaussian_kl(q: IsotropicGaussian, p: IsotropicGaussian) -> float:
    """KL(N(m_q, v_q I) ‖ N(m_p, v_p I)) in 2-D = r − 1 − ln r + ‖m_q − m_p‖² / (2 v_p), r = v_q / v_p.

    +∞ when v_q = 0 (a point has no density) or v_q = ∞.
    """
    q, p = _law(q, "q"), _law(p, "p")
    if p.variance <= 0 or not math.isfinite(p.variance):
        raise ValueError(f"p must have a finite positive variance, got {p.variance!r}")
    if q.variance <= 0 or not math.isfinite(q.variance):
        return math.inf
    ratio = q.variance / p.variance
    gap = (q.mean[0] - p.mean[0]) ** 2 + (q.mean[1] - p.mean[1]) ** 2
    return ratio - 1.0 - math.log(ratio) + gap / (2.0 * p.variance)


def ula_stationary(target: IsotropicGaussian, step_size: float) -> IsotropicGaussian:
    """The stationary law of ULA x ← x + h s(x) + √(2h) ξ on N(μ, σ² I) (MATH §1):
    N(μ, σ² / (1 − h/(2σ²)) I) for h < 2σ², variance ∞ from h = 2σ² on."""
    target = _positive_law(target, "target")
    h = _checks.positive_float(step_size, "step_size")
    sigma2 = target.variance
    variance = sigma2 / (1.0 - h / (2.0 * sigma2)) if h < 2.0 * sigma2 else math.inf
    return IsotropicGaussian(target.mean, variance)


def ula_law(
    start: IsotropicGaussian, target: IsotropicGaussian, step_size: float, steps: int
) -> IsotropicGaussian:
    """The law after S ULA steps on N(μ, σ² I) from a Gaussian start N(m₀, u₀ I) (MATH §1, §11):
    x − μ ← a (x − μ) + √(2h) ξ with a = 1 − h/σ², so m_S − μ = a^S (m₀ − μ) and
    u_S = a^{2S} u₀ + 2h (1 − a^{2S}) / (1 − a²). u₀ = 0 is a start at one point."""
    target = _positive_law(target, "target")
    h = _checks.positive_float(step_size, "step_size")
    return _linear_chain(_law(start, "start"), 1.0 - h / target.variance, target.mean, 2.0 * h, steps)


def euler_forward_law(data: IsotropicGaussian, t_end: float, steps: int) -> IsotropicGaussian:
    """The law at T of Euler–Maruyama x ← (1 − h) x + √(2h) ξ, h = T/S, from N(μ, s² I) (MATH §2):
    m_S = (1 − h)^S μ, u_S = (1 − h)^{2S} s² + 2h (1 − (1 − h)^{2S}) / (1 − (1 − h)²)."""
    h = _checks.positive_float(t_end, "t_end") / _checks.positive_int(steps, "steps")
    return _linear_chain(_law(data, "data"), 1.0 - h, STANDARD_MEAN, 2.0 * h, steps)


def exact_marginal(data: IsotropicGaussian, t: float) -> IsotropicGaussian:
    """p_t of the OU process from N(μ, s² I) (MATH §3): N(e^{−t} μ, v_t I), v_t = e^{−2t} s² + 1 − e^{−2t}."""
    data = _law(data, "data")
    t = _checks.non_negative_float(t, "t")
    decay = math.exp(-t)
    mean = (decay * data.mean[0], decay * data.mean[1])
    return IsotropicGaussian(mean, decay**2 * data.variance - math.expm1(-2.0 * t))


def euler_backward_law(
    data: IsotropicGaussian,
    t_end: float,
    steps: int,
    lam: float,
    start: IsotropicGaussian = STANDARD,
) -> IsotropicGaussian:
    """The law at t = 0 of the backward Euler–Maruyama chain (MATH §5, §11) on data N(μ, s² I),
    started from N(m₀, u₀ I) (N(0, I) by default).

    With the exact score s_t(x) = −(x − e^{−t} μ) / v_t and h = T/S, the step at t_k = T − k h is
    x ← a_k x + (1+λ) h e^{−t_k} μ / v_{t_k} + √(2λh) ξ, a_k = 1 + h − (1+λ) h / v_{t_k}, so
    m_{k+1} = a_k m_k + (1+λ) h e^{−t_k} μ / v_{t_k} and u_{k+1} = a_k² u_k + 2λh, k = 0 … S−1.
    """
    data, start = _law(data, "data"), _law(start, "start")
    t_end = _checks.positive_float(t_end, "t_end")
    steps = _checks.positive_int(steps, "steps")
    lam = _checks.non_negative_float(lam, "lam")
    h, (m1, m2), variance = t_end / steps, start.mean, start.variance
    for k in range(steps):
        marginal = exact_marginal(data, t_end - k * h)
        pull = (1.0 + lam) * h / marginal.variance
        keep = 1.0 + h - pull
        m1, m2 = keep * m1 + pull * marginal.mean[0], keep * m2 + pull * marginal.mean[1]
        variance = keep**2 * variance + 2.0 * lam * h
        if not math.isfinite(variance):
            return IsotropicGaussian((m1, m2), math.inf)
    return IsotropicGaussian((m1, m2), variance)


def split_law(
    data: IsotropicGaussian, t: float, step_size: float, steps: int, lam: float
) -> IsotropicGaussian:
    """The law after S split steps at time t (MATH §4, §11) from p_t itself, on data N(μ, s² I).

    Forward half y = (1 − h) x + √(2h) ξ₁; backward half with the exact score of p_{t+h} = N(m', v' I):
    z = b y + (1+λ) h m' / v' + √(2λh) ξ₂, b = 1 + h − (1+λ) h / v'. So m ← b (1 − h) m + (1+λ) h m' / v'
    and u ← b² ((1 − h)² u + 2h) + 2λh, from N(m_t, v_t I) = p_t.
    """
    t = _checks.non_negative_float(t, "t")
    h = _checks.positive_float(step_size, "step_size")
    steps = _checks.positive_int(steps, "steps")
    lam = _checks.non_negative_float(lam, "lam")
    (m1, m2), variance = (law := exact_marginal(data, t)).mean, law.variance
    later = exact_marginal(data, t + h)
    pull = (1.0 + lam) * h / later.variance
    keep = (1.0 + h - pull) * (1.0 - h)
    for _ in range(steps):
        m1, m2 = keep * m1 + pull * later.mean[0], keep * m2 + pull * later.mean[1]
        variance = (1.0 + h - pull) ** 2 * ((1.0 - h) ** 2 * variance + 2.0 * h) + 2.0 * lam * h
        if not math.isfinite(variance):
            return IsotropicGaussian((m1, m2), math.inf)
    return IsotropicGaussian((m1, m2), variance)


def _linear_chain(
    start: IsotropicGaussian, keep: float, centre: tuple[float, float], noise: float, steps: int
) -> IsotropicGaussian:
    """S steps of x − c ← a (x − c) + √q ξ from N(m₀, u₀ I): m_S − c = a^S (m₀ − c),
    u_S = a^{2S} u₀ + q (1 − a^{2S}) / (1 − a²) (q S when a² = 1); ∞ when it overflows."""
    steps = _checks.positive_int(steps, "steps")
    try:
        decay = keep ** (2 * steps)
        shrink = keep**steps
    except OverflowError:
        return IsotropicGaussian(start.mean, math.inf)
    gain = noise * steps if keep**2 == 1.0 else noise * (1.0 - decay) / (1.0 - keep**2)
    mean = tuple(c + shrink * (m - c) for m, c in zip(start.mean, centre, strict=True))
    variance = decay * start.variance + gain
    return IsotropicGaussian(mean, variance if math.isfinite(variance) else math.inf)


def _law(value: object, name: str) -> IsotropicGaussian:
    if not isinstance(value, IsotropicGaussian):
        raise ValueError(f"{name} must be an IsotropicGaussian, got {type(value).__name__}")
    if len(value.mean) != 2 or not all(math.isfinite(float(m)) for m in value.mean):
        raise ValueError(f"{name}.mean must be two finite numbers, got {value.mean!r}")
    if math.isnan(value.variance) or value.variance < 0:
        raise ValueError(f"{name}.variance must be >= 0, got {value.variance!r}")
    return value


def _positive_law(value: object, name: str) -> IsotropicGaussian:
    law = _law(value, name)
    if law.variance <= 0 or not math.isfinite(law.variance):
        raise ValueError(f"{name} must have a finite positive variance, got {law.variance!r}")
    return law
