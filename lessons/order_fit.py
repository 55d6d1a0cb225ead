"""The order of a sampler read off its error-against-budget line (MATH §9): the least-squares slope of
log error against log evaluations, over the points clearly above the sampling noise. Pure numpy.

An error falling like e(n) = C n^(−p) in the evaluations n is a straight line of slope −p on log–log
axes; points inside the noise band measure the noise, not the sampler, and are left out.
"""

from __future__ import annotations

import numpy as np

NOISE_MULTIPLE = 2.0  # a point counts when its error exceeds this many times the band's margin
MIN_POINTS = 3  # fewer points above the noise give no slope worth reading
FLOOR_TEXT = "at the noise floor"
NO_SLOPE_TEXT = "slope —"


def clear_of_noise(errors: np.ndarray, margin: float) -> np.ndarray:
    """The mask (B,) of errors e_i (B,) that are finite (not blown up) and above 2 m, m = ``margin``."""
    return np.isfinite(errors) & (errors > NOISE_MULTIPLE * margin)


def fitted_slope(evaluations: np.ndarray, errors: np.ndarray, margin: float) -> float | None:
    """b̂ = argmin_b min_a Σ_{i ∈ I} (log e_i − a − b log n_i)², I = {i : e_i finite, e_i > 2 m}, for
    errors e (B,) at evaluations n (B,) and the band's margin m; None when |I| < MIN_POINTS or the
    n_i of I are all equal. A method of order p reads b̂ ≈ −p."""
    kept = clear_of_noise(errors, margin)
    counts, values = np.asarray(evaluations, dtype=float)[kept], np.asarray(errors, dtype=float)[kept]
    if kept.sum() < MIN_POINTS or np.ptp(counts) == 0:
        return None
    slope, _ = np.polyfit(np.log(counts), np.log(values), 1)
    return float(slope)


def slope_text(evaluations: np.ndarray, errors: np.ndarray, margin: float) -> str:
    """The legend's words for a line: "slope −1.9"; FLOOR_TEXT when no finite error is above 2 m;
    NO_SLOPE_TEXT when too few points are (or the line blew up)."""
    slope = fitted_slope(evaluations, errors, margin)
    if slope is not None:
        return f"slope {slope:.1f}".replace("-", "\u2212")
    finite = errors[np.isfinite(errors)]
    at_floor = len(finite) == len(errors) and not clear_of_noise(finite, margin).any()
    return FLOOR_TEXT if at_floor else NO_SLOPE_TEXT
