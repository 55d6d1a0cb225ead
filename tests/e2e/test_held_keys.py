"""Holding an arrow key on a slider, as students do: every select slider of every page gets runs of
four ← and four → presses, 30 ms apart. The session must survive (no connection error, no exception) and
the charts must end up exactly as a fresh page opened at the final value draws them.

Before the ForwardMsg cache was switched off (.streamlit/config.toml), this broke the session: the
server sent a reference to a chart message the browser had already dropped ("Cached ForwardMsg MISS").
"""

from __future__ import annotations

import urllib.parse

import pytest
from helpers_browser import BROKEN_SESSION, CHARTS_DIGEST, require_browser, shown_setting, slider_input

from harness.server import SETTLED, app_pages, page_constants
from lessons.settings import OPTIONS, format_value

require_browser()

PAGES = app_pages()
SLIDERS = [
    (name, setting)
    for name, path in PAGES.items()
    for setting in page_constants(path)[0]
    if OPTIONS[setting].widget == "select_slider"
]
KEYS = (["ArrowLeft"] * 4 + ["ArrowRight"] * 4) * 2 + ["ArrowLeft"] * 4 + ["ArrowRight"] * 2
KEY_GAP_MS = 30
QUIET_MS = 1500  # settled for this long with the same charts: no rerun is still on its way


def settle_quietly(page) -> int:
    """Wait until the page is settled and its charts stay the same for QUIET_MS; their digest."""
    for _ in range(40):
        page.wait_for_function(SETTLED)
        digest = page.evaluate(CHARTS_DIGEST)
        page.wait_for_timeout(QUIET_MS)
        if page.evaluate(SETTLED) and page.evaluate(CHARTS_DIGEST) == digest:
            return digest
    raise AssertionError(f"the page kept changing: {page.url}")


def held_index(start: int, count: int) -> int:
    """Where KEYS move a slider of ``count`` values from index ``start`` (the ends hold it)."""
    for key in KEYS:
        start = min(max(start + (1 if key == "ArrowRight" else -1), 0), count - 1)
    return start


@pytest.fixture(scope="module")
def fresh_page(browser_context):
    """``fresh_page(url)``: the charts' digest of a new tab opened at ``url`` (then closed)."""

    def digest(url: str) -> int:
        page = browser_context.new_page()
        page.goto(url)
        value = settle_quietly(page)
        page.close()
        return value

    return digest


@pytest.mark.parametrize(("name", "setting"), SLIDERS)
def test_holding_an_arrow_key_on_a_slider_keeps_the_session_and_ends_on_the_final_value(
    browser_context, app_url, fresh_page, name, setting
):
    page = browser_context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    query = {"particles": "200"} if "particles" in page_constants(PAGES[name])[0] else {}
    page.goto(f"{app_url}/{name}?{urllib.parse.urlencode(query)}")
    settle_quietly(page)
    values = OPTIONS[setting].values
    start = values.index(
        next(v for v in values if format_value(setting, v) == shown_setting(page, setting, "select_slider"))
    )
    final = values[held_index(start, len(values))]

    slider_input(page, setting).focus()
    for key in KEYS:
        page.keyboard.press(key)
        page.wait_for_timeout(KEY_GAP_MS)
    digest = settle_quietly(page)

    assert page.evaluate(BROKEN_SESSION) == []
    assert not [text for text in messages if "ForwardMsg" in text or "fatal error" in text]
    assert shown_setting(page, setting, "select_slider") == format_value(setting, final)
    shown_query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(page.url).query))
    assert shown_query[setting] == (f"{final:g}" if isinstance(final, float) else str(final))
    assert digest == fresh_page(page.url), "the charts do not show the final value"
    page.close()
