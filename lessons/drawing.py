"""Drawing your own data on a canvas (no Streamlit here): a pen that lays points along a stroke, an
eraser, box and lasso that fill an area from a dot grid, undo and clear, and the canvas figure.

The canvas's toolbar and pointer handling are in the browser (lessons/chart.js): the tool switches at
once, and each finished stroke is sent as the path the pointer took, in data coordinates. What a
stroke does is decided here, so that it does not depend on how often the browser reported the
pointer. Every edit (a stroke, a fill, undo, clear, a change of tool or pen spacing) carries an id;
``Drawing.applied`` is the last one applied, and the canvas figure tells the browser, which keeps
sending the edits it made after that one: an edit made while the last one is still being applied is
neither lost nor applied twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import plotly.graph_objects as go

from lessons.figures import COLOURS
from lessons.settings import quoted

# name: (label, Material icon, what it does; {spacing} and {radius} are filled in by chart.js)
TOOLS = {
    "pen": (
        "Pen",
        "draw",
        "Press and drag to lay a point every {spacing} along the stroke; a click lays one.",
    ),
    "eraser": ("Eraser", "ink_eraser", "Drag over points to erase those within {radius} of the stroke."),
    "box": ("Box", "crop_square", "Drag a box to fill it with the grid's points; a click adds the nearest."),
    "lasso": (
        "Lasso",
        "gesture",
        "Draw round an area to fill it with the grid's points; a click adds the nearest.",
    ),
}
FILLS = ("box", "lasso")  # the tools that fill from the dot grid
GRID_OPACITY = {"fill": 0.5, "draw": 0.15}  # the dot grid: clear while box or lasso is on, faint paper else
SPACINGS = (0.05, 0.1, 0.2)  # pen spacing choices, in data units
ERASER_RADIUS = 0.3  # data units: the eraser removes the points this close to its path
CLICK = 0.05  # data units: a box or lasso stroke that stays this close to where it began is a click
MAX_DRAWN = 4000  # points a drawing may hold (the canvas stays quick); MAX_POINTS of them are used
MAX_PATH = 20_000  # pointer positions read from one stroke
UNDO_DEPTH = 50  # changes that Undo can take back
POINT_COLOUR = COLOURS["data"]


def stroke_points(path: np.ndarray, spacing: float) -> np.ndarray:
    """Points (K, 2) laid along the polyline ``path`` (P, 2), one every ``spacing`` of its length,
    starting at its first position; a path shorter than half a spacing (a click) gives one point.

    A straight stroke of length L gives ⌊L / spacing⌋ + 1 points on the line; a circle gives points
    on the circle only.
    """
    path = np.asarray(path, dtype=np.float64).reshape(-1, 2)
    if len(path) == 0:
        return np.zeros((0, 2))
    steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    path = np.concatenate([path[:1], path[1:][steps > 0]])  # no zero-length pieces
    travelled = np.concatenate([[0.0], np.cumsum(steps[steps > 0])])
    if travelled[-1] < spacing / 2:
        return path[:1].copy()
    at = np.arange(int(travelled[-1] / spacing + 1e-9) + 1) * spacing
    return np.stack([np.interp(at, travelled, path[:, 0]), np.interp(at, travelled, path[:, 1])], -1)


def distance_to_path(points: np.ndarray, path: np.ndarray) -> np.ndarray:
    """The distance (M,) of every point (M, 2) to the polyline ``path`` (P, 2), P ≥ 1."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    path = np.asarray(path, dtype=np.float64).reshape(-1, 2)
    starts, ends = (path[:-1], path[1:]) if len(path) > 1 else (path, path)
    closest = np.full(len(points), np.inf)
    for begin in range(0, len(starts), 256):  # a piece of the path at a time: M × 256 pairs at most
        a, b = starts[begin : begin + 256], ends[begin : begin + 256]
        along = b - a
        length2 = np.maximum((along**2).sum(-1), 1e-300)
        t = np.clip(((points[:, None] - a) * along).sum(-1) / length2, 0.0, 1.0)  # (M, S)
        nearest = a + t[..., None] * along
        closest = np.minimum(closest, np.linalg.norm(points[:, None] - nearest, axis=-1).min(axis=1))
    return closest


