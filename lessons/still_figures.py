"""Charts that do not animate, as plain plotly.js figure dicts: line charts of readouts, the drift
arrows of the splitting lesson, the home page's triangle, the learned-score comparison, and rows of
clouds (the drawing canvas is lessons/drawing.py). Arrays in, dicts out, no Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lessons import traces
from lessons.traces import COLOURS

MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}


def line_chart(
    x: np.ndarray,
    series: dict[str, tuple[np.ndarray, str]],
    *,
    x_title: str,
    y_title: str,
    reference: tuple[str, float] | None = None,
    height: int = 260,
) -> dict:
    """Lines ``series[name] = (y (F,), colour)`` against ``x`` (F,), with an optional dashed level."""
    layout = {
        "height": height,
        "margin": MARGIN,
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": 1.15},
    }
    lines = [_line(x, values, name, {"color": colour}) for name, (values, colour) in series.items()]
    if reference is not None:  # a dashed level across the plot, named in the legend (no label on the lines)
        label, level = reference
        dashed = {"dash": "dash", "color": COLOURS["reference"]}
        lines.append(_line(np.array([x[0], x[-1]]), np.full(2, level), label, dashed))
    return {"data": lines, "layout": layout}


def _line(x: np.ndarray, y: np.ndarray, name: str, style: dict) -> dict:
    return {"type": "scatter", "x": x, "y": y, "name": name, "mode": "lines", "line": style}


def drift_arrows(
    x: np.ndarray,
    drifts: dict[str, tuple[np.ndarray, str]],
    *,
    extent: float,
    grid: np.ndarray,
    density: np.ndarray,
    height: int = 560,
) -> dict:
    """A cloud x (N, 2) over its density (G, G), with arrows ``drifts[name] = (v (M, 2), colour)``
    drawn from the first M particles (vectors already scaled for display)."""
    carriers = max((len(vectors) for vectors, _ in drifts.values()), default=0)
    arrows = [
        traces.arrow_trace(x[: len(vectors)], vectors, colour, name, width=2.5)
        for name, (vectors, colour) in drifts.items()
    ]
    data = [
        traces.density_line(density, grid),
        traces.cloud_trace(x, COLOURS["reference"], 4.0, "particles"),
        *arrows,
        traces.cloud_trace(x[:carriers], COLOURS["traced"], 9.0, "particles with arrows"),
    ]
    layout = {"height": height, "margin": MARGIN, "showlegend": False}  # its legend: drift_legend, as HTML
    return {"data": data, "layout": {**traces.panels_layout(1, extent), **layout}}


def drift_legend(drifts: dict[str, str]) -> list[tuple[str, str, str]]:
    """The entries (label, colour, "line" | "dot") of drift_arrows' legend, drawn beside the chart as
    text that wraps (plotly.js's legend covers the plot once it wraps, on a narrow or projected chart)."""
    return [
        ("particles", COLOURS["reference"], "dot"),
        ("particles with arrows", COLOURS["traced"], "dot"),
        *((label, colour, "line") for label, colour in drifts.items()),
    ]


TRIANGLE_CORNERS = (  # (x domain, y domain, colour, title) of the three clouds
    ((0.0, 0.3), (0.0, 0.48), COLOURS["data"], "a cloud from p at time t"),
    ((0.35, 0.65), (0.52, 1.0), COLOURS["forward"], "after a forward step: p at t + h"),
    ((0.7, 1.0), (0.0, 0.48), COLOURS["backward"], "after a backward step: p at t again"),
)
TRIANGLE_ARROWS = (  # (tail, head, colour, label, label's (x, y, side)), in the canvas's [0, 1]² coordinates
    (
        (0.3, 0.36),
        (0.4, 0.64),
        COLOURS["forward"],
        "forward step:<br>exact OU transition",
        (0.33, 0.52, "right"),
    ),
    (
        (0.6, 0.64),
        (0.7, 0.36),
        COLOURS["backward"],
        "backward step: exact draw<br>from p(x<sub>t</sub> | x<sub>t+h</sub>)",
        (0.67, 0.52, "left"),
    ),
    (
        (0.3, 0.1),
        (0.7, 0.1),
        COLOURS["langevin"],
        "together: p at t unchanged, as by one Langevin step",
        (0.5, 0.12, "center"),
    ),
)


def split_triangle(
    cloud: np.ndarray,
    after_forward: np.ndarray,
    after_backward: np.ndarray,
    density_t: np.ndarray,
    density_th: np.ndarray,
    *,
    extent: float,
    grid: np.ndarray,
) -> dict:
    """Three clouds (N, 2) at the corners of a triangle: p_t, then p_{t+h} after the forward step, then
    p_t again after the backward step; arrows name the steps and the identity they add up to."""
    clouds = ((cloud, density_t), (after_forward, density_th), (after_backward, density_t))
    data, annotations = [], []
    overlay = {"domain": [0, 1], "range": [0, 1], "visible": False, "fixedrange": True}  # the whole canvas,
    # for the arrows: its own pair of axes (an overlaying y axis takes the first panel's domain)
    layout = {"xaxis4": {**overlay, "anchor": "y4"}, "yaxis4": {**overlay, "anchor": "x4"}}
    for index, ((points, density), (x_domain, y_domain, colour, title)) in enumerate(
        zip(clouds, TRIANGLE_CORNERS, strict=True)
    ):
        suffix = traces.axis_suffix(index)
        data += [
            traces.on_panel(traces.density_line(density, grid), index),
            traces.on_panel(traces.cloud_trace(points, colour, 3.0, title), index),
        ]
        hidden = {"range": [-extent, extent], "visible": False}
        layout[f"xaxis{suffix}"] = {"domain": x_domain, **hidden}
        layout[f"yaxis{suffix}"] = {
            "domain": y_domain,
            **hidden,
            "scaleanchor": f"x{suffix}",
            "constrain": "domain",
        }
        annotations.append(_paper_text(title, sum(x_domain) / 2, y_domain[1], yanchor="bottom"))
    for (x0, y0), (x1, y1), colour, label, (label_x, label_y, side) in TRIANGLE_ARROWS:
        annotations.append(
            {
                **{
                    "x": x1,
                    "y": y1,
                    "ax": x0,
                    "ay": y0,
                    "xref": "x4",
                    "yref": "y4",
                    "axref": "x4",
                    "ayref": "y4",
                },
                **{"showarrow": True, "arrowhead": 3, "arrowwidth": 3, "arrowcolor": colour, "text": ""},
            }
        )
        annotations.append(
            _paper_text(label, label_x, label_y, colour=colour, xanchor=side, yanchor="bottom", align=side)
        )
    layout |= {"annotations": annotations, "height": 620, "showlegend": False, "margin": MARGIN}
    return {"data": data, "layout": layout}


def _paper_text(text: str, x: float, y: float, *, colour: str | None = None, **anchors: str) -> dict:
    """A label at (x, y) of the whole canvas."""
    font = {"size": 14, **({"color": colour} if colour else {})}
    return {
        "text": text,
        "x": x,
        "y": y,
        "xref": "paper",
        "yref": "paper",
        "showarrow": False,
        "font": font,
    } | anchors


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
) -> dict:
    """Exact score arrows, learned score arrows (both (M, 2) at origins (M, 2), over the density
    (G, G)), and the error ‖s_θ − s‖ weighted by p_t (G, G) as a heatmap; three equal-aspect panels."""
    titles = ["exact score s_t", "learned score s_θ", "error ‖s_θ − s_t‖ × p_t"]
    data = []
    for column, (vectors, colour) in enumerate(
        [(exact, COLOURS["langevin"]), (learned, COLOURS["backward"])]
    ):
        data.append(traces.on_panel(traces.density_line(density, grid), column))
        data.append(traces.on_panel(traces.arrow_trace(origins, vectors, colour, titles[column]), column))
    error = {
        "type": "heatmap",
        "x": grid,
        "y": grid,
        "z": weighted_error,
        "colorscale": "Cividis",
        "zmin": 0,
        "showscale": True,
        "zsmooth": "best",
        "colorbar": {
            "thickness": 12,
            "len": 0.8,
            "y": 1,
            "yanchor": "top",
        },  # beside the panel, under its title
        "hovertemplate": "error × p_t: %{z:.3f}<extra></extra>",
    }
    return {
        "data": [*data, traces.on_panel(error, 2)],
        "layout": traces.titled_row(3, extent, titles, height),
    }


def cloud_row(
    clouds: Sequence[np.ndarray],
    titles: Sequence[str],
    colour: str,
    *,
    extent: float,
    grid: np.ndarray,
    density: np.ndarray,
    height: int = 320,
) -> dict:
    """Still clouds (N, 2) side by side over the same density (G, G), one titled panel each."""
    data = []
    for column, cloud in enumerate(clouds):
        data.append(traces.on_panel(traces.density_line(density, grid), column))
        data.append(traces.on_panel(traces.cloud_trace(cloud, colour, 3.0, titles[column]), column))
    return {"data": data, "layout": traces.titled_row(len(clouds), extent, titles, height)}
