"""Lesson 5's charts: the forward cloud beside the backward cloud started from its endpoints, their
KL to the exact p_t, the distance of each backward particle to its own forward partner, the forward
cloud's divergence from N(0, I), and the grid picture. Pure: runs and readouts in, plotly.js figure
dicts out, no Streamlit.
"""

from __future__ import annotations

import numpy as np

from lessons import figures, readout_figures, simulate, still_figures, traces
from lessons.duality_model import KL_NAMES, DualityReadouts, DualityRun
from lessons.grid_picture import ROWS, GridPicture
from lessons.lesson_figures import time_labels, trail
from lessons.settings import Settings
from lessons.traces import COLOURS

KL_COLOURS = dict(zip(KL_NAMES, (COLOURS["forward"], COLOURS["backward"], COLOURS["data"]), strict=True))
ROW_COLOURS = (COLOURS["forward"], COLOURS["langevin"], COLOURS["backward"])
TIME_AXIS = "forward time t"


def duality_figure(run: DualityRun, settings: Settings) -> dict:
    """Forward cloud at t beside the backward cloud at t′ = T − t (started from the forward cloud's
    endpoints), one frame per t."""
    density = run.density if settings.show_density else None
    paths = {"traced": simulate.TRACED if settings.show_paths else 0, "tail": trail(settings)}
    panels = [
        figures.Panel("forward, from the data", run.forward, COLOURS["forward"], density, **paths),
        figures.Panel("backward, from the forward x_T", run.backward, COLOURS["backward"], density, **paths),
    ]
    return figures.cloud_animation(
        panels, time_labels(run.times, settings.t_end), extent=simulate.EXTENT, grid=simulate.GRID, height=480
    )


def kl_figure(readouts: DualityReadouts) -> dict:
    """KL of each cloud to the exact p_t over t, bias removed, over the band of exact clouds."""
    series = {name: (values, KL_COLOURS[name]) for name, values in readouts.kl.items()}
    chart = readout_figures.kl_chart(
        readouts.kl_times, series, readouts.margin, x_title=TIME_AXIS, height=320
    )
    return _legend_above(chart)


def partner_figure(run: DualityRun, readouts: DualityReadouts) -> dict:
    """Mean distance from each backward particle to its own forward partner and to a random one."""
    colours = (COLOURS["backward"], COLOURS["reference"])
    series = {
        f"to its {name}": (values, colour)
        for (name, values), colour in zip(readouts.partner.items(), colours, strict=True)
    }
    chart = still_figures.line_chart(
        run.times, series, x_title=TIME_AXIS, y_title="mean distance, backward to forward", height=280
    )
    return _legend_above(chart)


def convergence_figure(run: DualityRun, readouts: DualityReadouts) -> dict:
    """KL(p_t ‖ N(0, I)) over t: exact (Monte Carlo on p_t) and the part its mean and covariance carry
    (closed form, a lower bound) at every frame, and from the forward cloud at the measured frames."""
    result = readouts.convergence
    series = {
        "exact p_t (Monte Carlo)": (result.exact, COLOURS["reference"]),
        "mean and covariance alone (closed form)": (result.moments, COLOURS["langevin"]),
    }
    chart = still_figures.line_chart(
        run.times, series, x_title=TIME_AXIS, y_title="KL to N(0, I) (nats)", height=300
    )
    measured = {
        "type": "scatter",
        "x": readouts.kl_times,
        "y": result.measured,
        "name": "forward cloud (bias removed)",
        "mode": "markers",
        "marker": {"color": COLOURS["forward"], "size": 7},
    }
    return _legend_above({**chart, "data": [measured, *chart["data"]]})


def _legend_above(figure: dict) -> dict:
    """The legend in rows above the plot, in the room it takes (a wrapped legend covered the lines)."""
    legend = {
        "orientation": "h",
        "x": 0,
        "xanchor": "left",
        "y": 1.02,
        "yanchor": "bottom",
        "traceorder": "normal",
    }
    return {**figure, "layout": {**figure["layout"], "legend": legend}}


GRID_GAP_X, GRID_GAP_Y, GRID_TOP = 0.07, 0.07, 0.06  # of the canvas: room for arrows and titles


