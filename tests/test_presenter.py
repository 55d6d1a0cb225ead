"""Presenter mode: prose hidden, figures drawn with larger type and markers, on every page."""

from __future__ import annotations

import pytest
from helpers_apptest import chart_specs
from test_pages import assert_no_exception, open_page

from lessons import figures

PAGES = ("home", "langevin", "forward", "splitting", "backward", "duality")


@pytest.mark.parametrize("page", PAGES)
def test_presenter_mode_hides_the_prose_and_enlarges_the_figures(page):
    at = open_page(page, particles="200")
    prose = len(at.markdown)
    at.toggle(key="presenter").set_value(True).run()
    assert_no_exception(at)
    assert len(at.markdown) < prose
    chart = next(iter(chart_specs(at).values()))
    assert chart["layout"]["font"]["size"] == 18
    clouds = [trace for trace in chart["data"] if trace.get("meta") == figures.CLOUD]
    assert clouds and all(trace["marker"]["size"] == 7 for trace in clouds)


def test_one_presenter_does_not_enlarge_the_home_figure_for_everyone():
    presenter = open_page("home")
    presenter.toggle(key="presenter").set_value(True).run()
    student = open_page("home")
    assert_no_exception(student)
    font = next(iter(chart_specs(student).values()))["layout"].get("font", {})
    assert font.get("size") != 18
