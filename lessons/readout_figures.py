"""The KL chart of every lesson's readouts: how far the cloud is from the exact distribution over
time, in nats, over the band where exact clouds of the same size land. Pure: arrays in, plotly.js
figure dict out, no Streamlit.
"""

from __future__ import annotations

import numpy as np

from lessons.still_figures import MARGIN
from lessons.traces import COLOURS

BAND_FILL = "rgba(136, 136, 136, 0.25)"  # the reference grey, see-through on both themes
BAND_LABEL = "noise band (exact clouds)"


def kl_chart(
    x: np.ndarray,
    series: dict[str, tuple[np.ndarray, str]],
    margin: np.ndarray,
    *,
    x_title: str,
    height: int = 280,
) -> dict:
    """Lines ``series[name] = (excess KL (F,), colour)`` against ``x`` (F,) over the grey band
    [0, margin (F,)]; infinite values (repeated points) leave a gap. The legend sits above the plot."""
    lines = [
        {
            "type": "scatter",
            "x": x,
            "y": np.where(np.isfinite(values), values, None),
            "name": name,
            "mode": "lines+markers",
            "marker": {"size": 5},
            "line": {"color": colour},
        }
        for name, (values, colour) in series.items()
    ]
    layout = {
        "height": height,
        "margin": MARGIN,
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": "KL to exact (nats)"}, "zeroline": True},
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "xanchor": "left", "yanchor": "bottom"},
    }
    return {"data": [*_band(x, margin), *lines], "layout": layout}


def _band(x: np.ndarray, margin: np.ndarray) -> list[dict]:
    """The band [0, margin] as a zero line and a filled upper edge."""
    edge = {"type": "scatter", "x": x, "mode": "lines", "hoverinfo": "skip"}
    zero = {**edge, "y": np.zeros_like(margin), "showlegend": False}
    return [
        {**zero, "line": {"width": 1, "color": COLOURS["reference"]}},
        {
            **edge,
            "y": margin,
            "fill": "tonexty",
            "fillcolor": BAND_FILL,
            "name": BAND_LABEL,
            "line": {"width": 0},
        },
    ]


def log_band(x_range: tuple[float, float], bottom: float, band: float) -> list[dict]:
    """On log axes: the band from the chart's foot (log₁₀ ``bottom``) up to ``band`` across
    ``x_range`` (log₁₀ units), as an invisible lower edge and a filled upper edge."""
    x = [10 ** x_range[0], 10 ** x_range[1]]
    edge = {"type": "scatter", "x": x, "mode": "lines", "line": {"width": 0}, "hoverinfo": "skip"}
    return [
        {**edge, "y": [10**bottom, 10**bottom], "showlegend": False},
        {**edge, "y": [band, band], "fill": "tonexty", "fillcolor": BAND_FILL, "name": BAND_LABEL},
    ]


def marker_line(x: float) -> dict:
    """A dotted vertical line at ``x`` across the plot (a layout shape): this h, this budget."""
    return {
        "type": "line",
        "xref": "x",
        "yref": "y domain",
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "line": {"dash": "dot", "color": COLOURS["reference"], "width": 1.5},
    }
