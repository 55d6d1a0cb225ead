"""Lesson 7's denoiser chart (MATH §9): noisy particles x_t, each joined by a line to its Tweedie
prediction D_t(x_t) = E[x₀ | x_t], over the contour lines of the exact p₀. Pure: arrays in, plotly.js
figure dict out, no Streamlit.
"""

from __future__ import annotations

import numpy as np

from lessons import traces
from lessons.still_figures import MARGIN
from lessons.traces import COLOURS

NOISY_COLOUR = COLOURS["forward"]  # blue: the particles as the forward process left them at t
PREDICTION_COLOUR = COLOURS["backward"]  # vermillion: where the denoiser sends them
JOIN_COLOUR = "rgba(136, 136, 136, 0.45)"  # the reference grey, see-through: hundreds of lines cross


def denoiser_figure(
    noisy: np.ndarray,
    predictions: np.ndarray,
    *,
    extent: float,
    grid: np.ndarray,
    density: np.ndarray,
    height: int = 420,
) -> dict:
    """One square panel [−extent, extent]²: p₀'s contours from ``density`` (G, G) on ``grid`` (G,), a
    line from each noisy particle (N, 2) to its prediction (N, 2), then both clouds as markers."""
    joins = {
        "type": "scatter",
        **traces.path_points(np.stack([noisy, predictions])),  # (2, N, 2): a segment per particle
        "mode": "lines",
        "name": "particle to its prediction",
        "line": {"color": JOIN_COLOUR, "width": 1},
        **traces.NO_HOVER,
    }
    data = [
        traces.density_line(density, grid),
        joins,
        traces.cloud_trace(noisy, NOISY_COLOUR, 4.0, "noisy particles x_t"),
        traces.cloud_trace(predictions, PREDICTION_COLOUR, 5.0, "predictions E[x₀ | x_t]"),
    ]
    layout = {"height": height, "margin": MARGIN, "showlegend": False}
    return {"data": data, "layout": {**traces.panels_layout(1, extent), **layout}}
