"""A lesson's settings when the student leaves it for a page without controls (home, own data) and
comes back: by the sidebar they are as the student left them; by a link, the link's settings."""

from __future__ import annotations

from test_pages import assert_no_exception, open_page


def test_settings_survive_a_visit_to_the_home_page():
    at = open_page("learning", particles="200", seed="7", dataset="spiral")
    at.switch_page("lessons/home.py").run()
    at.switch_page("lessons/learning.py").run()
    assert_no_exception(at)
    assert at.select_slider(key="particles").value == 200
    assert at.selectbox(key="dataset").value == "spiral"
    assert at.number_input(key="seed").value == 7


def test_a_link_followed_from_a_page_without_controls_opens_with_its_settings():
    at = open_page("learning", particles="200")
    at.switch_page("lessons/own_data.py").run()
    at.query_params["dataset"] = "two_modes"
    at.switch_page("lessons/learning.py").run()
    assert_no_exception(at)
    assert at.selectbox(key="dataset").value == "two_modes"
