"""Contour lines of a density image (marching squares), for drawing p_t as lines that animate cheaply.

A plotly heatmap can only change with a full redraw of the chart, which caps playback at about a dozen
frames per second in a student's browser; lines can be moved frame by frame without one. Pure numpy.
"""

from __future__ import annotations

import functools

import numpy as np

# Corner bits of a cell: bottom-left 1, bottom-right 2, top-right 4, top-left 8 (set = above the level).
# Edges of a cell: 0 bottom, 1 right, 2 top, 3 left. Each case lists the edge pairs its lines join; case
# 15 - c (the corners flipped) crosses the same edges as case c. The saddles 5 and 10 have two answers,
# chosen by the cell's centre value (above, below).
_ONE_SIDE = {1: ((3, 0),), 2: ((0, 1),), 3: ((3, 1),), 4: ((1, 2),), 6: ((0, 2),), 7: ((3, 2),)}
_SEGMENTS = {**_ONE_SIDE, **{15 - case: pieces for case, pieces in _ONE_SIDE.items()}}
_SADDLES = {5: (((0, 1), (2, 3)), ((3, 0), (1, 2))), 10: (((3, 0), (1, 2)), ((0, 1), (2, 3)))}


def contour_lines(image: np.ndarray, grid: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The lines where ``image`` (G, G), rows = y, sampled on ``grid`` (G,) both ways, crosses ``level``.

    Returns x, y (P,) float32: the polylines one after another, each followed by one NaN. Closed
    loops end on their first point; values are linearly interpolated along the cell edges.
    """
    z = np.asarray(image, dtype=np.float32)
    if z.ndim != 2 or z.shape[0] != z.shape[1] or z.shape[0] != len(grid) or len(grid) < 2:
        raise ValueError(f"image must be (G, G) with G = len(grid) >= 2, got {z.shape} and {len(grid)}")
    pairs = _segments(z, level)  # (S, 2) edge ids
    points = _edge_points(z, np.asarray(grid, dtype=np.float32), level)  # edge id -> (x, y)
    xs, ys = [], []
    for line in _join(pairs):
        xy = points[np.asarray(line)]
        xs += [*xy[:, 0], np.nan]
        ys += [*xy[:, 1], np.nan]
    return np.asarray(xs, dtype=np.float32), np.asarray(ys, dtype=np.float32)


def cached_contour_lines(image: np.ndarray, grid: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """``contour_lines``, remembered for the last few thousand (image, grid, level): the same exact
    densities are drawn again on every slider move that keeps the data and the times."""
    image, grid = np.ascontiguousarray(image), np.ascontiguousarray(grid, dtype=np.float32)
    return _cached(image.tobytes(), image.dtype.str, image.shape, grid.tobytes(), float(level))


@functools.lru_cache(maxsize=2048)
def _cached(
    image: bytes, dtype: str, shape: tuple[int, ...], grid: bytes, level: float
) -> tuple[np.ndarray, np.ndarray]:
    lines = contour_lines(
        np.frombuffer(image, dtype=dtype).reshape(shape), np.frombuffer(grid, np.float32), level
    )
    for values in lines:
        values.flags.writeable = False
    return lines


def _segments(z: np.ndarray, level: float) -> np.ndarray:
    """Edge-id pairs (S, 2) of every cell's line pieces."""
    above = z > level
    cases = above[:-1, :-1] * 1 + above[:-1, 1:] * 2 + above[1:, 1:] * 4 + above[1:, :-1] * 8  # (G-1, G-1)
    centre_above = (z[:-1, :-1] + z[:-1, 1:] + z[1:, 1:] + z[1:, :-1]) / 4 > level
    edges = _cell_edges(z.shape[0])  # (G-1, G-1, 4)
    choices = [(cases == case, pieces) for case, pieces in _SEGMENTS.items()]
    for case, (if_above, if_below) in _SADDLES.items():
        choices += [((cases == case) & centre_above, if_above), ((cases == case) & ~centre_above, if_below)]
    pairs = [edges[mask][:, [a, b]] for mask, pieces in choices for a, b in pieces]
    return np.concatenate(pairs)


def _cell_edges(size: int) -> np.ndarray:
    """Global ids of each cell's bottom, right, top and left edges;  -> (G-1, G-1, 4).

    Horizontal edge (i, j) joins nodes (i, j) and (i, j+1): id i (G-1) + j; vertical edge (i, j)
    joins (i, j) and (i+1, j): id G (G-1) + i G + j (i = row = y, j = column = x).
    """
    i, j = np.meshgrid(np.arange(size - 1), np.arange(size - 1), indexing="ij")
    horizontal = size * (size - 1)
    return np.stack(
        [
            i * (size - 1) + j,
            horizontal + i * size + j + 1,
            (i + 1) * (size - 1) + j,
            horizontal + i * size + j,
        ],
        -1,
    )


def _edge_points(z: np.ndarray, grid: np.ndarray, level: float) -> np.ndarray:
    """Where each edge crosses the level, by linear interpolation;  -> (G (G-1) + (G-1) G, 2)."""
    size = len(grid)
    with np.errstate(divide="ignore", invalid="ignore"):
        along_x = np.clip((level - z[:, :-1]) / (z[:, 1:] - z[:, :-1]), 0.0, 1.0)  # (G, G-1)
        along_y = np.clip((level - z[:-1, :]) / (z[1:, :] - z[:-1, :]), 0.0, 1.0)  # (G-1, G)
    along_x, along_y = np.nan_to_num(along_x, nan=0.5), np.nan_to_num(along_y, nan=0.5)
    step = np.diff(grid)
    horizontal = np.stack(
        [grid[None, :-1] + along_x * step[None, :], np.broadcast_to(grid[:, None], (size, size - 1))], -1
    )
    vertical = np.stack(
        [np.broadcast_to(grid[None, :], (size - 1, size)), grid[:-1, None] + along_y * step[:, None]], -1
    )
    return np.concatenate([horizontal.reshape(-1, 2), vertical.reshape(-1, 2)]).astype(np.float32)


def _join(pairs: np.ndarray) -> list[list[int]]:
    """Chain segments that share an edge into polylines of edge ids (an edge joins at most two)."""
    touching: dict[int, list[int]] = {}
    for index, (a, b) in enumerate(pairs.tolist()):
        touching.setdefault(a, []).append(index)
        touching.setdefault(b, []).append(index)
    used = np.zeros(len(pairs), dtype=bool)
    ends = [edge for edge, segments in touching.items() if len(segments) == 1]  # open lines first
    lines = []
    for start in ends + [int(a) for a in pairs[:, 0]]:
        if not any(not used[s] for s in touching[start]):
            continue
        line, edge = [start], start
        while (free := [s for s in touching[edge] if not used[s]]) != []:
            used[free[0]] = True
            a, b = pairs[free[0]]
            edge = int(b) if a == edge else int(a)
            line.append(edge)
        lines.append(line)
    return lines
