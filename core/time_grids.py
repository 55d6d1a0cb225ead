"""Time grids for the samplers of MATH §9: where a backward run evaluates the score.

A grid is a decreasing list of forward times t_0 = T > t_1 > … > t_S. Three spacings:

- uniform in t:           t_k = T + (k/S)(t_min − T);
- uniform in log-SNR:     ℓ(t) = log(ᾱ(t)/(1 − ᾱ(t))) = −log(e^{2t} − 1) equally spaced;
- Karras/EDM (ρ = 7):     ς_k = (ς_max^{1/ρ} + (k/S)(ς_min^{1/ρ} − ς_max^{1/ρ}))^ρ, ς(t) = σ_t/α_t = √(e^{2t} − 1).

Both ℓ and ς map back to t in closed form: t = ½ log(1 + e^{−ℓ}) = ½ log(1 + ς²). Log-SNR and ς are
infinite or zero at t = 0, so those grids stop at t_min > 0. With ``denoise`` the grid stops at t_min
after S − 1 steps and its last step jumps to t = 0 by Tweedie's formula (``core.samplers.tweedie``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core import _checks

SPACINGS = ("uniform", "log_snr", "karras")
DEFAULT_T_MIN = 1e-3  # σ² = 0.002 at t_min, below a preset's bandwidth² 0.01: the Tweedie step barely blurs


@dataclass(frozen=True)
class TimeGrid:
    """A spacing of [t_min, T], the grid exponent ρ (Karras only), and whether the last step is the
    Tweedie jump from t_min to 0."""

    spacing: str = "uniform"
    t_min: float = 0.0
    denoise: bool = False
    rho: float = 7.0

    def __post_init__(self) -> None:
        if self.spacing not in SPACINGS:
            raise ValueError(f"spacing must be one of {', '.join(SPACINGS)}, got {self.spacing!r}")
        t_min = _checks.non_negative_float(self.t_min, "t_min")
        _checks.positive_float(self.rho, "rho")
        if not isinstance(self.denoise, bool):
            raise ValueError(f"denoise must be True or False, got {self.denoise!r}")
        if t_min == 0.0 and (self.spacing != "uniform" or self.denoise):
            need = "a denoising step" if self.spacing == "uniform" else f"a {self.spacing} grid"
            raise ValueError(f"{need} needs t_min > 0 (it is singular at t = 0)")

    def times(self, t_end: float, num_steps: int) -> list[float]:
        """The S + 1 = ``num_steps`` + 1 decreasing times t_0 = T > … > t_S (t_S = 0 with ``denoise``,
        else t_min); T = ``t_end`` must exceed t_min."""
        t_end = _checks.positive_float(t_end, "t_end")
        num_steps = _checks.positive_int(num_steps, "num_steps")
        if t_end <= self.t_min:
            raise ValueError(f"t_end must exceed t_min = {self.t_min:g}, got {t_end!r}")
        if not self.denoise:
            return self._spaced(t_end, num_steps)
        return [*self._spaced(t_end, num_steps - 1), 0.0] if num_steps > 1 else [t_end, 0.0]

    def _spaced(self, t_end: float, num_steps: int) -> list[float]:
        """num_steps + 1 times from t_end down to t_min, both ends exact."""
        if self.spacing == "uniform":
            return uniform_times(t_end, self.t_min, num_steps)
        if self.spacing == "log_snr":
            return log_snr_times(t_end, self.t_min, num_steps)
        return karras_times(t_end, self.t_min, num_steps, self.rho)


def uniform_times(t_end: float, t_min: float, num_steps: int) -> list[float]:
    """t_k = T + (k/S)(t_min − T), k = 0 … S; the same floats as ``core.sde.backward``'s grid at t_min = 0."""
    return [*(t_end + (t_min - t_end) * (k / num_steps) for k in range(num_steps)), t_min]


def log_snr_times(t_end: float, t_min: float, num_steps: int) -> list[float]:
    """Times equally spaced in ℓ(t) = −log(e^{2t} − 1) from ℓ(T) to ℓ(t_min), t_min > 0."""
    start, stop = log_snr(t_end), log_snr(t_min)
    inner = [_time_of_log_snr(start + (stop - start) * (k / num_steps)) for k in range(1, num_steps)]
    return [t_end, *inner, t_min]


def karras_times(t_end: float, t_min: float, num_steps: int, rho: float = 7.0) -> list[float]:
    """Times of the Karras/EDM noise levels ς_k = (ς_max^{1/ρ} + (k/S)(ς_min^{1/ρ} − ς_max^{1/ρ}))^ρ
    between ς(T) and ς(t_min), t_min > 0."""
    top, bottom = noise_level(t_end) ** (1.0 / rho), noise_level(t_min) ** (1.0 / rho)
    inner = [
        _time_of_noise_level((top + (bottom - top) * (k / num_steps)) ** rho) for k in range(1, num_steps)
    ]
    return [t_end, *inner, t_min]


def log_snr(t: float) -> float:
    """ℓ(t) = log(α_t²/σ_t²) = −log(e^{2t} − 1), for t > 0."""
    return -math.log(math.expm1(2.0 * t))


def noise_level(t: float) -> float:
    """ς(t) = σ_t/α_t = √(e^{2t} − 1), EDM's noise level."""
    return math.sqrt(math.expm1(2.0 * t))


def _time_of_log_snr(value: float) -> float:
    """t = ½ log(1 + e^{−ℓ})."""
    return 0.5 * math.log1p(math.exp(-value))


def _time_of_noise_level(value: float) -> float:
    """t = ½ log(1 + ς²)."""
    return 0.5 * math.log1p(value * value)


GRIDS: dict[
    str, TimeGrid
] = {  # the grids a lesson offers: sde.backward's, and two that end in a denoising step
    "uniform": TimeGrid(),
    "log_snr": TimeGrid("log_snr", t_min=DEFAULT_T_MIN, denoise=True),
    "karras": TimeGrid("karras", t_min=DEFAULT_T_MIN, denoise=True),
}
