"""Plotly figure builders for the lessons: numpy arrays in, ``go.Figure`` out, no Streamlit.

Colours are Okabe–Ito (colour-blind safe) mid-tones that read on both the light and the dark theme;
backgrounds, fonts and grids are left to Streamlit's theme. Every particle plot has fixed axis
ranges and an equal aspect ratio over all its frames.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from lessons import contours

COLOURS = {
    "forward": "#0072B2",  # blue
    "backward": "#D55E00",  # vermillion
    "langevin": "#009E73",  # bluish green
    "data": "#CC79A7",  # reddish purple
    "traced": "#E69F00",  # orange
    "reference": "#888888",  # grey: exact values, noise floors
}
# Densities are drawn as contour lines of √(p / max p) (the uint8 image / 255) at these levels: unlike
# a heatmap, lines follow the frames without a full redraw. All levels share one trace per panel:
# plotly.js goes over every trace's attributes on every frame (three traces played ≈ 10 % slower).
CONTOUR_LEVELS = (0.25, 0.5, 0.75)
CONTOUR_WIDTH = 1.5
SVG_LIMIT = 2500  # particles per panel drawn as SVG (smooth playback); more go to WebGL (full redraws)
FRAME_MS = 15  # playback: plotly.js waits > 15 ms, so a frame at every 60 Hz refresh the browser can draw
SLOW_FRAME_MS = 150  # "Slow": about 7 frames per second, to talk over
CLOUD = "particles"  # the ``meta`` of every particle-cloud trace, whichever way it is drawn
HEAD = 0.3  # arrowhead length as a fraction of the arrow


@dataclass(frozen=True)
class Panel:
    """One animated particle cloud: ``xs`` (F, N, 2) float32 drawn in ``colour``.

    ``density`` is the exact p_t on the grid, uint8 (F, G, G) per frame or (G, G) when it does not
    change; ``arrows`` (F, M, 2) are display-scaled vectors at ``arrow_origins`` (M, 2); the first
    ``traced`` particles have their paths drawn.
    """

    title: str
    xs: np.ndarray
    colour: str
    density: np.ndarray | None = None
    arrows: np.ndarray | None = None
    arrow_origins: np.ndarray | None = None
    traced: int = 0


def cloud_animation(
    panels: Sequence[Panel],
    frame_labels: Sequence[str],
    *,
    extent: float,
    grid: np.ndarray,
    height: int = 560,
    marker_size: float = 4.0,
) -> go.Figure:
    """Side-by-side animated clouds sharing one play button and one time slider.

    ``frame_labels`` (F,) label the slider; ``grid`` (G,) is the density grid on both axes; axes
    span [−extent, extent] with equal aspect in every panel.
    """
    layers = [_panel_layers(panel, grid, marker_size) for panel in panels]
    flat = [layer for group in layers for layer in group]  # frames: plain data, not re-validated
    animated = [i for i, layer in enumerate(flat) if layer.frame is not None]
    redraw = any(flat[i].base.type == "scattergl" for i in animated)  # SVG moves without a redraw
    figure = go.Figure(
        data=[_on_panel(layer.base, column) for column, group in enumerate(layers) for layer in group],
        layout={
            **_titled_row(len(panels), extent, [p.title for p in panels], height),
            "updatemenus": [_play_pause(redraw)],
            "sliders": [_time_slider(frame_labels, redraw)],
        },
    )
    _set_frames(
        figure,
        [
            go.Frame(name=str(k), data=[flat[i].frame(k) for i in animated], traces=animated, _validate=False)
            for k in range(len(frame_labels))
        ],
    )
    return figure


def _set_frames(figure: go.Figure, frames: list[go.Frame]) -> None:
    """``figure.frames = frames`` without plotly validating every array of every frame again.

    The public setter re-builds each frame with validation, about half of an animation's build time
    (≈ 25 ms at the defaults, on every rerun). These frames are plain data built above, whose
    traces were validated as the figure's base traces; tests check the serialised result.
    """
    figure._frame_objs = tuple(frames)


def line_chart(
    x: np.ndarray,
    series: dict[str, tuple[np.ndarray, str]],
    *,
    x_title: str,
    y_title: str,
    reference: tuple[str, float] | None = None,
    height: int = 260,
) -> go.Figure:
    """Lines ``series[name] = (y (F,), colour)`` against ``x`` (F,), with an optional dashed level."""
    layout = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": 1.15},
    }
    if reference is not None:  # a dashed level across the plot, labelled at its right end
        label, level = reference
        across = {"xref": "x domain", "yref": "y"}
        layout["shapes"] = [
            {
                "type": "line",
                **across,
                "x0": 0,
                "x1": 1,
                "y0": level,
                "y1": level,
                "line": {"dash": "dash", "color": COLOURS["reference"]},
            }
        ]
        layout["annotations"] = [
            {
                "text": label,
                **across,
                "x": 1,
                "y": level,
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
            }
        ]
    series_lines = [
        go.Scatter(x=x, y=values, name=name, mode="lines", line={"color": colour})
        for name, (values, colour) in series.items()
    ]
    return go.Figure(data=series_lines, layout=layout)


def drift_arrows(
    x: np.ndarray,
    drifts: dict[str, tuple[np.ndarray, str]],
    *,
    extent: float,
    grid: np.ndarray,
    density: np.ndarray,
    height: int = 560,
) -> go.Figure:
    """A cloud x (N, 2) over its density (G, G), with arrows ``drifts[name] = (v (M, 2), colour)``
    drawn from the first M particles (vectors already scaled for display)."""
    carriers = max((len(vectors) for vectors, _ in drifts.values()), default=0)
    arrows = [
        _arrow_trace(x[: len(vectors)], vectors, colour, name).update(line_width=2.5)
        for name, (vectors, colour) in drifts.items()
    ]
    traces = [
        _density_line(density, grid),
        _cloud_trace(x, COLOURS["reference"], 4.0, "particles"),
        *arrows,
        _cloud_trace(x[:carriers], COLOURS["traced"], 9.0, "particles with arrows"),
    ]
    layout = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "legend": {"orientation": "h", "y": 1.06},
    }
    return go.Figure(data=traces, layout={**_panels_layout(1, extent), **layout})


@dataclass(frozen=True)
class _Layer:
    """A trace of a panel: drawn once from ``base``; ``frame(k)``, if any, gives only what changes at
    frame k (plotly merges a frame's trace into the drawn one, so frames stay small)."""

    base: go.Scatter | go.Scattergl
    frame: Callable[[int], dict] | None = None


def _panel_layers(panel: Panel, grid: np.ndarray, marker_size: float) -> list[_Layer]:
    layers, xs = [], panel.xs
    if panel.density is not None:
        layers.append(_contour_layer(panel.density, grid))
    if panel.arrows is not None:
        arrows, origins = panel.arrows, panel.arrow_origins
        layers.append(
            _Layer(
                _arrow_trace(origins, arrows[0], COLOURS["reference"], "field"),
                lambda k: {"type": "scatter", **_arrow_points(origins, arrows[k])},
            )
        )
    cloud = _cloud_trace(xs[0], panel.colour, marker_size, panel.title)
    layers.append(_Layer(cloud, lambda k: {"type": cloud.type, "x": xs[k, :, 0], "y": xs[k, :, 1]}))
    if panel.traced:
        traced = xs[:, : panel.traced]  # (F, M, 2)
        layers += [
            _Layer(_paths_trace(traced[:1]), lambda k: {"type": "scatter", **_path_points(traced[: k + 1])}),
            _Layer(
                _heads_trace(traced[0]),
                lambda k: {"type": "scatter", "x": traced[k, :, 0], "y": traced[k, :, 1]},
            ),
        ]
    return layers


def _contour_layer(density: np.ndarray, grid: np.ndarray) -> _Layer:
    """The contour lines at every level of CONTOUR_LEVELS in one trace, following the frames if density
    is (F, G, G)."""
    animated = density.ndim == 3

    def lines(k: int) -> dict:
        image = density[k] if animated else density
        lines_per_level = [
            contours.cached_contour_lines(image, grid, 255 * level) for level in CONTOUR_LEVELS
        ]
        x, y = (np.concatenate(part).astype(np.float32) for part in zip(*lines_per_level, strict=True))
        return {"type": "scatter", "x": x, "y": y}

    peaks = ", ".join(f"{level**2:.0%}" for level in CONTOUR_LEVELS)
    base = go.Scatter(
        **lines(0),
        mode="lines",
        name=f"exact p_t: contours at {peaks} of its peak",
        line={"color": COLOURS["reference"], "width": CONTOUR_WIDTH},
        hoverinfo="skip",
        showlegend=False,
    )
    return _Layer(base, lines if animated else None)


def _density_line(density: np.ndarray, grid: np.ndarray) -> go.Scatter:
    """A still density (G, G) drawn like the animated ones: contour lines (a heatmap is slower to draw)."""
    return _contour_layer(density, grid).base


def _cloud_trace(points: np.ndarray, colour: str, size: float, name: str) -> go.Scatter | go.Scattergl:
    """Points (N, 2) as markers: SVG up to SVG_LIMIT (no WebGL context to set up), WebGL above."""
    return (go.Scattergl if len(points) > SVG_LIMIT else go.Scatter)(
        x=points[:, 0],
        y=points[:, 1],
        mode="markers",
        name=name,
        marker={"size": size, "color": colour, "opacity": 0.7},
        hovertemplate="(%{x:.2f}, %{y:.2f})<extra></extra>",
        meta=CLOUD,
    )


def _paths_trace(paths: np.ndarray) -> go.Scatter:
    """Paths of a few particles, (k+1, M, 2) -> one trace of lines, gap-separated."""
    return go.Scatter(
        **_path_points(paths),
        mode="lines",
        name="traced particles",
        line={"color": COLOURS["traced"], "width": 2},
        hoverinfo="skip",
    )


def _heads_trace(heads: np.ndarray) -> go.Scatter:
    """Where the traced particles are now, (M, 2): a dot at the end of each path."""
    return go.Scatter(
        x=heads[:, 0],
        y=heads[:, 1],
        mode="markers",
        name="traced particles, now",
        marker={"color": COLOURS["traced"], "size": 9},
        hoverinfo="skip",
    )


def _path_points(paths: np.ndarray) -> dict:
    """x, y of paths (k+1, M, 2), one after another with a gap after each;  -> M (k+2) points."""
    count = paths.shape[1]
    gaps = np.full((1, count, 2), np.nan, dtype=paths.dtype)
    joined = np.concatenate([paths, gaps]).transpose(1, 0, 2).reshape(-1, 2)  # (M (k+2), 2)
    return {"x": joined[:, 0], "y": joined[:, 1]}


def _arrow_trace(origins: np.ndarray, vectors: np.ndarray, colour: str, name: str) -> go.Scatter:
    """Arrows from origins (M, 2) along vectors (M, 2)."""
    return go.Scatter(
        **_arrow_points(origins, vectors),
        mode="lines",
        name=name,
        line={"color": colour, "width": 1.5},
        hoverinfo="skip",
    )


def _arrow_points(origins: np.ndarray, vectors: np.ndarray) -> dict:
    """x, y of arrows: a shaft and two head strokes each, gap-separated;  (M, 2), (M, 2) -> 7 M points."""
    tips = origins + vectors
    back = -HEAD * vectors
    side = HEAD * 0.5 * np.stack([-vectors[:, 1], vectors[:, 0]], -1)
    gap = np.full_like(origins, np.nan)
    points = np.stack([origins, tips, gap, tips + back + side, tips, tips + back - side, gap], 1)
    points = points.reshape(-1, 2).astype(np.float32)  # (7 M, 2)
    return {"x": points[:, 0], "y": points[:, 1]}


def _panels_layout(count: int, extent: float, titles: Sequence[str] = (), spacing: float = 0.03) -> dict:
    """Layout of ``count`` panels side by side, each with fixed ranges [−extent, extent], equal aspect
    and its title above it: make_subplots' domains and titles in one dict (plotly validates it once),
    with each panel raised to the top of its cell when the cell is taller than wide. One title per
    panel, or none."""
    if titles and len(titles) != count:
        raise ValueError(f"{len(titles)} titles for {count} panels")
    width = (1 - spacing * (count - 1)) / count
    layout: dict = {"annotations": []}
    for index in range(count):
        suffix, left = _axis_suffix(index), index * (width + spacing)
        span = {"range": [-extent, extent], "constrain": "domain", "zeroline": False}
        layout[f"xaxis{suffix}"] = {**span, "domain": [left, left + width], "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {
            **span,
            "anchor": f"x{suffix}",
            "scaleanchor": f"x{suffix}",
            "scaleratio": 1,
            "constraintoward": "top",  # a panel narrower than it is tall sits right under its title
        }
        if titles:
            layout["annotations"].append(
                {
                    "text": titles[index],
                    "x": left + width / 2,
                    "y": 1.0,
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 16},
                }
            )
    return layout