def erase(points: np.ndarray, path: np.ndarray, radius: float = ERASER_RADIUS) -> np.ndarray:
    """``points`` (M, 2) without those within ``radius`` of the eraser's path (P, 2), in order."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(points) == 0 or len(path) == 0:
        return points
    with np.errstate(over="ignore", invalid="ignore"):  # a path far off the canvas is simply far
        return points[distance_to_path(points, path) > radius]


def inside_box(grid: np.ndarray, corner: np.ndarray, opposite: np.ndarray) -> np.ndarray:
    """The grid points (G, 2) in the box with these two opposite corners, edges included."""
    low, high = np.minimum(corner, opposite) - 1e-9, np.maximum(corner, opposite) + 1e-9
    return grid[((grid >= low) & (grid <= high)).all(axis=1)]


def inside_lasso(grid: np.ndarray, loop: np.ndarray) -> np.ndarray:
    """The grid points (G, 2) inside the closed polygon ``loop`` (P, 2) (even-odd rule: a ray from
    the point crosses the boundary an odd number of times)."""
    x, y = grid[:, :1], grid[:, 1:]  # (G, 1)
    a, b = loop, np.roll(loop, -1, axis=0)  # the edges, the last one closing the loop
    spans = (a[:, 1] > y) != (b[:, 1] > y)  # (G, P): the edge reaches across the point's height
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = a[:, 0] + (y - a[:, 1]) * (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
    inside = (spans & (x < crossing)).sum(axis=1) % 2 == 1
    return grid[inside]


def nearest_point(grid: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The grid point (1, 2) nearest to ``at``."""
    return grid[[int(np.argmin(((grid - at) ** 2).sum(axis=1)))]]


def fill(grid: np.ndarray, path: np.ndarray, tool: str) -> np.ndarray:
    """The grid points a box (from the path's first to its last position) or a lasso (round the
    path) fills; a stroke that stays within CLICK of where it began picks the nearest grid point."""
    if np.linalg.norm(path - path[0], axis=1).max() < CLICK:
        return nearest_point(grid, path[0])
    return inside_box(grid, path[0], path[-1]) if tool == "box" else inside_lasso(grid, path)


