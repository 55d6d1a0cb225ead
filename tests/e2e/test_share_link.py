"""The link under "Share or download", followed as a student would: opened in a fresh browser (no
cookies, no session), on every lesson page, with the app at the root and behind a base URL path
(``server.baseUrlPath``, as a proxy may serve it). It must open the same page with every setting.
"""

from __future__ import annotations

import urllib.parse

import pytest
from helpers_browser import require_browser, shown_setting

from harness.server import SETTLED, app_pages, page_constants, streamlit_server
from lessons.settings import OPTIONS, format_value, parse_value

require_browser()

PAGES = app_pages()
LESSON_PAGES = [name for name, path in PAGES.items() if page_constants(path)[0]]
TIMEOUT_MS = 60_000


def changed_query(name: str) -> dict[str, str]:
    """A setup of the page unlike its defaults in every control it can change cheaply: the next
    allowed value of each select slider and selectbox (particles kept small), seed 7, toggles flipped."""
    controls, defaults = page_constants(PAGES[name])
    query = {}
    for setting in controls:
        option, value = OPTIONS[setting], getattr(defaults, setting)
        if setting == "particles":
            query[setting] = "200"
        elif option.widget == "seed":
            query[setting] = "7"
        elif option.widget == "toggle":
            query[setting] = "0" if value else "1"
        elif setting == "train_steps":
            query[setting] = str(option.values[0])
        else:
            values = option.values
            other = values[(values.index(value) + 1) % len(values)]
            if setting == "dataset":
                other = "two_modes" if value != "two_modes" else "spiral"
            query[setting] = f"{other:g}" if isinstance(other, float) else str(other)
    return query


@pytest.fixture(scope="module", params=["", "lab"], ids=["at the root", "behind /lab"])
def served(request, browser, tmp_path_factory):
    """(base URL, browser) for a server at the root or behind ``server.baseUrlPath``."""
    log = tmp_path_factory.mktemp("share") / "server.log"
    with streamlit_server(log, base_url_path=request.param) as (base, _):
        yield base


def open_settled(browser, url: str):
    """A new context (a student's fresh browser) on ``url``, settled; (context, page)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(SETTLED)
    return context, page


@pytest.mark.parametrize("name", LESSON_PAGES)
def test_the_shown_share_link_opens_the_same_page_with_every_setting(served, browser, name):
    query = changed_query(name)
    teacher, page = open_settled(browser, f"{served}/{name}?{urllib.parse.urlencode(query)}")
    page.get_by_text("Share or download").click()
    link = page.locator('[data-testid="stCode"] code').first.inner_text().strip()
    teacher.close()
    assert urllib.parse.urlsplit(link).path == urllib.parse.urlsplit(f"{served}/{name}").path, link

    student, page = open_settled(browser, link)
    assert page.locator('[data-testid="stMain"] h1').count() == 1, "the link opened a blank page"
    notes = page.locator('[data-testid="stAlertContentInfo"]').all_inner_texts()
    assert not [note for note in notes if "Ignored" in note], notes
    restored = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    for setting, text in query.items():
        value = parse_value(setting, text)
        assert value is not None, (setting, text)
        assert shown_setting(page, setting, OPTIONS[setting].widget) == format_value(setting, value), setting
        assert parse_value(setting, restored[setting][0]) == value, f"{setting} lost from the address"
    student.close()
