"""The KL chart of every lesson's readouts: how far the cloud is from the exact distribution over
time, in nats, over the band where exact clouds of the same size land. Pure: arrays in, plotly.js
figure dict out, no Streamlit.
"""

from __future__ import annotations

import numpy as np

from lessons.still_figures import MARGIN
from lessons.traces import COLOURS

BAND_FILL = "rgba(136, 136, 136, 0.25)"  # the reference grey, see-through on both themes
BAND_LABEL = "sampling noise: exact clouds land below this"


def kl_chart(
    x: np.ndarray,
    series: dict[str, tuple[np.ndarray, np.ndarray, str]],
    *,
    x_title: str,
    height: int = 260,
) -> dict:
    """Lines ``series[name] = (excess KL (F,), margin (F,), colour)`` against ``x`` (F,), each over
    its grey band [0, margin]; infinite values (repeated points) leave a gap."""
    margins = [margin for _, margin, _ in series.values()]
    bands = [_band(x, margin, shown=index == 0) for index, margin in enumerate(margins)]
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
        for name, (values, _, colour) in series.items()
    ]
    layout = {
        "height": height,
        "margin": MARGIN,
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": "KL to exact (nats)"}, "zeroline": True},
        "legend": {"orientation": "h", "y": 1.18},
    }
    return {"data": [trace for band in bands for trace in band] + lines, "layout": layout}


def _band(x: np.ndarray, margin: np.ndarray, *, shown: bool) -> list[dict]:
    """The band [0, margin] as a zero line and a filled upper edge; only the first one in the legend."""
    edge = {"type": "scatter", "x": x, "mode": "lines", "hoverinfo": "skip", "line": {"width": 0}}
    return [
        {
            **edge,
            "y": np.zeros_like(margin),
            "showlegend": False,
            "line": {"width": 1, "color": COLOURS["reference"]},
        },
        {
            **edge,
            "y": margin,
            "fill": "tonexty",
            "fillcolor": BAND_FILL,
            "name": BAND_LABEL,
            "showlegend": shown,
        },
    ]