def _titled_row(count: int, extent: float, titles: Sequence[str], height: int) -> dict:
    """The layout of ``count`` titled panels side by side (_panels_layout), ``height`` px tall, with room
    above for the titles and no legend."""
    return {
        **_panels_layout(count, extent, titles),
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "showlegend": False,
    }


def _axis_suffix(index: int) -> str:
    """Plotly's name suffix for the axes of panel ``index`` (0-based): "", "2", "3", …"""
    return "" if index == 0 else str(index + 1)


def _on_panel(
    trace: go.Scatter | go.Scattergl | go.Heatmap, index: int
) -> go.Scatter | go.Scattergl | go.Heatmap:
    """``trace`` drawn on the axes of panel ``index`` (0-based)."""
    suffix = _axis_suffix(index)
    return trace.update(xaxis=f"x{suffix}", yaxis=f"y{suffix}") if index else trace


def _play_pause(redraw: bool) -> dict:
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


def split_triangle(
    cloud: np.ndarray,
    after_forward: np.ndarray,
    after_backward: np.ndarray,
    density_t: np.ndarray,
    density_th: np.ndarray,
    *,
    extent: float,
    grid: np.ndarray,
) -> go.Figure:
    """Three clouds (N, 2) at the corners of a triangle: p_t, then p_{t+h} after the forward step, then
    p_t again after the backward step; arrows name the steps and the identity they add up to."""
    corners = [  # (x domain, y domain, cloud, density, colour, title)
        ((0.0, 0.3), (0.0, 0.48), cloud, density_t, COLOURS["data"], "a cloud from p at time t"),
        (
            (0.35, 0.65),
            (0.52, 1.0),
            after_forward,
            density_th,
            COLOURS["forward"],
            "after a forward step: p at t + h",
        ),
        (
            (0.7, 1.0),
            (0.0, 0.48),
            after_backward,
            density_t,
            COLOURS["backward"],
            "after a backward step: p at t again",
        ),
    ]
    figure = go.Figure()
    for index, (x_domain, y_domain, points, density, colour, title) in enumerate(corners):
        suffix = _axis_suffix(index)
        figure.add_trace(_on_panel(_density_line(density, grid), index))
        figure.add_trace(_on_panel(_cloud_trace(points, colour, 3.0, title), index))
        figure.update_layout(
            {
                f"xaxis{suffix}": {"domain": x_domain, "range": [-extent, extent], "visible": False},
                f"yaxis{suffix}": {
                    "domain": y_domain,
                    "range": [-extent, extent],
                    "visible": False,
                    "scaleanchor": f"x{suffix}",
                    "constrain": "domain",
                },
            }
        )
        figure.add_annotation(
            text=title,
            x=sum(x_domain) / 2,
            y=y_domain[1],
            xref="paper",
            yref="paper",
            showarrow=False,
            yanchor="bottom",
            font={"size": 14},
        )
    arrows = [  # (tail, head, colour, label)
        ((0.27, 0.4), (0.4, 0.68), COLOURS["forward"], "forward step: −x dt + √2 dW"),
        ((0.6, 0.68), (0.73, 0.4), COLOURS["backward"], "backward step: (x + 2s) dt + √2 dW"),
        ((0.3, 0.1), (0.7, 0.1), COLOURS["langevin"], "together: one Langevin step, p at t unchanged"),
    ]
    overlay = {"domain": [0, 1], "range": [0, 1], "visible": False}  # the whole canvas, for the arrows
    figure.update_layout(xaxis4=overlay, yaxis4={**overlay, "overlaying": "y"})
    for (x0, y0), (x1, y1), colour, label in arrows:
        figure.add_annotation(
            x=x1,
            y=y1,
            ax=x0,
            ay=y0,
            xref="x4",
            yref="y4",
            axref="x4",
            ayref="y4",
            showarrow=True,
            arrowhead=3,
            arrowwidth=3,
            arrowcolor=colour,
            text="",
        )
        figure.add_annotation(
            x=(x0 + x1) / 2,
            y=(y0 + y1) / 2 + 0.06,
            xref="paper",
            yref="paper",
            text=label,
            showarrow=False,
            font={"size": 14, "color": colour},
        )
    figure.update_layout(height=620, showlegend=False, margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return figure


def field_comparison(
    origins: np.ndarray,
    exact: np.ndarray,
    learned: np.ndarray,
    weighted_error: np.ndarray,
    density: np.ndarray,
    *,
    extent: float,
    grid: np.ndarray,
    height: int = 360,
) -> go.Figure:
    """Exact score arrows, learned score arrows (both (M, 2) at origins (M, 2), over the density
    (G, G)), and the error ‖s_θ − s‖ weighted by p_t (G, G) as a heatmap; three equal-aspect panels."""
    titles = ["exact score s_t", "learned score s_θ", "error ‖s_θ − s_t‖ × p_t"]
    traces = []
    for column, (vectors, colour) in enumerate(
        [(exact, COLOURS["langevin"]), (learned, COLOURS["backward"])]
    ):
        traces.append(_on_panel(_density_line(density, grid), column))
        traces.append(_on_panel(_arrow_trace(origins, vectors, colour, titles[column]), column))
    error = go.Heatmap(
        x=grid,
        y=grid,
        z=weighted_error,
        colorscale="Cividis",
        zmin=0,
        showscale=True,
        zsmooth="best",
        colorbar={"thickness": 12, "len": 0.8, "y": 1, "yanchor": "top"},  # beside the panel, under its title
        hovertemplate="error × p_t: %{z:.3f}<extra></extra>",
    )
    return go.Figure(data=[*traces, _on_panel(error, 2)], layout=_titled_row(3, extent, titles, height))


def cloud_row(
    clouds: Sequence[np.ndarray],
    titles: Sequence[str],
    colour: str,
    *,
    extent: float,
    grid: np.ndarray,
    density: np.ndarray,
    height: int = 320,
) -> go.Figure:
    """Still clouds (N, 2) side by side over the same density (G, G), one titled panel each."""
    traces = []
    for column, cloud in enumerate(clouds):
        traces.append(_on_panel(_density_line(density, grid), column))
        traces.append(_on_panel(_cloud_trace(cloud, colour, 3.0, titles[column]), column))
    return go.Figure(data=traces, layout=_titled_row(len(clouds), extent, titles, height))


def drawing_canvas(grid: np.ndarray, chosen: np.ndarray, *, extent: float, height: int = 520) -> go.Figure:
    """A canvas of faint grid points (G, 2) to click, box- or lasso-select, with the chosen ones (M, 2)
    drawn on top; selection mode is on by default."""
    figure = go.Figure(
        go.Scatter(
            x=grid[:, 0],
            y=grid[:, 1],
            mode="markers",
            name="canvas",
            hoverinfo="none",
            marker={"size": 5, "color": COLOURS["reference"], "opacity": 0.25},
            selected={"marker": {"opacity": 0.25}},
            unselected={"marker": {"opacity": 0.25}},
        )
    )
    figure.add_trace(
        _cloud_trace(chosen, COLOURS["data"], 7.0, "your points").update(meta=None)
    )  # may be empty
    figure.update_layout(
        _panels_layout(1, extent),
        height=height,
        dragmode="lasso",
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    return figure