def with_new(points: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``points`` followed by the ``new`` points that are not already among them (nor repeated)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    new = np.asarray(new, dtype=np.float64).reshape(-1, 2)
    seen = {tuple(point) for point in np.round(points, 9)}
    keep = []
    for index, point in enumerate(np.round(new, 9)):
        if tuple(point) not in seen:
            seen.add(tuple(point))
            keep.append(index)
    return np.concatenate([points, new[keep]])


@dataclass(frozen=True, eq=False)
class Drawing:
    """The points drawn so far (M, 2), the earlier states that Undo goes back to (newest last), the id
    of the last canvas edit applied, and the tool and pen spacing in use."""

    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    history: tuple[np.ndarray, ...] = ()
    applied: int = 0
    tool: str = "pen"
    spacing: float = 0.1

    def changed_to(self, points: np.ndarray) -> Drawing:
        """This drawing with ``points`` instead, the present ones kept for Undo (if they differ)."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if points.shape == self.points.shape and np.array_equal(points, self.points):
            return self
        return replace(self, points=points, history=(*self.history, self.points)[-UNDO_DEPTH:])

    def undone(self) -> Drawing:
        """The drawing before its last change (itself if there is none)."""
        if not self.history:
            return self
        return replace(self, points=self.history[-1], history=self.history[:-1])

    def cleared(self) -> Drawing:
        """No points (Undo brings them back)."""
        return self.changed_to(np.zeros((0, 2)))

    def with_edits(self, raw: object, *, grid: np.ndarray, extent: float) -> tuple[Drawing, list[str]]:
        """The drawing after the browser's edits ``raw`` (chart.js), and what could not be done, in
        plain words. Edits up to ``applied`` were applied before and are skipped.

        Pen points are laid every spacing along the stroke, within ±``extent``; the eraser removes
        the points within ERASER_RADIUS of its path; box and lasso add the ``grid`` points (G, 2) they
        enclose that are not drawn yet. Each of these, and each clear, can be undone on its own.
        """
        if not isinstance(raw, list):
            return self, ["The canvas sent something that is not a list of strokes: nothing changed."]
        drawing, notes = self, []
        for item in sorted((item for item in raw if isinstance(item, dict)), key=_number):
            number = _number(item)
            if number <= drawing.applied:
                continue  # applied in an earlier run
            try:
                drawing = drawing._edited(item, grid, extent)
            except Refused as refusal:
                notes.append(f"A stroke could not be used and was left out: {refusal}")
            except (TypeError, ValueError, KeyError, ArithmeticError):
                notes.append("A stroke could not be used and was left out: the canvas sent it garbled.")
            drawing = replace(drawing, applied=number)
        if any(not isinstance(item, dict) or _number(item) < 0 for item in raw):
            notes.append("The canvas sent a stroke without its number: it was left out.")
        return drawing, notes

    def _edited(self, item: dict, grid: np.ndarray, extent: float) -> Drawing:
        kind = item.get("kind")
        if kind == "undo":
            return self.undone()
        if kind == "clear":
            return self.cleared()
        if kind == "tool":
            if item.get("tool") not in TOOLS:
                raise Refused(f"there is no tool {quoted(item.get('tool'))}.")
            return replace(self, tool=item["tool"])
        if kind == "spacing":
            return replace(self, spacing=_spacing(item.get("spacing")))
        if kind not in TOOLS:
            raise Refused(f"{quoted(kind)} is not one of {', '.join(TOOLS)}.")
        path = _path(item.get("path"))
        if kind == "pen":
            spacing = _spacing(item.get("spacing", self.spacing))
            path = np.clip(path, -extent, extent)  # the stroke as it shows on the canvas
            _check_room(len(self.points) + _stroke_count(path, spacing))
            points = np.concatenate([self.points, stroke_points(path, spacing)])
        elif kind == "eraser":
            points = erase(self.points, path)
        else:
            points = with_new(self.points, fill(grid, path, kind))
        _check_room(len(points))
        return self.changed_to(points)


class Refused(ValueError):
    """An edit that cannot be used, and why, in plain words that show nothing the browser sent but
    ``settings.quoted`` prefixes."""


def _check_room(count: int) -> None:
    if count > MAX_DRAWN:
        raise Refused(
            f"the drawing holds at most {MAX_DRAWN:,} points and this would make it {count:,}. "
            "Erase or clear some points first."
        )


def _stroke_count(path: np.ndarray, spacing: float) -> int:
    """How many points ``stroke_points`` lays along ``path`` (counted before they are made)."""
    length = float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())
    return int(length / spacing + 1e-9) + 1


def _number(item: dict) -> int:
    number = item.get("id")
    return number if isinstance(number, int) and not isinstance(number, bool) else -1


def _spacing(value: object) -> float:
    if value not in SPACINGS:
        raise Refused(f"a pen spacing of {quoted(value)} is not one of {', '.join(map(str, SPACINGS))}.")
    return float(value)


def _path(value: object) -> np.ndarray:
    if isinstance(value, list) and len(value) > MAX_PATH:
        raise Refused(f"it has {len(value):,} positions; at most {MAX_PATH:,} are read.")
    try:
        path = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as error:
        raise Refused("its path is not a list of x, y positions.") from error
    if path.ndim != 2 or path.shape[1] != 2 or not len(path):
        raise Refused("its path is not a list of x, y positions.")
    if len(path) > MAX_PATH:
        raise Refused(f"it has {len(path):,} positions; at most {MAX_PATH:,} are read.")
    if not np.isfinite(path).all():
        raise Refused("some of its positions are not numbers.")
    return path


def grid_opacity(tool: str) -> float:
    """How strongly the dot grid shows with ``tool`` on (chart.js switches it at once)."""
    return GRID_OPACITY["fill" if tool in FILLS else "draw"]


def canvas_figure(drawing: Drawing, grid: np.ndarray, *, extent: float, height: int = 520) -> go.Figure:
    """The canvas: the drawn points as opaque markers over the dot grid (G, 2), the first trace, faint
    unless box or lasso is on. ``layout.meta["drawing"]`` gives chart.js its toolbar (tools, spacings) and
    the drawing's state: tool, pen spacing, eraser radius, points, whether Undo can act, last edit."""
    figure = go.Figure(
        [
            go.Scatter(
                x=grid[:, 0],
                y=grid[:, 1],
                mode="markers",
                name="grid",
                hoverinfo="skip",
                marker={"size": 3, "color": COLOURS["reference"], "opacity": grid_opacity(drawing.tool)},
            ),
            go.Scatter(
                x=drawing.points[:, 0],
                y=drawing.points[:, 1],
                mode="markers",
                name="your points",
                hoverinfo="skip",
                marker={
                    "size": 8,
                    "color": POINT_COLOUR,
                    "opacity": 1,
                    "line": {"width": 1, "color": "white"},
                },
            ),
        ]
    )
    axis = {
        "range": [-extent, extent],
        "fixedrange": True,  # no zoom or pan: the canvas stays put under the pen
        "zeroline": False,
        "showgrid": True,
        "dtick": 1,
        "showline": True,  # a frame round the canvas: where drawing is possible
        "mirror": True,
        "linecolor": "rgba(128, 128, 128, 0.6)",
        "constrain": "domain",
    }
    figure.update_layout(
        xaxis=axis,
        yaxis={**axis, "scaleanchor": "x", "scaleratio": 1, "constraintoward": "top"},
        height=height,
        dragmode=False,  # chart.js takes the pointer
        hovermode=False,
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        meta={
            "drawing": {
                "tools": [
                    {"name": name, "label": label, "icon": icon, "hint": hint}
                    for name, (label, icon, hint) in TOOLS.items()
                ],
                "fills": list(FILLS),
                "grid_opacity": GRID_OPACITY,
                "spacings": list(SPACINGS),
                "tool": drawing.tool,
                "spacing": drawing.spacing,
                "eraser": ERASER_RADIUS,
                "count": len(drawing.points),
                "undoable": bool(drawing.history),
                "applied": drawing.applied,
                "colour": POINT_COLOUR,
            }
        },
    )
    return figure
