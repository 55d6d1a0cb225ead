"""The step-size sweep's chart (MATH §11): the final cloud's error in nats against h on a log axis, over
the grey sampling-noise band, with the closed form where there is one, the current h marked and the
step sizes that blew up named. Pure: arrays in, plotly.js figure dict out, no Streamlit.
"""

from __future__ import annotations

import math

import numpy as np

from lessons import readout_figures
from lessons.still_figures import MARGIN
from lessons.traces import COLOURS

BLEW_UP = "blew up"
FLOOR = 0.25  # of the band: smaller errors (and negative ones, noise) are drawn there, at the chart's foot
HEADROOM = 0.15  # decades of the log axes beyond the points


def sweep_figure(
    step_sizes: np.ndarray,
    errors: np.ndarray,
    blew_up: np.ndarray,
    *,
    band: float,
    current: float,
    colour: str,
    closed: tuple[np.ndarray, np.ndarray] | None = None,
    height: int = 260,
) -> dict:
    """Errors (P,) in nats at step_sizes (P,) (NaN where ``blew_up`` (P,)) on log–log axes, over the
    band below ``band``, with the closed form (h (C,), KL (C,)) dashed and a dotted line at the
    ``current`` h. Errors below FLOOR × band sit at the foot of the chart (their hover says the value)."""
    floor = FLOOR * band
    x_range, y_range = _x_range(step_sizes, current), _y_range(errors, floor, band)
    data = [
        *readout_figures.log_band(x_range, y_range[0], band),
        *([_closed_line(*closed)] if closed is not None and len(closed[0]) else []),
        {
            "type": "scatter",
            "x": step_sizes,
            "y": np.where(np.isfinite(errors), np.maximum(errors, floor), np.nan),
            "customdata": errors,
            "name": "measured",
            "mode": "lines+markers",
            "marker": {"size": 7, "color": colour},
            "line": {"color": colour},
            "hovertemplate": "h = %{x:.3g}: %{customdata:.3f} nats<extra></extra>",
        },
    ]
    if blew_up.any():
        data.append(_blown_up(step_sizes[blew_up], 10 ** (y_range[1] - HEADROOM / 2)))
    layout = {
        "height": height,
        "margin": MARGIN,
        "xaxis": {
            "title": {"text": "step size h (log scale)"},
            "type": "log",
            "range": list(x_range),
            "tickvals": step_sizes,
            "ticktext": [f"{h:.3g}" for h in step_sizes],
        },
        "yaxis": {
            "title": {"text": "error (nats, log scale)"},
            "type": "log",
            "range": list(y_range),
            "dtick": 1,
            "tickformat": "~g",
        },
        "legend": {"orientation": "h", "y": 1.18},
        "shapes": [readout_figures.marker_line(current)],
        "annotations": [_current_label(current)],
    }
    return {"data": data, "layout": layout}


def _x_range(step_sizes: np.ndarray, current: float) -> tuple[float, float]:
    """The x range in log₁₀ units: every step size (P,) and the current one, HEADROOM wider."""
    logs = np.log10(np.append(step_sizes, current))
    return float(logs.min()) - HEADROOM, float(logs.max()) + HEADROOM


def _y_range(errors: np.ndarray, floor: float, band: float) -> tuple[float, float]:
    """The y range in log₁₀ units: from the floor up to the largest finite error (P,) or the band."""
    finite = errors[np.isfinite(errors)]
    top = max(band, float(finite.max()) if len(finite) else band)
    return math.log10(floor) - HEADROOM, math.log10(top) + HEADROOM


def _closed_line(step_sizes: np.ndarray, kl: np.ndarray) -> dict:
    """The closed form (C,) at step_sizes (C,), dashed; infinite and zero values leave a gap (a log
    axis has no 0), and values below the chart's foot leave it downwards."""
    return {
        "type": "scatter",
        "x": step_sizes,
        "y": np.where(np.isfinite(kl) & (kl > 0), kl, np.nan),
        "name": "closed form",
        "mode": "lines",
        "line": {"color": COLOURS["reference"], "dash": "dash", "width": 2},
        "hovertemplate": "h = %{x:g}: %{y:.3f} nats (closed form)<extra></extra>",
    }


def _blown_up(step_sizes: np.ndarray, top: float) -> dict:
    """A cross at the top of the chart at every step size whose run blew up."""
    return {
        "type": "scatter",
        "x": step_sizes,
        "y": np.full(len(step_sizes), top),
        "name": BLEW_UP,
        "mode": "markers+text",
        "text": [BLEW_UP] * len(step_sizes),
        "textposition": "bottom center",
        "marker": {"symbol": "x", "size": 10, "color": COLOURS["backward"]},
        "cliponaxis": False,
        "hovertemplate": "h = %{x:g}: the particles blew up<extra></extra>",
    }


def _current_label(current: float) -> dict:
    """ "this h" above the current h's line (x in log₁₀ units, as plotly places annotations on a log axis)."""
    return {
        "text": f"this h = {current:g}",
        "x": math.log10(current),
        "xref": "x",
        "y": 1,
        "yref": "y domain",
        "xanchor": "left",
        "yanchor": "top",
        "showarrow": False,
    }
