"""Lesson 7's race chart (MATH §9): the error of each sampler against its budget of score evaluations
on log–log axes over the grey sampling-noise band (its clouds are ``figures.cloud_animation``).
Pure: arrays in, plotly.js figure dicts out, no Streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lessons import order_fit, readout_figures
from lessons.readout_figures import BAND_FILL, BAND_LABEL
from lessons.still_figures import MARGIN
from lessons.sweep_figures import BLEW_UP
from lessons.traces import COLOURS

FOOT = 0.25  # of the band: smaller errors (and negative ones, noise) are drawn there, at the chart's foot
HEADROOM = 0.12  # decades of the log axes beyond the points
NO_BREAK = "\u00a0"  # a space the legend does not wrap at
SAMPLER_COLOURS = (  # Okabe–Ito and an olive, in SAMPLER_LABELS' order: the defaults' pair (Euler–Maruyama,
    "#0072B2",  # DPM-Solver++) blue and vermillion; every colour reads on both themes
    "#56B4E9",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#D55E00",
    "#999933",
)


@dataclass(frozen=True)
class Line:
    """One sampler on one grid: errors (B,) in nats (NaN where it blew up) at evaluations (B,);
    ``fitted``: whether its legend entry gives its fitted slope (not for the exact floor)."""

    name: str
    evaluations: np.ndarray
    errors: np.ndarray
    colour: str
    dash: str = "solid"
    fitted: bool = True


def race_figure(
    lines: Sequence[Line], *, band: float, budget: int, ladder: Sequence[int], height: int = 340
) -> dict:
    """Every line on log–log axes over the band below ``band``, a dotted line at the chosen
    ``budget``, x ticks at the ``ladder``'s budgets; errors below FOOT × band sit at the foot (their
    hover says the value); a cross at the top where a run blew up. No legend in the chart: it is
    ``legend_entries``, drawn beside it as text that wraps."""
    foot = FOOT * band
    x_range = _x_range(lines, budget)
    y_range = _y_range(lines, foot, band)
    data = [*readout_figures.log_band(x_range, y_range[0], band), *(_line(line, foot) for line in lines)]
    blown = [
        (x, line.name)
        for line in lines
        for x, e in zip(line.evaluations, line.errors, strict=True)
        if np.isnan(e)
    ]
    if blown:
        data.append(_blown_up(blown, 10 ** (y_range[1] - HEADROOM / 2)))
    ticks = [b for b in ladder if 10 ** x_range[0] <= b <= 10 ** x_range[1]]
    layout = {
        "height": height,
        "margin": MARGIN,
        "xaxis": {
            "title": {"text": "score evaluations (log scale)"},
            "type": "log",
            "range": list(x_range),
            "tickvals": ticks,
            "ticktext": [str(x) for x in ticks],
        },
        "yaxis": {
            "title": {"text": "KL to p₀ (nats, log scale)"},
            "type": "log",
            "range": list(y_range),
            "dtick": 1,
            "tickformat": "~g",
        },
        "showlegend": False,
        "shapes": [readout_figures.marker_line(budget)],
    }
    return {"data": data, "layout": layout}


def legend_entries(lines: Sequence[Line], *, band: float) -> list[tuple[str, str, str]]:
    """(label, colour, dash) of every line, then the band's (dash "band"); a fitted line's label ends
    in its slope over the points clear of the noise below ``band`` ("DDIM · log-SNR: slope −1.9")."""
    entries = [(_legend_label(line, band), line.colour, line.dash) for line in lines]
    return [*entries, (BAND_LABEL, BAND_FILL, "band")]


def _legend_label(line: Line, band: float) -> str:
    """The line's name, then its slope kept on one line (no-break spaces) where the legend wraps."""
    if not line.fitted:
        return line.name
    slope = order_fit.slope_text(line.evaluations, line.errors, band).replace(" ", NO_BREAK)
    return f"{line.name}: {slope}"


def _line(line: Line, foot: float) -> dict:
    return {
        "type": "scatter",
        "x": line.evaluations,
        "y": np.where(np.isfinite(line.errors), np.maximum(line.errors, foot), np.nan),
        "customdata": line.errors,
        "name": line.name,
        "mode": "lines+markers",
        "marker": {"size": 6, "color": line.colour},
        "line": {"color": line.colour, "dash": line.dash, "width": 2},
        "hovertemplate": f"{line.name}<br>%{{x}} evaluations: %{{customdata:.3f}} nats<extra></extra>",
    }


def _x_range(lines: Sequence[Line], budget: int) -> tuple[float, float]:
    """The x range in log₁₀ units: every evaluation count and the budget, HEADROOM wider."""
    logs = np.log10(np.concatenate([*(line.evaluations for line in lines), [budget]]).astype(float))
    return float(logs.min()) - HEADROOM, float(logs.max()) + HEADROOM


def _y_range(lines: Sequence[Line], foot: float, band: float) -> tuple[float, float]:
    """The y range in log₁₀ units: from the foot up to the largest finite error or the band."""
    errors = np.concatenate([line.errors for line in lines])
    finite = errors[np.isfinite(errors)]
    top = max(band, float(finite.max()) if len(finite) else band)
    return math.log10(foot) - HEADROOM, math.log10(top) + 2 * HEADROOM


def _blown_up(points: list[tuple[float, str]], top: float) -> dict:
    """A cross at the top of the chart at every budget where a run blew up, its sampler on hover."""
    return {
        "type": "scatter",
        "x": [x for x, _ in points],
        "y": [top] * len(points),
        "customdata": [name for _, name in points],
        "name": BLEW_UP,
        "mode": "markers",
        "marker": {"symbol": "x", "size": 10, "color": COLOURS["backward"]},
        "cliponaxis": False,
        "hovertemplate": "%{customdata}: blew up at %{x} evaluations<extra></extra>",
    }
