"""The animated particle clouds: one or more panels sharing a play button and a time slider, as a
plain plotly.js figure dict ``{"data", "layout", "frames"}`` (numpy arrays in, no Streamlit).

Still charts are in ``lessons/still_figures.py``; both are built from ``lessons/traces.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lessons import traces
from lessons.traces import CLOUD, COLOURS, CONTOUR_LEVELS, SVG_LIMIT

__all__ = [
    "CLOUD",
    "COLOURS",
    "CONTOUR_LEVELS",
    "FRAME_MS",
    "SLOW_FRAME_MS",
    "SVG_LIMIT",
    "Panel",
    "cloud_animation",
]

FRAME_MS = 15  # playback: plotly.js waits > 15 ms, so a frame at every 60 Hz refresh the browser can draw
SLOW_FRAME_MS = 150  # "Slow": about 7 frames per second, to talk over


@dataclass(frozen=True)
class Panel:
    """One animated particle cloud: ``xs`` (F, N, 2) float32 drawn in ``colour``.

    ``density`` is the exact p_t on the grid, uint8 (F, G, G) per frame or (G, G) when it does not
    change; ``arrows`` (F, M, 2) are display-scaled vectors at ``arrow_origins`` (M, 2); the first
    ``traced`` particles have their paths drawn: the last ``tail`` frames of each, fading, or the
    whole history when ``tail`` is None.
    """

    title: str
    xs: np.ndarray
    colour: str
    density: np.ndarray | None = None
    arrows: np.ndarray | None = None
    arrow_origins: np.ndarray | None = None
    traced: int = 0
    tail: int | None = None


def cloud_animation(
    panels: Sequence[Panel],
    frame_labels: Sequence[str],
    *,
    extent: float,
    grid: np.ndarray,
    height: int = 560,
    marker_size: float = 4.0,
) -> dict:
    """Side-by-side animated clouds sharing one play button and one time slider.

    ``frame_labels`` (F,) label the slider; ``grid`` (G,) is the density grid on both axes; axes
    span [−extent, extent] with equal aspect in every panel.
    """
    layers = [_panel_layers(panel, grid, marker_size) for panel in panels]
    flat = [layer for group in layers for layer in group]
    animated = [i for i, layer in enumerate(flat) if layer.frame is not None]
    redraw = any(flat[i].base["type"] == "scattergl" for i in animated)  # SVG moves without a redraw
    return {
        "data": [
            traces.on_panel(layer.base, column) for column, group in enumerate(layers) for layer in group
        ],
        "layout": {
            **traces.titled_row(len(panels), extent, [p.title for p in panels], height),
            "updatemenus": [_play_pause(redraw)],
            "sliders": [_time_slider(frame_labels, redraw)],
        },
        "frames": [
            {"name": str(k), "data": [flat[i].frame(k) for i in animated], "traces": animated}
            for k in range(len(frame_labels))
        ],
    }


@dataclass(frozen=True)
class _Layer:
    """A trace of a panel: drawn once from ``base``; ``frame(k)``, if any, gives only what changes at
    frame k (plotly merges a frame's trace into the drawn one, so frames stay small)."""

    base: dict
    frame: Callable[[int], dict] | None = None


def _panel_layers(panel: Panel, grid: np.ndarray, marker_size: float) -> list[_Layer]:
    layers, xs = [], panel.xs
    if panel.density is not None:
        layers.append(_contour_layer(panel.density, grid))
    if panel.arrows is not None:
        arrows, origins = panel.arrows, panel.arrow_origins
        layers.append(
            _Layer(
                traces.arrow_trace(origins, arrows[0], COLOURS["reference"], "field"),
                lambda k: {"type": "scatter", **traces.arrow_points(origins, arrows[k])},
            )
        )
    cloud = traces.cloud_trace(xs[0], panel.colour, marker_size, panel.title)
    layers.append(_Layer(cloud, lambda k: {"type": cloud["type"], "x": xs[k, :, 0], "y": xs[k, :, 1]}))
    if panel.traced:
        traced = xs[:, : panel.traced]  # (F, M, 2)
        layers += [
            _Layer(
                traces.paths_trace(traced[:1], fading=panel.tail is not None), _path_frame(traced, panel.tail)
            ),
            _Layer(
                traces.heads_trace(traced[0]),
                lambda k: {"type": "scatter", "x": traced[k, :, 0], "y": traced[k, :, 1]},
            ),
        ]
    return layers


def _path_frame(traced: np.ndarray, tail: int | None) -> Callable[[int], dict]:
    """Frame k of the traced paths (F, M, 2): their whole history up to k, or its last ``tail``
    positions with the fading markers of their length."""
    if tail is None:
        return lambda k: {"type": "scatter", **traces.path_points(traced[: k + 1])}

    def recent(k: int) -> dict:
        window = traced[max(0, k + 1 - tail) : k + 1]
        marker = traces.tail_marker(len(window), traced.shape[1])
        return {"type": "scatter", **traces.path_points(window), "marker": marker}

    return recent


def _contour_layer(density: np.ndarray, grid: np.ndarray) -> _Layer:
    """The contour lines of the density, following the frames if density is (F, G, G)."""
    if density.ndim == 2:
        return _Layer(traces.density_line(density, grid))
    return _Layer(
        traces.density_line(density[0], grid),
        lambda k: {"type": "scatter", **traces.contour_points(density[k], grid)},
    )


def _play_pause(redraw: bool) -> dict:
    """The Play row: Play, Slow and Pause. In the app, lessons/chart.js adds the frame-step buttons
    ◀ 1 / 1 ▶ (plotly.js buttons cannot step by one frame themselves) and places this row and the time
    slider for the chart's width; a figure saved as HTML has these three and the slider beside them."""

    def play(frame_ms: int) -> dict:
        return {
            "frame": {"duration": frame_ms, "redraw": redraw},
            "fromcurrent": True,
            "transition": {"duration": 0},
        }

    pause = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate", "transition": {"duration": 0}}
    return {
        "type": "buttons",
        "direction": "left",
        "x": 0.0,
        "y": -0.02,
        "xanchor": "left",
        "yanchor": "top",
        "pad": {"t": 30, "r": 10},
        "showactive": False,
        "buttons": [
            {"label": "▶ Play", "method": "animate", "args": [None, play(FRAME_MS)]},
            {"label": "▶ Slow", "method": "animate", "args": [None, play(SLOW_FRAME_MS)]},
            {"label": "❚❚ Pause", "method": "animate", "args": [[None], pause]},
        ],
    }


def _time_slider(labels: Sequence[str], redraw: bool) -> dict:
    jump = {"frame": {"duration": 0, "redraw": redraw}, "mode": "immediate", "transition": {"duration": 0}}
    return {
        "active": 0,
        "x": 0.3,
        "len": 0.7,
        "y": -0.02,
        "yanchor": "top",
        "pad": {"t": 30},
        "font": {"color": "rgba(0,0,0,0)"},  # no tick labels: dozens of them overlap
        "currentvalue": {  # on the right: on a narrow chart a label on the left runs into the buttons
            "visible": True,
            "xanchor": "right",
            "font": {"size": 14, "color": COLOURS["reference"]},
        },
        "steps": [
            {"label": label, "method": "animate", "args": [[str(k)], jump]} for k, label in enumerate(labels)
        ],
    }
