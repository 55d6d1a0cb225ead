"""Own data: the CSV loader's plain-words errors, the URL encoding, and the page under AppTest."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_apptest import chart_specs
from test_pages import assert_no_exception, open_page

from lessons import user_data
from lessons.drawing import Drawing
from lessons.settings import Settings, parse_query


def csv(rows: list[str]) -> bytes:
    return "\n".join(rows).encode()


def test_a_csv_with_a_header_gives_its_points():
    points, notes = user_data.parse_csv(csv(["x,y", *[f"{k},{k * k}" for k in range(6)]]))
    assert points.shape == (6, 2) and points[5].tolist() == [5.0, 25.0] and notes == []


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (csv(["1,2", "3,4"]), "at least 5"),
        (csv(["1", "2", "3", "4", "5"]), "two columns"),
        (csv(["1,2", "a,b", "3,4", "5,6", "7,8"]), "numbers separated by commas"),
        (csv(["1,2", "nan,1", "3,4", "5,6", "7,8"]), "not finite"),
        (csv(["1,1"] * 6), "same point"),
        (b"\xff\xfe\x00binary", "not text"),
        (b"1,2\n" * 400_000, "limit"),
    ],
)
def test_a_bad_csv_gets_a_one_line_message_saying_what_is_expected(content, words):
    with pytest.raises(ValueError, match=words) as error:
        user_data.parse_csv(content)
    assert "\n" not in str(error.value)


def test_a_large_file_is_thinned_evenly_with_a_note():
    points, notes = user_data.parse_csv(csv([f"{k},{np.sin(k)}" for k in range(1000)]))
    assert len(points) == user_data.MAX_POINTS and len(np.unique(points[:, 0])) == user_data.MAX_POINTS
    assert (np.diff(points[:, 0]) > 0).all()  # the file's order is kept
    assert points[:, 0].min() < 20 and points[:, 0].max() > 980  # from one end to the other
    assert "1,000 points" in notes[0]


def every_kth(points: np.ndarray, count: int) -> np.ndarray:
    """The old thinning: every k-th point in sorted order (stripes on a grid)."""
    points = np.unique(points, axis=0)
    return points[np.linspace(0, len(points) - 1, count).round().astype(int)]


def pattern(points: np.ndarray) -> tuple[float, float]:
    """How regular a point set is: the share of points whose nearest neighbour is at the most common
    distance, and the share whose nearest neighbour lies in the most common direction (both near 1
    for stripes, small for an irregular set)."""
    distance = np.linalg.norm(points[:, None] - points[None], axis=-1)
    np.fill_diagonal(distance, np.inf)
    nearest = distance.argmin(axis=1)
    gaps = np.round(distance[np.arange(len(points)), nearest], 6)
    towards = points[nearest] - points
    directions = np.round(np.degrees(np.arctan2(towards[:, 1], towards[:, 0])) % 180, 1)
    share = [np.unique(values, return_counts=True)[1].max() / len(points) for values in (gaps, directions)]
    return share[0], share[1]


def test_thinning_a_uniform_grid_gives_no_stripes_and_covers_it_evenly():
    grid = user_data.drawing_grid()  # 61 × 61: what a box over the whole canvas fills
    thinned, notes = user_data.checked_points(grid)
    assert len(thinned) == user_data.MAX_POINTS and len(np.unique(thinned, axis=0)) == len(thinned) and notes
    striped = pattern(every_kth(grid, user_data.MAX_POINTS))
    assert min(striped) > 0.9  # the check sees stripes: 98 % of the gaps alike, all one way
    gap_share, direction_share = pattern(thinned)
    assert gap_share < 0.4 and direction_share < 0.3
    blocks, _, _ = np.histogram2d(*thinned.T, bins=5, range=[[-3.01, 3.01]] * 2)  # 25 blocks of ≈ 12
    assert blocks.min() >= 12 * 0.5 and blocks.max() <= 12 * 1.5
    random = grid[np.random.default_rng(0).choice(len(grid), user_data.MAX_POINTS, replace=False)]
    random_blocks, _, _ = np.histogram2d(*random.T, bins=5, range=[[-3.01, 3.01]] * 2)
    assert blocks.std() < 0.6 * random_blocks.std()  # more even than a plain random subset


def test_thinning_keeps_each_region_its_share_and_is_reproducible():
    rng = np.random.default_rng(3)
    dense = rng.normal(size=(3000, 2)) * 0.3 - 2  # three quarters of the points, in one corner
    sparse = rng.uniform(0, 3, size=(1000, 2))
    points = np.concatenate([dense, sparse])
    chosen = user_data.even_subset(points, 300)
    assert len(np.unique(chosen)) == 300 and (np.diff(chosen) > 0).all()
    assert abs((chosen < 3000).sum() - 225) <= 8
    np.testing.assert_array_equal(chosen, user_data.even_subset(points, 300))
    assert not np.array_equal(chosen, user_data.even_subset(points, 300, seed=1))
    np.testing.assert_array_equal(user_data.even_subset(points[:200], 300), np.arange(200))


def test_the_hilbert_order_visits_every_cell_once_stepping_to_a_neighbour_each_time():
    cells = np.stack(np.meshgrid(np.arange(16.0), np.arange(16.0)), -1).reshape(-1, 2)
    index = user_data.hilbert_index(cells, bits=4)
    assert sorted(index.tolist()) == list(range(256))
    steps = np.abs(np.diff(cells[np.argsort(index)], axis=0)).sum(axis=1)
    assert (steps == 1).all()


def test_standardized_points_round_trip_through_the_url_to_a_thousandth():
    rng = np.random.default_rng(0)
    points = user_data.standardized(rng.normal(size=(50, 2)) * 7 + 3, 0.1)
    decoded = user_data.decode(user_data.encode(points))
    np.testing.assert_allclose(decoded, points, atol=0.5 / user_data.SCALE + 1e-6)
    settings, notes = parse_query({"dataset": "custom", "points": user_data.encode(points)}, Settings())
    assert notes == [] and settings.points == user_data.encode(points)


@pytest.mark.parametrize("text", ["AAAA", "not base64!", "A" * 3, "AAAAAAAAAAAAAAAAAAAA"])
def test_text_that_is_not_encoded_points_is_refused(text):
    assert user_data.decode(text) is None
    settings, notes = parse_query({"points": text}, Settings())
    assert settings.points == "" and len(notes) == 1


def test_the_own_data_page_guides_before_any_point_and_previews_drawn_points():
    at = open_page("own_data")
    assert_no_exception(at)
    assert any("Draw or upload" in info.value for info in at.info)
    at.session_state["drawing"] = Drawing(points=np.random.default_rng(1).normal(size=(30, 2)))
    at.run()
    assert_no_exception(at)
    assert len(chart_specs(at)) == 2  # the canvas and the density preview
    at.button(key="use_own_data").click().run()
    assert at.session_state["own_data"][1] == 0.1 and at.success


def test_the_drawing_its_tool_and_spacing_are_kept_when_the_student_visits_another_page():
    at = open_page("own_data")
    points = np.random.default_rng(4).uniform(-2, 2, size=(400, 2))
    at.session_state["drawing"] = Drawing(points=points, tool="box", spacing=0.2)
    at.session_state["drawing_notes"] = ["A stroke could not be used and was left out: its path is empty."]
    at.run()
    assert_no_exception(at)
    assert [warning.value for warning in at.warning] == [
        "A stroke could not be used and was left out: its path is empty."
    ]
    assert any("400 points drawn (an evenly spread 300 of them are used)" in c.value for c in at.caption)
    at.switch_page("lessons/forward.py").run()
    at.switch_page("lessons/own_data.py").run()
    assert_no_exception(at)
    assert not at.warning  # a note is shown once
    meta = chart_specs(at)["canvas"]["layout"]["meta"]["drawing"]
    assert (meta["tool"], meta["spacing"], meta["count"]) == ("box", 0.2, 400)


def test_a_lesson_opened_from_a_link_with_own_data_simulates_them():
    points = user_data.standardized(np.random.default_rng(2).normal(size=(40, 2)), 0.1)
    at = open_page(
        "backward", dataset="custom", points=user_data.encode(points), bandwidth="0.1", particles="200"
    )
    assert_no_exception(at)
    notes = [w.value for w in at.warning if not w.value.startswith("The final cloud")]  # not the verdict
    assert chart_specs(at) and not [note for note in notes if "own" in note]
    assert at.query_params["points"] == user_data.encode(points)


def test_choosing_own_data_without_any_shows_a_plain_message():
    at = open_page("forward", dataset="custom", particles="200")
    assert_no_exception(at)
    assert any("no data of your own" in warning.value for warning in at.warning)
