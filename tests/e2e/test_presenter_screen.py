"""Presenter mode on a projector, in a real browser at 1280 × 720 and 1920 × 1080: switching it on
closes the sidebar, every text of every chart is at least 20 px, and the animated chart with its Play
row fits on one screen."""

from __future__ import annotations

import pytest
from helpers_browser import require_browser

from harness.server import SETTLED
from lessons import registry

require_browser()

SCREENS = [(1280, 720), (1920, 1080)]
ANIMATED = [page.name for page in registry.LESSONS if page.layout in {"cloud", "duality"}]
SIDEBAR_WIDTH = "() => document.querySelector('[data-testid=\"stSidebar\"]').getBoundingClientRect().width"
# every visible text of the charts: its rendered font size in px
CHART_TEXT = """() => [...document.querySelectorAll('.lab-chart svg text')]
    .filter(t => t.textContent.trim() && getComputedStyle(t).fill !== 'rgba(0, 0, 0, 0)')
    .map(t => ({text: t.textContent.slice(0, 30), size: parseFloat(getComputedStyle(t).fontSize)}))"""
# the animated chart and its lowest Play-row control, in viewport coordinates, with the page at its top;
# and the bottom of Streamlit's header, which covers whatever is above it
CHART_BOX = """() => {
    const chart = [...document.querySelectorAll('.lab-chart')].find(g => (g._fullLayout?.sliders || []).length);
    const box = chart.getBoundingClientRect();
    const header = document.querySelector('[data-testid="stHeader"]')?.getBoundingClientRect().bottom || 0;
    const lowest = Math.max(...[...chart.querySelectorAll('.updatemenu-button, .slider-container')]
        .map(e => e.getBoundingClientRect().bottom));
    return {top: box.top, header, bottom: box.bottom, controls: lowest, height: innerHeight};
}"""


@pytest.mark.parametrize(("width", "height"), SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
@pytest.mark.parametrize("name", ANIMATED)
def test_presenter_mode_fills_the_projector_with_readable_charts(browser, app_url, name, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{app_url}/{name}?particles=200")
    page.wait_for_function(SETTLED, arg=1)
    page.locator('[data-testid="stSidebar"] [data-testid="stWidgetLabel"]').get_by_text(
        "Presenter mode"
    ).click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stSidebar\"]').getBoundingClientRect().width < 5"
    )
    page.wait_for_function(SETTLED, arg=1)
    page.wait_for_timeout(500)
    texts = page.evaluate(CHART_TEXT)
    small = [text for text in texts if text["size"] < 20]
    assert texts and not small, small[:5]
    box = page.evaluate(CHART_BOX)
    assert box["top"] >= box["header"], box
    assert box["bottom"] <= box["height"] and box["controls"] <= box["height"], box
    page.screenshot(path=f"/tmp/presenter-{name}-{width}.png")
    assert page.evaluate(SIDEBAR_WIDTH) < 5, "the sidebar must stay closed"
    context.close()
