"""The browser's Back button after leaving a lesson through the sidebar: the lesson comes back with the
settings the student had changed, and the address bar shows them again, as it did before leaving.

Streamlit 1.67 turns every address change into a new history entry (``history.pushState``), and the
arrival run of the page reached through the sidebar writes its settings to the address: a visit made
two entries, and Back landed on the bare address of the page just visited or on the lesson's path with
that page's settings. lessons/history.py turns a push that keeps the path into a replace.
"""

from __future__ import annotations

import urllib.parse

from helpers_browser import BROKEN_SESSION, require_browser, shown_setting, slider_input

from harness.server import SETTLED
from lessons import registry
from lessons.settings import OPTIONS

require_browser()

LESSON = registry.page("langevin")
OTHER = registry.page("forward")


def settled(tab) -> None:
    tab.wait_for_timeout(300)  # a rerun the last action asked for has started
    tab.wait_for_function(SETTLED, arg=1)


def shown_settings(tab, page: registry.Page) -> dict[str, str]:
    return {name: shown_setting(tab, name, OPTIONS[name].widget) for name in page.controls}


def query_of(url: str) -> tuple[str, dict[str, list[str]]]:
    parts = urllib.parse.urlsplit(url)
    return parts.path, urllib.parse.parse_qs(parts.query)


def test_back_after_another_page_restores_the_changed_settings_and_their_address(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    tab = context.new_page()
    tab.goto(f"{app_url}/{LESSON.url_path}?particles=200")
    settled(tab)
    entries = tab.evaluate("history.length")
    slider_input(tab, "step_size").focus()
    tab.keyboard.press("ArrowRight")
    settled(tab)
    tab.locator(".st-key-show_density label").first.click()
    settled(tab)
    changed, address = shown_settings(tab, LESSON), tab.url
    assert changed["step_size"] != f"{LESSON.defaults.step_size:g}"
    assert query_of(address)[1]["step_size"] == [changed["step_size"]]
    assert tab.evaluate("history.length") == entries, "a change of settings is not a history entry"

    tab.locator(f'[data-testid="stSidebarNav"] a[href$="/{OTHER.url_path}"]').click()
    settled(tab)
    assert query_of(tab.url)[0].endswith(f"/{OTHER.url_path}")
    tab.go_back(wait_until="commit")  # Streamlit's page switches are history entries, no page loads
    settled(tab)

    assert tab.evaluate(BROKEN_SESSION) == []
    assert query_of(tab.url) == query_of(address)
    assert shown_settings(tab, LESSON) == changed
    context.close()
