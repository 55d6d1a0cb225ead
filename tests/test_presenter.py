"""Presenter mode: prose hidden, figures drawn with larger type and markers, on every page."""

from __future__ import annotations

import pytest
from helpers_apptest import chart_specs
from test_pages import assert_no_exception, open_page

from lessons import figures, presenter

PAGES = ("home", "langevin", "forward", "splitting", "backward", "duality")


@pytest.mark.parametrize("page", PAGES)
def test_presenter_mode_hides_the_prose_and_enlarges_the_figures(page):
    at = open_page(page, particles="200")
    prose = len(at.markdown)
    at.toggle(key="presenter").set_value(True).run()
    assert_no_exception(at)
    assert len(at.markdown) < prose
    chart = next(iter(chart_specs(at).values()))
    assert chart["layout"]["font"]["size"] == presenter.PROJECTOR_FONT["size"] >= 20
    clouds = [trace for trace in chart["data"] if trace.get("meta") == figures.CLOUD]
    assert clouds and all(trace["marker"]["size"] == 7 for trace in clouds)


def test_one_presenter_does_not_enlarge_the_home_figure_for_everyone():
    teacher = open_page("home")
    teacher.toggle(key="presenter").set_value(True).run()
    student = open_page("home")
    assert_no_exception(student)
    font = next(iter(chart_specs(student).values()))["layout"].get("font", {})
    assert font.get("size") != presenter.PROJECTOR_FONT["size"]


def font_sizes(value: object) -> list[float]:
    """Every font size set anywhere in a figure's layout (dicts named *font with a size)."""
    if isinstance(value, dict):
        own = [part["size"] for key, part in value.items() if key.endswith("font") and "size" in part]
        return own + [size for part in value.values() for size in font_sizes(part)]
    if isinstance(value, list):
        return [size for part in value for size in font_sizes(part)]
    return []


@pytest.mark.parametrize("page", PAGES)
def test_every_text_of_every_chart_is_projector_sized_in_presenter_mode(page):
    at = open_page(page, particles="200")
    at.toggle(key="presenter").set_value(True).run()
    for key, chart in chart_specs(at).items():
        sizes = font_sizes(chart["layout"])
        assert sizes and min(sizes) >= 20, (key, sizes)
        for name, axis in chart["layout"].items():
            if name.startswith(("xaxis", "yaxis")) and axis.get("visible", True):
                assert axis["tickfont"]["size"] >= 20, (key, name)  # the browser's template sets 12 otherwise
        assert chart["layout"]["height"] <= presenter.PROJECTOR_HEIGHT, key
