"""A divergence that sees blur (MATH §10): KL(q ‖ p) from a cloud to an exact mixture, its noise band,
and a signed width error.

KL(q ‖ p) = −H(q) − E_q[log p]: p is exact, so only the entropy of the cloud's law q is estimated, by
Kozachenko–Leonenko with the k-th nearest neighbour, k ≈ ⅔√N. The estimate has a finite-N bias of a few
hundredths of a nat; ``kl_noise_band`` measures it, and its spread, on exact clouds of the same size.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from core import _checks
from core.mixture import GaussianMixture

MIN_POINTS = 20  # smaller clouds are refused: their k-th neighbour spans the whole cloud
MIN_REPEATS = 4  # a band needs a spread, and its t-quantile a few degrees of freedom
MIN_NEIGHBOURS, MAX_NEIGHBOURS = 4, 32  # k = ⅔√N clipped to this range (MATH §10)
BAND_LEVEL = 0.975  # a fresh exact cloud lies above the band's upper edge with probability ≈ 2.5 %
_BLOCK_ROWS = 64  # points per block of the neighbour search
_BLOCK_ENTRIES = 1 << 20  # at most this many distances held at once (8 MB of float64)


class KLBand(NamedTuple):
    """The KL estimates of exact clouds: their mean (the estimator's bias at this N) and upper edge.

    ``kl_to_exact(cloud, p) − band.mean`` is the KL with that bias removed; a cloud whose estimate is
    above ``band.upper`` does not match p within sampling noise.
    """

    mean: float
    upper: float


def neighbour_order(n: int) -> int:
    """k = round(⅔√N) clipped to [4, 32]: the neighbour whose distance ε_i enters Ĥ (MATH §10).

    A larger k lowers the estimate's noise (sd ≈ 0.01 nats at N = 1,000, k = 21, against 0.02 at k = 4)
    and raises its bias on fine structure; ⅔√N keeps the bias within ±0.1 nats on every preset at N = 1,000.
    """
    n = _checks.positive_int(n, "n")
    return min(max(MIN_NEIGHBOURS, round(2.0 * math.sqrt(n) / 3.0)), MAX_NEIGHBOURS)


def entropy(cloud: Tensor) -> float:
    """Kozachenko–Leonenko Ĥ(q) = ψ(N) − ψ(k) + log π + (2/N) Σ_i log ε_i in nats (MATH §10);
    cloud (N, 2), ε_i its distance to the k-th nearest other particle, k = ``neighbour_order(N)``.

    A cloud with repeated points has atoms: Ĥ = −∞ (returned as ``-math.inf``).
    """
    return _entropy(_cloud(cloud, "cloud"))


def _entropy(cloud: Tensor) -> float:
    """Ĥ(q) of a checked cloud (N, 2), N >= MIN_POINTS."""
    if _has_repeats(cloud):
        return -math.inf
    k = neighbour_order(len(cloud))
    log_distances = kth_neighbour_distances(cloud, k).log()  # (N,)
    return _digamma_gap(len(cloud), k) + math.log(math.pi) + 2.0 * float(log_distances.mean())


def kl_to_exact(cloud: Tensor, exact: GaussianMixture) -> float:
    """KL(q ‖ p) ≈ −Ĥ(q) − (1/N) Σ_i log p(x_i) in nats (MATH §10);  cloud (N, 2), p = ``exact``.

    Deterministic (no randomness, so no generator). A cloud with repeated points has atoms, and
    KL(q ‖ p) = +∞ for any density p: returned as ``math.inf``, not an error (frame 0 of a run
    started at one point is such a cloud). Compare with ``kl_noise_band`` at the same N.
    """
    cloud = _cloud(cloud, "cloud")
    exact = _mixture(exact, "exact")
    return -_entropy(cloud) - float(exact.log_prob(cloud).double().mean())


def kl_noise_band(
    exact: GaussianMixture,
    size: int,
    *,
    repeats: int = 16,
    level: float = BAND_LEVEL,
    generator: torch.Generator | None = None,
) -> KLBand:
    """The sampling-noise band of ``kl_to_exact`` on exact clouds of ``size`` points (MATH §10).

    KL_r = kl_to_exact(x_r, p) for ``repeats`` independent x_r ~ p of shape (size, 2); mean m and sd s
    of the KL_r; upper edge m + t_{R−1}(level) s √(1 + 1/R), a one-sided prediction bound at ``level``
    (0.975 by default) for one more exact cloud. A cloud above ``upper`` does not match p within
    sampling noise.
    """
    exact = _mixture(exact, "exact")
    size, repeats, level = _size(size), _repeats(repeats), _level(level)
    values = np.array([kl_to_exact(exact.sample(size, generator), exact) for _ in range(repeats)])
    return _band(values, level)


def kl_to_exact_frames(frames: Tensor, data: GaussianMixture, times: Sequence[float]) -> np.ndarray:
    """KL(q_f ‖ p_{t_f}) for every frame f, p_t = ``data.diffused(t)`` (MATH §3, §10);
    frames (F, N, 2), times (F,) -> (F,)."""
    frames, data = _checks.frames(frames, "frames"), _mixture(data, "data")
    times = _times(times, len(frames))
    return np.array([kl_to_exact(frame, data.diffused(t)) for frame, t in zip(frames, times, strict=True)])


def kl_noise_bands(
    data: GaussianMixture,
    times: Sequence[float],
    size: int,
    *,
    repeats: int = 16,
    generator: torch.Generator | None = None,
) -> np.ndarray:
    """``kl_noise_band`` of p_t = ``data.diffused(t)`` at every time t in ``times``;  -> (F, 2) of
    (mean, upper). Costs F × ``repeats`` KL estimates: compute it at a few times, or cache it."""
    data = _mixture(data, "data")
    times = _times(times, None)
    size, repeats = _size(size), _repeats(repeats)
    return np.array(
        [kl_noise_band(data.diffused(t), size, repeats=repeats, generator=generator) for t in times]
    )


def width_error(cloud: Tensor, exact: GaussianMixture) -> float:
    """Signed width error ¼ log(det Σ̂_q / det Σ_p) = log of the ratio of the geometric-mean standard
    deviations (MATH §10): > 0 too wide, < 0 too narrow; log s for a cloud scaled by s.

    Σ̂_q is the cloud's sample covariance (N − 1 in the denominator), Σ_p = ``exact.cov()``; sampling sd
    ≈ 1/(2√N) for a Gaussian cloud. A cloud on a line or a point has det Σ̂_q = 0: −∞.
    """
    cloud = _cloud(cloud, "cloud")
    exact = _mixture(exact, "exact")
    cloud_det = float(torch.linalg.det(torch.cov(cloud.double().T)))
    if cloud_det <= 0.0:
        return -math.inf
    return 0.25 * (math.log(cloud_det) - math.log(float(torch.linalg.det(exact.cov().double()))))


def width_noise_band(
    exact: GaussianMixture,
    size: int,
    *,
    repeats: int = 16,
    level: float = BAND_LEVEL,
    generator: torch.Generator | None = None,
) -> tuple[float, float]:
    """(low, high): the two-sided prediction interval m ∓ t_{R−1}(level) s √(1 + 1/R) of
    ``width_error`` on ``repeats`` exact clouds of ``size`` points (MATH §10), 95 % at the default
    level 0.975; outside it, too narrow or too wide beyond sampling noise."""
    exact = _mixture(exact, "exact")
    size, repeats, level = _size(size), _repeats(repeats), _level(level)
    values = np.array([width_error(exact.sample(size, generator), exact) for _ in range(repeats)])
    mean, upper = _band(values, level)
    return 2.0 * mean - upper, upper


def kth_neighbour_distances(x: Tensor, k: int) -> Tensor:
    """ε_i = ‖x_i − x_(k)‖, the distance from x_i to its k-th nearest other point;  x (N, 2) -> (N,) float64.

    Exact, in float64. The points are ordered in strips (``_strip_order``) and taken in blocks of nearby
    points; each block is compared only with the points in its box (``_block_kth``), so the cost is
    about N × (a few hundred) distances instead of N², and memory stays bounded (``_BLOCK_ENTRIES``).
    The k-th distance of a row is selected by ``np.partition``, cheaper than ``torch.topk`` on these
    blocks (bench/kl_readout.py times the search).
    """
    x = _checks.points(x, "x").double()
    k = _checks.positive_int(k, "k")
    if k >= len(x):
        raise ValueError(f"k must be below the number of points {len(x)}, got {k}")
    order = _strip_order(x).numpy()  # (N,)
    ordered = x.numpy()[order]  # (N, 2)
    rows = max(1, min(_BLOCK_ROWS, _BLOCK_ENTRIES // len(x)))
    squares = np.empty(len(x))  # (N,)
    for start in range(0, len(x), rows):
        squares[order[start : start + rows]] = _block_kth(ordered, start, start + rows, k)
    return torch.from_numpy(np.sqrt(squares))


def _strip_order(x: Tensor) -> Tensor:
    """Indices that sort x (N, 2) into √(N / B) horizontal strips of equal counts, by x₁ within a strip."""
    strips = max(1, round(math.sqrt(len(x) / _BLOCK_ROWS)))
    by_height = torch.argsort(x[:, 1])  # (N,)
    strip = torch.empty(len(x), dtype=torch.long)
    strip[by_height] = torch.arange(len(x)) * strips // len(x)
    return torch.argsort(strip * (x[:, 0].abs().amax() * 4 + 1) + x[:, 0])


def _block_kth(x: np.ndarray, start: int, stop: int, k: int) -> np.ndarray:
    """ε_i² for the points x[start:stop] among all of x (N, 2), in strip order;  -> (B,).

    The (k + 1)-th smallest squared distance among the points next to the block in the strip order
    (x_i itself is one of them, at 0) bounds ε_i² from above; every point within the bound of x_i lies
    in the block's box widened by the largest bound's root, so the box's points give ε_i² exactly.
    """
    block = x[start:stop]  # (B, 2)
    window = max(len(block), k)
    nearby = x[max(0, start - window) : stop + window]  # (W, 2)
    reach = math.sqrt(_kth_smallest(_squares(block, nearby), k).max()) * (1.0 + 1e-9)  # margin: rounding
    low, high = block.min(0) - reach, block.max(0) + reach  # (2,), (2,)
    return _kth_smallest(_squares(block, x[((x >= low) & (x <= high)).all(1)]), k)


def _squares(points: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """‖p_i − c_j‖² for points (B, 2) and candidates (C, 2);  -> (B, C)."""
    dx = np.subtract.outer(points[:, 0], candidates[:, 0])  # (B, C)
    dy = np.subtract.outer(points[:, 1], candidates[:, 1])  # (B, C)
    return np.add(np.square(dx, out=dx), np.square(dy, out=dy), out=dx)


def _kth_smallest(squares: np.ndarray, k: int) -> np.ndarray:
    """The (k + 1)-th smallest entry of each row of squares (B, C): with the point itself at 0 among
    the candidates, its k-th neighbour's;  -> (B,)."""
    return np.partition(squares, k, axis=1)[:, k]


def _digamma_gap(n: int, k: int) -> float:
    """ψ(N) − ψ(k) = Σ_{j=k}^{N−1} 1/j for integers N > k >= 1."""
    return math.fsum(1.0 / j for j in range(k, n))


def _has_repeats(x: Tensor) -> bool:
    """Whether two rows of x (N, 2) are equal: sorted lexicographically (two stable sorts), a repeat
    sits next to its twin."""
    order = torch.argsort(x[:, 1], stable=True)  # (N,)
    ordered = x[order[torch.argsort(x[order, 0], stable=True)]]  # (N, 2)
    return bool((ordered[1:] == ordered[:-1]).all(1).any())


def _band(values: np.ndarray, level: float) -> KLBand:
    """Mean and one-sided ``level`` prediction bound m + t s √(1 + 1/R) of R values."""
    count, mean = len(values), float(values.mean())
    if not math.isfinite(mean):  # exact clouds of a continuous p repeat a point with probability 0
        raise ValueError("an exact cloud gave a non-finite value (a repeated point): no band")
    spread = float(values.std(ddof=1)) * math.sqrt(1.0 + 1.0 / count)
    return KLBand(mean, mean + _t_quantile(level, count - 1) * spread)


def _t_quantile(level: float, dof: int) -> float:
    """Student-t quantile by the Cornish–Fisher series in 1/ν (Abramowitz & Stegun 26.7.5), ν >= 3."""
    z = statistics.NormalDist().inv_cdf(level)
    terms = (
        (z**3 + z) / 4,
        (5 * z**5 + 16 * z**3 + 3 * z) / 96,
        (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
    )
    return z + sum(term / dof ** (power + 1) for power, term in enumerate(terms))


def _cloud(value: object, name: str) -> Tensor:
    cloud = _checks.points(value, name)
    if len(cloud) < MIN_POINTS:
        raise ValueError(f"{name} must hold at least {MIN_POINTS} points, got {len(cloud)}")
    return cloud


def _mixture(value: object, name: str) -> GaussianMixture:
    if not isinstance(value, GaussianMixture):
        raise ValueError(f"{name} must be a GaussianMixture, got {type(value).__name__}")
    return value


def _size(value: object) -> int:
    size = _checks.positive_int(value, "size")
    if size < MIN_POINTS:
        raise ValueError(f"size must be at least {MIN_POINTS}, got {size}")
    return size


def _repeats(value: object) -> int:
    repeats = _checks.positive_int(value, "repeats")
    if repeats < MIN_REPEATS:
        raise ValueError(f"repeats must be at least {MIN_REPEATS}, got {repeats}")
    return repeats


def _level(value: object) -> float:
    level = _checks.positive_float(value, "level")
    if not 0.5 < level < 1.0:
        raise ValueError(f"level must be a probability in (0.5, 1), got {value!r}")
    return level


def _times(value: object, count: int | None) -> list[float]:
    """Forward times t >= 0, as many as ``count`` frames when given."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | Tensor | np.ndarray):
        raise ValueError(f"times must be a sequence of times t >= 0, got {type(value).__name__}")
    times = [_checks.non_negative_float(t, "times") for t in value]
    if not times:
        raise ValueError("times must hold at least one time t >= 0")
    if count is not None and len(times) != count:
        raise ValueError(f"times must hold one time per frame ({count}), got {len(times)}")
    return times
