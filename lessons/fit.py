"""How far a one-cloud run is from the exact answer, in nats, and what to do about it (MATH §10).

Every shown frame f gets KL(q_f ‖ p_{t_f}) − b(t_f): the Kozachenko–Leonenko estimate from the exact
log-density, minus its bias b on exact clouds of the same size (``lessons/noise_bands.py``), so 0 means
"as close as an exact cloud". Its noise margin is the band's half-width: 99.5 % of exact clouds stay
below it (``noise_bands.BAND_LEVEL``). The verdict compares the final frame with its margin and names the likeliest cause of a gap.
No Streamlit here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from core import divergence
from lessons import noise_bands
from lessons.settings import Settings
from lessons.simulate import Run, dataset

KL_FRAMES = 20  # frames whose KL is estimated (about 10 ms each at 1,000 particles on one core)


@dataclass(frozen=True)
class Fit:
    """times (F,) of the measured frames; excess (F,) the KL estimate minus its exact-cloud bias in
    nats (inf where the cloud has repeated points); margin (F,) the noise band's half-width there;
    width the final cloud's signed width error log(σ_cloud / σ_exact) and (low, high) its band."""

    times: np.ndarray
    excess: np.ndarray
    margin: np.ndarray
    width: float
    width_band: tuple[float, float]

    @property
    def matches(self) -> bool:
        """The final cloud is within sampling noise of the exact marginal."""
        return bool(self.excess[-1] <= self.margin[-1])


@dataclass(frozen=True)
class Verdict:
    """What the app says about the final cloud: ``kind`` "success" or "warning", and the words."""

    kind: str
    text: str


def measured_frames(count: int) -> np.ndarray:
    """Indices of at most KL_FRAMES evenly spaced frames of ``count``, first and last included."""
    return np.unique(np.linspace(0, count - 1, min(count, KL_FRAMES)).round().astype(int))


def measure(run: Run, settings: Settings) -> Fit:
    """The Fit of a run that did not blow up: KL at ``measured_frames`` against p at each frame's
    marginal time, and the final width error."""
    data, size = dataset(settings), noise_bands.kl_size(run.xs.shape[1])
    frames = measured_frames(len(run.times))
    times = run.marginal_times[frames]
    clouds = torch.from_numpy(run.xs[frames, :size])  # (F, N', 2)
    raw = divergence.kl_to_exact_frames(clouds, data, times.tolist())
    bands = noise_bands.kl_bands(settings, times, size)  # (F, 2)
    final_exact = data.diffused(float(times[-1]))
    return Fit(
        times=run.times[frames],
        excess=raw - bands[:, 0],
        margin=bands[:, 1] - bands[:, 0],
        width=divergence.width_error(clouds[-1], final_exact),
        width_band=noise_bands.width_band(settings, float(times[-1]), size),
    )


def verdict(fit: Fit, *, stationary: bool) -> Verdict:
    """The verdict on the final cloud with the advice that fits the cause of a gap: a start that is
    not its marginal (backward from N(0, I) ≠ p_T) → a longer T; a stationary run whose KL was still
    falling → more steps; otherwise the step's own bias → a smaller h."""
    final, margin = float(fit.excess[-1]), float(fit.margin[-1])
    numbers = f"KL to the exact distribution {_nats(final)} (sampling noise up to {margin:.3f} nats)"
    if fit.matches:
        return Verdict("success", f"The final cloud matches the exact distribution: {numbers}.")
    return Verdict("warning", f"The final cloud is off: {numbers}{_width(fit)}. {_advice(fit, stationary)}")


def _advice(fit: Fit, stationary: bool) -> str:
    if not stationary and fit.excess[0] > fit.margin[0]:
        return (
            "It started off already: N(0, I) is not p_T at this T (see the first frame), and that error "
            "is carried to the end. A longer total time T brings it closer."
        )
    if stationary and _still_falling(fit):
        return (
            "It was still getting closer when the run ended: it has not converged yet. More steps (or a "
            "start nearer the target) bring it closer."
        )
    return "This is the step's own discretisation error: a smaller step size h brings it closer."


def _still_falling(fit: Fit) -> bool:
    """The mean KL over the third quarter of the measured frames exceeds the mean over the last
    quarter by more than the noise margin (means of a few frames: their own noise is well below it)."""
    quarter = len(fit.excess) // 4
    if quarter < 2 or not np.isfinite(fit.excess[-2 * quarter :]).all():
        return False
    third, last = fit.excess[-2 * quarter : -quarter].mean(), fit.excess[-quarter:].mean()
    return bool(third - last > fit.margin[-1])


def _width(fit: Fit) -> str:
    low, high = fit.width_band
    if low <= fit.width <= high:
        return ""
    change = math.expm1(fit.width)
    return f"; its spread is {abs(change):.0%} too {'wide' if change > 0 else 'narrow'}"


def _nats(value: float) -> str:
    return "infinite (repeated points)" if math.isinf(value) else f"{value:.3f} nats"