def grid_figure(picture: GridPicture, *, extent: float, grid: np.ndarray, height: int = 600) -> dict:
    """The grid picture: one small cloud (n, 2) per cell over its column's density, forward arrows
    along the top row, Langevin arrows down each column, backward arrows along the bottom row."""
    rows, columns = picture.clouds.shape[:2]
    boxes = _grid_boxes(rows, columns)
    data, layout = [], {}
    for index, ((row, column), (x_domain, y_domain)) in enumerate(boxes.items()):
        cloud, colour = picture.clouds[row, column], ROW_COLOURS[row]
        data += [
            traces.on_panel(traces.density_line(picture.densities[column], grid), index),
            traces.on_panel(
                traces.cloud_trace(cloud, colour, 2.5, f"{ROWS[row]}, t = {picture.times[column]:.2f}"), index
            ),
        ]
        layout |= _cell_axes(index, x_domain, y_domain, extent)
    overlay = len(boxes) + 1  # the whole canvas in [0, 1]², for the arrows
    canvas = {"domain": [0, 1], "range": [0, 1], "visible": False, "fixedrange": True}
    layout |= {
        f"xaxis{overlay}": {**canvas, "anchor": f"y{overlay}"},
        f"yaxis{overlay}": {**canvas, "anchor": f"x{overlay}"},
    }
    data.append(
        {
            "type": "scatter",
            "x": [],
            "y": [],
            "xaxis": f"x{overlay}",
            "yaxis": f"y{overlay}",
            **traces.NO_HOVER,
        }
    )
    annotations = [*_grid_arrows(boxes, rows, columns, overlay), *_grid_titles(picture.times, boxes, rows)]
    margin = {"l": 30, "r": 10, "t": 10, "b": 10}
    return {
        "data": data,
        "layout": layout
        | {"annotations": annotations, "height": height, "showlegend": False, "margin": margin},
    }


def _grid_boxes(
    rows: int, columns: int
) -> dict[tuple[int, int], tuple[tuple[float, float], tuple[float, float]]]:
    """(row, column) -> (x domain, y domain) of each cell, rows from the top."""
    width = (1 - GRID_GAP_X * (columns - 1)) / columns
    height = (1 - GRID_TOP - GRID_GAP_Y * (rows - 1)) / rows
    boxes = {}
    for row in range(rows):
        top = 1 - GRID_TOP - row * (height + GRID_GAP_Y)
        for column in range(columns):
            left = column * (width + GRID_GAP_X)
            boxes[row, column] = ((left, left + width), (top - height, top))
    return boxes


def _cell_axes(
    index: int, x_domain: tuple[float, float], y_domain: tuple[float, float], extent: float
) -> dict:
    suffix = traces.axis_suffix(index)
    hidden = {"range": [-extent, extent], "visible": False}
    return {
        f"xaxis{suffix}": {"domain": list(x_domain), **hidden},
        f"yaxis{suffix}": {
            "domain": list(y_domain),
            **hidden,
            "scaleanchor": f"x{suffix}",
            "constrain": "domain",
        },
    }


def _grid_arrows(boxes: dict, rows: int, columns: int, overlay: int) -> list[dict]:
    """Forward → along the top row, Langevin ↓ down each column (and into the bottom-right cell),
    backward ← along the bottom row, in the overlay's canvas coordinates."""

    def middle(row: int, column: int) -> tuple[float, float]:
        (x0, x1), (y0, y1) = boxes[row, column]
        return (x0 + x1) / 2, (y0 + y1) / 2

    arrows = []
    for column in range(columns - 1):
        (_, right), _ = boxes[0, column]
        (left, _), _ = boxes[0, column + 1]
        y_top, y_bottom = middle(0, column)[1], middle(rows - 1, column)[1]
        arrows.append(((right, y_top), (left, y_top), ROW_COLOURS[0]))
        arrows.append(((left, y_bottom), (right, y_bottom), ROW_COLOURS[-1]))
    for column in range(columns):
        for row in range(rows - 1 if column == columns - 1 else rows - 2):
            x = middle(row, column)[0]
            arrows.append(((x, boxes[row, column][1][0]), (x, boxes[row + 1, column][1][1]), ROW_COLOURS[1]))
    refs = {"xref": f"x{overlay}", "yref": f"y{overlay}", "axref": f"x{overlay}", "ayref": f"y{overlay}"}
    return [
        {
            "x": x1,
            "y": y1,
            "ax": x0,
            "ay": y0,
            **refs,
            "showarrow": True,
            "arrowhead": 3,
            "arrowwidth": 2.5,
            "arrowcolor": colour,
            "text": "",
        }
        for (x0, y0), (x1, y1), colour in arrows
    ]


def _grid_titles(times: np.ndarray, boxes: dict, rows: int) -> list[dict]:
    """The column times above the top row, the row names along the left edge."""
    paper = {"xref": "paper", "yref": "paper", "showarrow": False, "font": {"size": 13}}
    titles = [
        {**paper, "text": f"t = {t:.2f}", "x": sum(boxes[0, column][0]) / 2, "y": 1.0, "yanchor": "top"}
        for column, t in enumerate(times)
    ]
    titles += [
        {
            **paper,
            "text": ROWS[row],
            "x": 0,
            "y": sum(boxes[row, 0][1]) / 2,
            "xanchor": "right",
            "textangle": -90,
            "font": {"size": 12, "color": ROW_COLOURS[row]},
        }
        for row in range(rows)
    ]
    return titles
