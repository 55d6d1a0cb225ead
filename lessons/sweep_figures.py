"""The step-size sweep's chart (MATH §11): the final cloud's error in nats against h on a log axis, over
the grey sampling-noise band, with the closed form where there is one, the current h marked and the
step sizes that blew up named. Pure: arrays in, plotly.js figure dict out, no Streamlit.
"""

from __future__ import annotations

import math

import numpy as np

from lessons.still_figures import MARGIN
from lessons.traces import COLOURS, NO_HOVER

BAND_FILL = "rgba(136, 136, 136, 0.25)"  # the reference grey, see-through on both themes
BAND_LABEL = "sampling noise: exact clouds land below this"
BLEW_UP = "blew up"
HEADROOM = 0.12  # of the error range, above and below the points


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
    """Errors (P,) in nats at step_sizes (P,) (NaN where ``blew_up`` (P,)), over the band [0, band],
    with the closed form (h (C,), KL (C,)) dashed and a dotted line at the ``current`` h."""
    low, high = _error_range(errors, band)
    span = _log_span(step_sizes, current)
    data = [
        *_band(span, band),
        *([_closed_line(*closed)] if closed is not None and len(closed[0]) else []),
        {
            "type": "scatter",
            "x": step_sizes,
            "y": errors,
            "name": "measured",
            "mode": "lines+markers",
            "marker": {"size": 7, "color": colour},
            "line": {"color": colour},
            "hovertemplate": "h = %{x:g}: %{y:.3f} nats<extra></extra>",
        },
    ]
    if blew_up.any():
        data.append(_blown_up(step_sizes[blew_up], high))
    layout = {
        "height": height,
        "margin": MARGIN,
        "xaxis": {"title": {"text": "step size h (log scale)"}, "type": "log", "range": list(span)},
        "yaxis": {"title": {"text": "error (nats)"}, "range": [low, high], "zeroline": True},
        "legend": {"orientation": "h", "y": 1.18},
        "shapes": [_current_line(current)],
        "annotations": [_current_label(current)],
    }
    return {"data": data, "layout": layout}


def _error_range(errors: np.ndarray, band: float) -> tuple[float, float]:
    """The y range: every finite error and the band, with HEADROOM (the closed form may leave it)."""
    finite = errors[np.isfinite(errors)]
    low = min(0.0, float(finite.min()) if len(finite) else 0.0)
    high = max(band, float(finite.max()) if len(finite) else band)
    pad = HEADROOM * (high - low)
    return low - pad, high + pad


def _log_span(step_sizes: np.ndarray, current: float) -> tuple[float, float]:
    """The x range in log₁₀ units: all step sizes and the current one, a little wider."""
    logs = np.log10(np.append(step_sizes, current))
    return float(logs.min()) - 0.15, float(logs.max()) + 0.15


def _band(span: tuple[float, float], band: float) -> list[dict]:
    """The band [0, band] across the chart: a zero line and a filled upper edge."""
    x = [10 ** span[0], 10 ** span[1]]
    edge = {"type": "scatter", "x": x, "mode": "lines", **NO_HOVER}
    return [
        {**edge, "y": [0.0, 0.0], "showlegend": False, "line": {"width": 1, "color": COLOURS["reference"]}},
        {
            **edge,
            "y": [band, band],
            "fill": "tonexty",
            "fillcolor": BAND_FILL,
            "line": {"width": 0},
            "name": BAND_LABEL,
        },
    ]


def _closed_line(step_sizes: np.ndarray, kl: np.ndarray) -> dict:
    """The closed form (C,) at step_sizes (C,), dashed; infinite values leave a gap."""
    return {
        "type": "scatter",
        "x": step_sizes,
        "y": np.where(np.isfinite(kl), kl, np.nan),
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


def _current_line(current: float) -> dict:
    """A dotted vertical line at the current h, across the plot."""
    return {
        "type": "line",
        "xref": "x",
        "yref": "y domain",
        "x0": current,
        "x1": current,
        "y0": 0,
        "y1": 1,
        "line": {"dash": "dot", "color": COLOURS["reference"], "width": 1.5},
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
