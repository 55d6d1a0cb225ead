"""Drawing your own data (lessons/drawing.py): the pen lays points along its stroke, the eraser
removes what is within its radius, box and lasso fill from the dot grid, undo and clear, the edits'
ids (none lost, none applied twice), plain-words refusals, and the canvas figure."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lessons import chart, drawing, user_data

GRID = user_data.drawing_grid()
EXTENT = 3.5


def sampled(path: np.ndarray, seed: int = 0) -> np.ndarray:
    """``path`` (P, 2) as a browser reports a pointer: uneven steps, with repeated positions."""
    rng = np.random.default_rng(seed)
    steps = np.concatenate([[0.0], np.cumsum(rng.uniform(0.0, 0.08, 400))])
    lengths = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    at = np.concatenate([steps[steps < lengths[-1]], [lengths[-1]]])
    return np.stack([np.interp(at, lengths, path[:, 0]), np.interp(at, lengths, path[:, 1])], -1)


def circle(radius: float, centre=(0.0, 0.0), corners: int = 720) -> np.ndarray:
    angle = np.linspace(0, 2 * np.pi, corners + 1)
    return np.stack([centre[0] + radius * np.cos(angle), centre[1] + radius * np.sin(angle)], -1)


def edit(number: int, kind: str, path=None, **more) -> dict:
    item = {"id": number, "kind": kind, **more}
    if path is not None:
        item["path"] = np.asarray(path).tolist()
    return item


# ---- the pen -------------------------------------------------------------------------------------


@pytest.mark.parametrize("spacing", drawing.SPACINGS)
def test_a_straight_stroke_of_length_l_gives_l_over_s_points_on_the_line_s_apart(spacing):
    start, end = np.array([-2.0, -1.0]), np.array([2.5, 1.0])
    length = float(np.linalg.norm(end - start))
    points = drawing.stroke_points(sampled(np.stack([start, end])), spacing)
    assert len(points) == int(length / spacing) + 1  # ≈ L / s: 50 at 0.1
    gaps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    np.testing.assert_allclose(gaps, spacing, rtol=1e-9)
    along = (end - start) / length
    across = (points - start) @ np.array([-along[1], along[0]])  # distance from the line
    np.testing.assert_allclose(across, 0, atol=1e-9)
    np.testing.assert_allclose(points[0], start)


def test_the_points_do_not_depend_on_how_often_the_pointer_was_reported():
    line = np.array([[-3.0, 0.0], [3.0, 0.5]])
    few, many = drawing.stroke_points(line, 0.1), drawing.stroke_points(sampled(line, seed=4), 0.1)
    np.testing.assert_allclose(few, many, atol=1e-9)


@pytest.mark.parametrize(("radius", "spacing"), [(1.5, 0.1), (1.0, 0.05), (2.0, 0.2)])
def test_a_circle_stroke_gives_points_on_the_circle_only_not_a_filled_disc(radius, spacing):
    points = drawing.stroke_points(sampled(circle(radius)), spacing)
    # on the circle, to the sagitta of the pointer's steps (≤ 0.08² / 8r)
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), radius, atol=1e-3)
    assert abs(len(points) - 2 * np.pi * radius / spacing) <= 2
    disc = (np.linalg.norm(GRID, axis=1) < radius).sum()  # what a lasso round it fills
    assert len(points) < disc / 2
    angles = np.sort(np.arctan2(points[:, 1], points[:, 0]))
    assert np.diff(np.concatenate([angles, [angles[0] + 2 * np.pi]])).max() < 1.01 * spacing / radius


def test_a_click_lays_one_point_and_a_path_of_repeated_positions_too():
    np.testing.assert_array_equal(drawing.stroke_points(np.array([[0.5, -1.0]]), 0.1), [[0.5, -1.0]])
    still = np.array([[0.5, -1.0]] * 5 + [[0.52, -1.0]])
    assert len(drawing.stroke_points(still, 0.1)) == 1
    assert drawing.stroke_points(np.zeros((0, 2)), 0.1).shape == (0, 2)


# ---- the eraser, box and lasso ------------------------------------------------------------------


def test_distance_to_a_path_matches_a_dense_walk_along_it():
    rng = np.random.default_rng(1)
    path = rng.uniform(-3, 3, size=(30, 2))
    points = rng.uniform(-3.5, 3.5, size=(400, 2))
    dense = drawing.stroke_points(path, 0.001)
    brute = np.linalg.norm(points[:, None] - dense[None], axis=-1).min(axis=1)
    np.testing.assert_allclose(drawing.distance_to_path(points, path), brute, atol=1e-3)
    one = drawing.distance_to_path(points, path[:1])
    np.testing.assert_allclose(one, np.linalg.norm(points - path[0], axis=1))


def test_the_eraser_removes_the_points_within_its_radius_and_keeps_the_rest_in_order():
    radius = drawing.ERASER_RADIUS
    path = np.array([[-1.0, 0.0], [1.0, 0.0]])
    offsets = np.array([0.0, 0.5, 0.99, 1.01, 1.5, 2.0]) * radius
    points = np.concatenate([np.stack([np.zeros(6), offsets], -1), [[1.0 + 0.99 * radius, 0.0]]])
    points = np.concatenate([points, [[1.0 + 1.01 * radius, 0.0], [-3.0, 3.0]]])
    kept = drawing.erase(points, path, radius)
    np.testing.assert_array_equal(kept, points[[3, 4, 5, 7, 8]])
    assert drawing.erase(np.zeros((0, 2)), path).shape == (0, 2)


def test_a_box_fills_the_grid_points_between_its_corners_edges_included():
    filled = drawing.fill(GRID, np.array([[-3.0, 2.0], [-2.5, 2.2], [-2.0, 3.0]]), "box")
    assert len(filled) == 11 * 11
    assert filled.min(axis=0).tolist() == [-3.0, 2.0] and filled.max(axis=0).tolist() == [-2.0, 3.0]
    backwards = drawing.fill(GRID, np.array([[-2.0, 3.0], [-3.0, 2.0]]), "box")
    assert len(backwards) == len(filled)


def test_a_lasso_fills_the_grid_points_inside_its_loop_even_a_concave_one():
    loop = sampled(circle(1.0, centre=(0.5, -0.5)))
    filled = drawing.fill(GRID, loop, "lasso")
    inside = np.linalg.norm(GRID - [0.5, -0.5], axis=1) < 1.0 - 1e-6
    assert abs(len(filled) - inside.sum()) <= 4
    assert (np.linalg.norm(filled - [0.5, -0.5], axis=1) <= 1.0 + 1e-6).all()
    ell = np.array([[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]], dtype=float) + 0.05  # an L
    filled = drawing.fill(GRID, ell, "lasso")
    assert len(filled) == 300  # three 1 × 1 squares of 10 × 10 grid points
    assert not ((filled[:, 0] > 1.05) & (filled[:, 1] > 1.05)).any()  # the notch stays empty


@pytest.mark.parametrize("tool", drawing.FILLS)
def test_a_click_with_box_or_lasso_adds_the_nearest_grid_point(tool):
    filled = drawing.fill(GRID, np.array([[0.52, -1.03], [0.53, -1.02]]), tool)
    np.testing.assert_allclose(filled, [[0.5, -1.0]])


# ---- the drawing: edits, undo, clear, ids --------------------------------------------------------


def apply(start: drawing.Drawing, *items: dict) -> tuple[drawing.Drawing, list[str]]:
    return start.with_edits(list(items), grid=GRID, extent=EXTENT)


LINE = [[-2.0, 0.0], [2.0, 0.0]]


def test_each_stroke_erasure_fill_and_clear_can_be_undone_one_at_a_time():
    states = [drawing.Drawing()]
    for item in [
        edit(1, "pen", LINE, spacing=0.1),
        edit(2, "eraser", [[0.05, -1.0], [0.05, 1.0]]),  # takes the 6 points from -0.2 to 0.3
        edit(3, "box", [[-3.0, 2.0], [-2.0, 3.0]]),
        edit(4, "clear"),
    ]:
        after, notes = apply(states[-1], item)
        assert notes == [] and after.applied == item["id"]
        states.append(after)
    assert [len(state.points) for state in states] == [0, 41, 35, 35 + 121, 0]
    drawn = states[-1]
    for number, expected in zip(range(5, 9), reversed(states[:-1]), strict=True):
        drawn, notes = apply(drawn, edit(number, "undo"))
        np.testing.assert_array_equal(drawn.points, expected.points)
    again, _ = apply(drawn, edit(9, "undo"))  # nothing left to undo
    assert len(again.points) == 0 and again.applied == 9


def test_an_edit_sent_again_is_applied_once_and_a_late_one_is_not_lost():
    first, _ = apply(drawing.Drawing(), edit(1, "pen", LINE, spacing=0.1))
    # the browser sends every edit not applied yet: 1 again (its run was cut short), and 2
    both, notes = apply(first, edit(2, "pen", [[0.0, 1.0], [0.0, 2.0]], spacing=0.1), edit(1, "pen", LINE))
    assert notes == [] and both.applied == 2 and len(both.points) == 41 + 11
    same, _ = apply(both, edit(1, "pen", LINE), edit(2, "pen", LINE))
    assert same.applied == 2 and len(same.points) == len(both.points)


def test_the_tool_and_spacing_are_kept_and_the_stroke_uses_the_spacing_it_was_drawn_with():
    drawn, notes = apply(drawing.Drawing(), edit(1, "tool", tool="box"), edit(2, "spacing", spacing=0.2))
    assert notes == [] and (drawn.tool, drawn.spacing) == ("box", 0.2) and not drawn.history
    drawn, _ = apply(drawn, edit(3, "pen", LINE, spacing=0.05))
    assert len(drawn.points) == 81
    drawn, _ = apply(drawn, edit(4, "pen", LINE))  # no spacing given: the drawing's own
    assert len(drawn.points) == 81 + 21


def test_a_fill_adds_only_grid_points_not_drawn_yet():
    drawn, _ = apply(drawing.Drawing(), edit(1, "box", [[0.0, 0.0], [0.5, 0.5]]))
    drawn, _ = apply(drawn, edit(2, "box", [[0.0, 0.0], [1.0, 1.0]]))
    assert len(drawn.points) == 121 and len(np.unique(drawn.points, axis=0)) == 121


def test_pen_points_stay_on_the_canvas():
    drawn, _ = apply(drawing.Drawing(), edit(1, "pen", [[-9.0, 0.0], [9.0, 0.0]], spacing=0.2))
    assert np.abs(drawn.points).max() <= EXTENT


@pytest.mark.parametrize(
    ("item", "words"),
    [
        (edit(1, "spray", LINE), "'spray' is not one of pen, eraser, box, lasso"),
        (edit(1, "pen", [[0.0, float("nan")]]), "not numbers"),
        (edit(1, "pen", [1.0, 2.0, 3.0]), "not a list of x, y positions"),
        ({"id": 1, "kind": "pen"}, "not a list of x, y positions"),
        (edit(1, "pen", LINE, spacing=0.3), "pen spacing of 0.3 is not one of"),
        (edit(1, "tool", tool="brush"), "no tool 'brush'"),
        (edit(1, "pen", np.zeros((drawing.MAX_PATH + 1, 2))), "at most 20,000"),
        (edit(1, "box", [["a", "b"]]), "could not be used"),
    ],
)
def test_an_edit_that_cannot_be_used_is_left_out_in_plain_words_and_not_retried(item, words):
    drawn, notes = apply(drawing.Drawing(), item)
    assert len(notes) == 1 and words in notes[0] and "\n" not in notes[0]
    assert len(drawn.points) == 0 and drawn.applied == 1  # acknowledged: the browser stops sending it


def test_edits_without_an_id_or_not_a_list_are_refused_in_plain_words():
    drawn, notes = drawing.Drawing().with_edits("strokes", grid=GRID, extent=EXTENT)
    assert notes == ["The canvas sent something that is not a list of strokes: nothing changed."]
    drawn, notes = apply(drawing.Drawing(), {"kind": "pen", "path": LINE}, edit(2, "pen", LINE))
    assert len(drawn.points) == 41 and notes == [
        "The canvas sent a stroke without its number: it was left out."
    ]


def test_a_drawing_holds_at_most_max_drawn_points_and_says_so():
    full = drawing.Drawing(points=np.zeros((drawing.MAX_DRAWN - 10, 2)))
    drawn, notes = apply(full, edit(1, "pen", LINE, spacing=0.1))
    assert len(drawn.points) == drawing.MAX_DRAWN - 10 and "at most 4,000 points" in notes[0]
    assert "Erase or clear" in notes[0]


def test_undo_goes_back_at_most_undo_depth_changes():
    drawn = drawing.Drawing()
    for number in range(1, drawing.UNDO_DEPTH + 11):
        drawn, _ = apply(drawn, edit(number, "pen", [[0.0, number / 100]], spacing=0.1))
    assert len(drawn.history) == drawing.UNDO_DEPTH
    for _ in range(drawing.UNDO_DEPTH + 5):
        drawn = drawn.undone()
    assert len(drawn.points) == 10


# ---- the canvas figure ---------------------------------------------------------------------------


@pytest.mark.parametrize("tool", list(drawing.TOOLS))
def test_the_canvas_shows_opaque_points_the_grid_only_for_fills_and_tells_the_browser_its_state(tool):
    drawn = drawing.Drawing(points=np.array([[0.0, 0.0], [1.0, 1.0]]), applied=7, tool=tool, spacing=0.2)
    spec = json.loads(chart.figure_json(drawing.canvas_figure(drawn, GRID, extent=EXTENT), selectable=True))
    grid, points = spec["data"]
    assert grid["marker"]["opacity"] == (0.5 if tool in drawing.FILLS else 0.15) and grid["x"]
    assert points["marker"]["opacity"] == 1 and points["marker"]["size"] >= 8
    layout = spec["layout"]
    assert (
        layout["dragmode"] is False
        and layout["xaxis"]["fixedrange"]
        and layout["yaxis"]["scaleanchor"] == "x"
    )
    meta = layout["meta"]["drawing"]
    assert {key: meta[key] for key in ("tool", "spacing", "count", "undoable", "applied")} == {
        "tool": tool,
        "spacing": 0.2,
        "count": 2,
        "undoable": False,
        "applied": 7,
    }
    assert [entry["name"] for entry in meta["tools"]] == list(drawing.TOOLS)
    assert meta["spacings"] == list(drawing.SPACINGS) and meta["eraser"] == drawing.ERASER_RADIUS
