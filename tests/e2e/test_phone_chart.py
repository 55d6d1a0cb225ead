"""On a phone (390 × 844) the lesson's chart stays on screen while a slider far below it is moved
(lessons/layout_css.py: the chart column sticks under Streamlit's header, the controls scroll beneath
it); on a laptop the columns are as before. Screenshots of the screen after the move, light and dark,
go to the screenshots folder, to be looked at."""

from __future__ import annotations

import pytest
from helpers_browser import BROKEN_SESSION, require_browser

from harness.server import SETTLED
from lessons import registry

require_browser()

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
CHART_COLUMN = '.st-key-lesson_view [data-testid="stHorizontalBlock"] > [data-testid="stColumn"]:last-child'
LESSONS = [page for page in registry.PAGES if page.is_lesson]
# the student scrolls the chart column to the animation (a tall column scrolls inside itself)
SHOW_ANIMATION = f"""() => {{
    const column = document.querySelector('{CHART_COLUMN}');
    const chart = column.querySelector('.st-key-cloud .lab-chart');
    column.scrollTop += chart.getBoundingClientRect().top - column.getBoundingClientRect().top;
}}"""
# ... then scrolls the page until the last slider is just above the bottom of the screen
SCROLL_TO_LAST_SLIDER = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const sliders = document.querySelectorAll('.st-key-lesson_view input[type="range"]');
    const slider = sliders[sliders.length - 1].closest('[data-testid="stElementContainer"]');
    main.scrollTop += slider.getBoundingClientRect().bottom - (innerHeight - 24);
}"""
# how much of the animation is on screen (and not scrolled away inside its column), in px and as a
# share of the most that could show; whether the middle of the last slider is uncovered
IN_VIEW = f"""() => {{
    const column = document.querySelector('{CHART_COLUMN}').getBoundingClientRect();
    const chart = document.querySelector('.st-key-cloud .lab-chart').getBoundingClientRect();
    const header = document.querySelector('[data-testid="stHeader"]').getBoundingClientRect();
    const top = Math.max(chart.top, column.top, header.bottom);
    const bottom = Math.min(chart.bottom, column.bottom, innerHeight);
    const sliders = document.querySelectorAll('.st-key-lesson_view input[type="range"]');
    const slider = sliders[sliders.length - 1].closest('[data-testid="stElementContainer"]');
    const box = slider.getBoundingClientRect();
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return {{
        shown: Math.max(0, bottom - top),
        share: Math.max(0, bottom - top) / Math.min(chart.height, column.bottom - column.top),
        slider_uncovered: slider.contains(hit),
    }};
}}"""


def open_lesson(browser, app_url: str, page: registry.Page, viewport: dict, scheme: str = "light"):
    """A new context showing ``page`` at 200 particles, settled (lesson 6 trained for 50 steps)."""
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    context.set_default_timeout(90_000)
    tab = context.new_page()
    tab.goto(f"{app_url}/{page.url_path}?particles=200&train_steps=50")
    if page.layout == "learning":
        tab.wait_for_function(SETTLED)
        tab.get_by_role("button", name="Train the network").click()
    tab.wait_for_function(SETTLED, arg=1)
    tab.wait_for_timeout(300)  # a refit the layout caused
    tab.wait_for_function(SETTLED, arg=1)
    return context, tab


def last_slider(tab):
    """The focusable input of the lesson's last select slider (the arrow keys move it)."""
    sliders = tab.locator('.st-key-lesson_view input[type="range"]')
    return sliders.nth(sliders.count() - 1)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("page", LESSONS, ids=lambda page: page.name)
def test_phone_chart_stays_in_view_while_the_last_slider_moves(browser, app_url, screenshots, page, scheme):
    context, tab = open_lesson(browser, app_url, page, PHONE, scheme)
    tab.evaluate(SHOW_ANIMATION)
    tab.evaluate(SCROLL_TO_LAST_SLIDER)
    before = last_slider(tab).get_attribute("aria-valuetext")
    last_slider(tab).focus()
    for key in ("ArrowLeft", "ArrowLeft"):
        tab.keyboard.press(key)
        tab.wait_for_timeout(300)  # the rerun starts
        tab.wait_for_function(SETTLED, arg=1)
    view = tab.evaluate(IN_VIEW)
    tab.screenshot(path=screenshots / f"phone-chart-{page.name}-{scheme}.png")
    assert last_slider(tab).get_attribute("aria-valuetext") != before, "the keys did not move the slider"
    assert tab.evaluate(BROKEN_SESSION) == []
    assert view["slider_uncovered"], "the chart column covers the slider being moved"
    assert view["shown"] >= 250 and view["share"] >= 0.8, view
    context.close()


def test_laptop_chart_column_scrolls_with_the_page(browser, app_url):
    context, tab = open_lesson(browser, app_url, registry.page("langevin"), LAPTOP)
    column = tab.evaluate(
        f"() => {{ const s = getComputedStyle(document.querySelector('{CHART_COLUMN}'));"
        " return [s.position, s.maxHeight, s.overflowY]; }"
    )
    assert column == ["static", "none", "visible"]
    context.close()
