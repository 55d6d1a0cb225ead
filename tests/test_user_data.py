"""Own data: the CSV loader's plain-words errors, the URL encoding, and the page under AppTest."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_apptest import chart_specs
from test_pages import assert_no_exception, open_page

from lessons import user_data
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
    assert len(points) == user_data.MAX_POINTS and points[0, 0] == 0 and points[-1, 0] == 999
    assert "1,000 points" in notes[0]


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
    at.session_state["drawn_points"] = np.random.default_rng(1).normal(size=(30, 2))
    at.run()
    assert_no_exception(at)
    assert len(chart_specs(at)) == 2  # the canvas and the density preview
    at.button(key="use_own_data").click().run()
    assert at.session_state["own_data"][1] == 0.1 and at.success


def test_a_lesson_opened_from_a_link_with_own_data_simulates_them():
    points = user_data.standardized(np.random.default_rng(2).normal(size=(40, 2)), 0.1)
    at = open_page(
        "backward", dataset="custom", points=user_data.encode(points), bandwidth="0.1", particles="200"
    )
    assert_no_exception(at)
    assert chart_specs(at) and not [w.value for w in at.warning if "own" in w.value]
    assert at.query_params["points"] == user_data.encode(points)


def test_choosing_own_data_without_any_shows_a_plain_message():
    at = open_page("forward", dataset="custom", particles="200")
    assert_no_exception(at)
    assert any("no data of your own" in warning.value for warning in at.warning)
