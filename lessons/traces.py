"""The vocabulary of every chart: colours, and plotly.js traces and layouts as plain dicts (what
plotly.js reads), so that no figure depends on plotly's Python classes or their private attributes.

Colours are Okabe–Ito (colour-blind safe) mid-tones that read on both the light and the dark theme;
backgrounds, fonts and grids are left to Streamlit's theme. Every particle plot has fixed axis
ranges and an equal aspect ratio.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lessons import contours

COLOURS = {
    "forward": "#0072B2",  # blue
    "backward": "#D55E00",  # vermillion
    "langevin": "#009E73",  # bluish green
    "data": "#CC79A7",  # reddish purple
    "traced": "#E69F00",  # orange: the particles that carry the splitting lesson's drift arrows
    "path": "#F0E442",  # yellow, outlined in black: traced paths, unlike every cloud on either theme
    "reference": "#888888",  # grey: exact values, noise floors
}
# Densities are drawn as contour lines of √(p / max p) (the uint8 image / 255) at these levels: unlike
# a heatmap, lines follow the frames without a full redraw. All levels share one trace per panel:
# plotly.js goes over every trace's attributes on every frame.
CONTOUR_LEVELS = (0.25, 0.5, 0.75)
CONTOUR_WIDTH = 1.5
SVG_LIMIT = 2500  # particles per panel drawn as SVG (smooth playback); more go to WebGL (full redraws)
CLOUD = "particles"  # the ``meta`` of every particle-cloud trace, whichever way it is drawn
DENSITY = "exact density"  # how the name of every density-contour trace starts
HEAD = 0.3  # arrowhead length as a fraction of the arrow
NO_HOVER = {"hoverinfo": "skip"}


def contour_points(image: np.ndarray, grid: np.ndarray) -> dict:
    """x, y of the contour lines of a density image (G, G) at every CONTOUR_LEVELS, gap-separated."""
    lines_per_level = [contours.cached_contour_lines(image, grid, 255 * level) for level in CONTOUR_LEVELS]
    x, y = (np.concatenate(part).astype(np.float32) for part in zip(*lines_per_level, strict=True))
    return {"x": x, "y": y}


def density_line(image: np.ndarray, grid: np.ndarray) -> dict:
    """The contour lines of a density image (G, G) as one trace (a heatmap is slower to draw)."""
    peaks = ", ".join(f"{level**2:.0%}" for level in CONTOUR_LEVELS)
    return {
        "type": "scatter",
        **contour_points(image, grid),
        "mode": "lines",
        "name": f"{DENSITY}: contours at {peaks} of its peak",
        "line": {"color": COLOURS["reference"], "width": CONTOUR_WIDTH},
        "showlegend": False,
        **NO_HOVER,
    }


def cloud_trace(points: np.ndarray, colour: str, size: float, name: str) -> dict:
    """Points (N, 2) as markers: SVG up to SVG_LIMIT (no WebGL context to set up), WebGL above."""
    return {
        "type": "scattergl" if len(points) > SVG_LIMIT else "scatter",
        "x": points[:, 0],
        "y": points[:, 1],
        "mode": "markers",
        "name": name,
        "marker": {"size": size, "color": colour, "opacity": 0.7},
        "hovertemplate": "(%{x:.2f}, %{y:.2f})<extra></extra>",
        "meta": CLOUD,
    }


OUTLINE = {"color": "#000000", "width": 1}


def paths_trace(paths: np.ndarray, fading: bool = False) -> dict:
    """Paths of a few particles, (k+1, M, 2) -> one trace of lines, gap-separated; ``fading``: a
    short tail whose dots fade from the newest position back (tail_opacity)."""
    trace = {
        "type": "scatter",
        **path_points(paths),
        "mode": "lines",
        "name": "traced particles",
        "line": {"color": COLOURS["path"], "width": 2},
        **NO_HOVER,
    }
    if fading:
        trace |= {"mode": "lines+markers", "marker": tail_marker(len(paths), paths.shape[1])}
    return trace


def tail_marker(length: int, count: int) -> dict:
    """Markers for ``count`` tails of ``length`` positions (path_points order, a gap after each): small
    and faint at the oldest position, full size at the newest."""
    ramp = np.linspace(0.15, 1.0, length, dtype=np.float32) if length > 1 else np.ones(1, np.float32)
    per_path = np.append(ramp, np.float32(0))  # the gap point has no marker
    return {
        "color": COLOURS["path"],
        "opacity": np.tile(per_path, count),
        "size": np.tile(3 + 4 * per_path, count),
        "line": {**OUTLINE, "width": 0.5},
    }


def heads_trace(heads: np.ndarray) -> dict:
    """Where the traced particles are now, (M, 2): an outlined dot at the end of each path."""
    return {
        "type": "scatter",
        "x": heads[:, 0],
        "y": heads[:, 1],
        "mode": "markers",
        "name": "traced particles, now",
        "marker": {"color": COLOURS["path"], "size": 10, "line": OUTLINE},
        **NO_HOVER,
    }


def path_points(paths: np.ndarray) -> dict:
    """x, y of paths (k+1, M, 2), one after another with a gap after each;  -> M (k+2) points."""
    count = paths.shape[1]
    gaps = np.full((1, count, 2), np.nan, dtype=paths.dtype)
    joined = np.concatenate([paths, gaps]).transpose(1, 0, 2).reshape(-1, 2)  # (M (k+2), 2)
    return {"x": joined[:, 0], "y": joined[:, 1]}


def arrow_trace(origins: np.ndarray, vectors: np.ndarray, colour: str, name: str, width: float = 1.5) -> dict:
    """Arrows from origins (M, 2) along vectors (M, 2)."""
    return {
        "type": "scatter",
        **arrow_points(origins, vectors),
        "mode": "lines",
        "name": name,
        "line": {"color": colour, "width": width},
        **NO_HOVER,
    }


def arrow_points(origins: np.ndarray, vectors: np.ndarray) -> dict:
    """x, y of arrows: a shaft and two head strokes each, gap-separated;  (M, 2), (M, 2) -> 7 M points."""
    tips = origins + vectors
    back = -HEAD * vectors
    side = HEAD * 0.5 * np.stack([-vectors[:, 1], vectors[:, 0]], -1)
    gap = np.full_like(origins, np.nan)
    points = np.stack([origins, tips, gap, tips + back + side, tips, tips + back - side, gap], 1)
    points = points.reshape(-1, 2).astype(np.float32)  # (7 M, 2)
    return {"x": points[:, 0], "y": points[:, 1]}


def panels_layout(count: int, extent: float, titles: Sequence[str] = (), spacing: float = 0.03) -> dict:
    """Layout of ``count`` panels side by side, each with fixed ranges [−extent, extent], equal aspect
    and its title above it, with each panel raised to the top of its cell when the cell is taller
    than wide. One title per panel, or none."""
    if titles and len(titles) != count:
        raise ValueError(f"{len(titles)} titles for {count} panels")
    width = (1 - spacing * (count - 1)) / count
    layout: dict = {"annotations": []}
    for index in range(count):
        suffix, left = axis_suffix(index), index * (width + spacing)
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


def titled_row(count: int, extent: float, titles: Sequence[str], height: int) -> dict:
    """The layout of ``count`` titled panels side by side (panels_layout), ``height`` px tall, with room
    above for the titles and no legend."""
    return {
        **panels_layout(count, extent, titles),
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "showlegend": False,
    }


def axis_suffix(index: int) -> str:
    """Plotly's name suffix for the axes of panel ``index`` (0-based): "", "2", "3", …"""
    return "" if index == 0 else str(index + 1)


def on_panel(trace: dict, index: int) -> dict:
    """``trace`` drawn on the axes of panel ``index`` (0-based)."""
    suffix = axis_suffix(index)
    return {**trace, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"} if index else trace
