"""Every page at a phone's, a small laptop's and a laptop's width (390, 1024, 1280 px): nothing runs off
the side, no control label is cut short, and on a phone the chart comes before the controls. A
screenshot of each goes to the screenshots folder, to be looked at."""

from __future__ import annotations

import pytest
from helpers_browser import BROKEN_SESSION, require_browser

from harness.server import SETTLED
from lessons import registry

require_browser()

VIEWPORTS = [(390, 844), (1024, 768), (1280, 800)]
# texts cut short: an ellipsis where the element is narrower than its text, or a row of segmented
# buttons wider than its place
CUT_LABELS = """() => [...document.querySelectorAll('[data-testid="stMain"] *')]
    .filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1 && e.innerText.trim()
        && (getComputedStyle(e).textOverflow === 'ellipsis' || e.matches('[role="radiogroup"]')))
    .map(e => e.innerText.slice(0, 40))"""
WIDER_THAN_SCREEN = "() => document.querySelector('[data-testid=\"stMain\"]').scrollWidth - innerWidth"
CHART_ABOVE_CONTROLS = """() => {
    const chart = document.querySelector('.st-key-lesson_view .lab-chart');
    const control = document.querySelector('.st-key-lesson_view [data-testid="stWidgetLabel"]');
    return chart.getBoundingClientRect().top < control.getBoundingClientRect().top;
}"""


@pytest.mark.parametrize(("width", "height"), VIEWPORTS, ids=[f"{w}px" for w, _ in VIEWPORTS])
@pytest.mark.parametrize("page", registry.PAGES, ids=lambda page: page.name)
def test_every_page_fits_the_screen_with_whole_labels(browser, app_url, screenshots, page, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.goto(f"{app_url}/{page.url_path}?particles=200")
    tab.wait_for_function(SETTLED)
    tab.wait_for_timeout(500)
    assert tab.evaluate(BROKEN_SESSION) == []
    assert tab.evaluate(WIDER_THAN_SCREEN) <= 1, "the page scrolls sideways"
    assert tab.evaluate(CUT_LABELS) == []
    if width < 640 and page.run is not None:
        assert tab.evaluate(CHART_ABOVE_CONTROLS), "on a phone the chart must come before the controls"
    tab.screenshot(path=screenshots / f"{page.name}-{width}.png", full_page=True)
    context.close()
