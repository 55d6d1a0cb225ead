"""Drawing your own data with the mouse in a real browser (headless Chromium): a straight pen stroke and
a circle lay points along them (not a filled disc), the eraser removes what it passes over, Undo brings
it back, the Box tool fills from the dot grid and is still on after the rerun, and the drawn points
become data that a lesson's link carries. Screenshots of the page, wide and phone-sized, go to the
screenshots folder.
"""

from __future__ import annotations

import math
import urllib.parse

import numpy as np
import pytest
from helpers_browser import require_browser

from lessons import drawing

require_browser()

# the script has finished and every chart is drawn (as harness/server.py's SETTLED)
SETTLED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const charts = [...document.querySelectorAll('.lab-chart')];
    return app?.dataset.testScriptState === 'notRunning' && !document.querySelector('[data-testid="stSkeleton"]')
        && charts.length > 0 && charts.every(g => g._fullData?.length > 0);
}"""
COUNT = """() => {
    const caption = [...document.querySelectorAll('p')].find(p => /^\\d+ points drawn/.test(p.innerText));
    return caption ? +caption.innerText.match(/^(\\d+)/)[1] : null;
}"""
CANVAS = "document.querySelector('.st-key-canvas .lab-chart')"
POINTS = f"() => {{ const t = {CANVAS}._fullData[1]; return t.x ? [Array.from(t.x), Array.from(t.y)] : [[], []]; }}"
STATE = f"() => {CANVAS}.layout.meta.drawing"
PRESSED = (
    "() => [...document.querySelectorAll('.lab-tools [aria-pressed=true]')].map(b => b.lastChild.textContent)"
)
PROBLEMS = """() => [...document.querySelectorAll(
    '[data-testid="stException"], [data-testid="stAlertContentError"], [data-testid="stAlertContentWarning"]'
)].map(e => e.innerText).filter(text => !text.startsWith("The final cloud is"))"""  # a verdict is no problem
EXTENT = 3.5  # the canvas's axes: −3.5 to 3.5 (simulate.EXTENT)


class Canvas:
    """The own-data page's canvas, driven with the mouse in data coordinates."""

    def __init__(self, page):
        self.page = page
        self.box = page.locator(".st-key-canvas canvas.lab-pen").bounding_box()

    def at(self, x: float, y: float) -> tuple[float, float]:
        return (
            self.box["x"] + (x + EXTENT) / (2 * EXTENT) * self.box["width"],
            self.box["y"] + (EXTENT - y) / (2 * EXTENT) * self.box["height"],
        )

    def stroke(self, path: list[tuple[float, float]], steps: int = 3) -> None:
        """Press at the path's start, move through it, let go."""
        self.page.mouse.move(*self.at(*path[0]))
        self.page.mouse.down()
        for point in path[1:]:
            self.page.mouse.move(*self.at(*point), steps=steps)
        self.page.mouse.up()

    def count_after(self, before: int) -> int:
        """The "N points drawn" count once it differs from ``before`` and the page has settled."""
        self.page.wait_for_function(f"(before) => ({COUNT})() !== before", arg=before)
        return self.settled()

    def settled(self) -> int:
        self.page.wait_for_function(SETTLED)
        self.page.wait_for_function(f"() => {CANVAS}.layout.meta.drawing.count === ({COUNT})()")
        return self.page.evaluate(COUNT)

    def points(self) -> np.ndarray:
        x, y = self.page.evaluate(POINTS)
        return np.stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)], -1).reshape(-1, 2)

    def tool(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()


@pytest.fixture
def own_data(browser_context, app_url):
    page = browser_context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{app_url}/own-data")
    page.wait_for_function(SETTLED)
    page.locator(".st-key-canvas canvas.lab-pen").scroll_into_view_if_needed()
    yield page, errors
    page.close()


def circle(radius: float, corners: int = 48) -> list[tuple[float, float]]:
    return [
        (radius * math.cos(2 * math.pi * k / corners), radius * math.sin(2 * math.pi * k / corners))
        for k in range(corners + 1)
    ]


def test_the_pen_eraser_undo_and_box_draw_what_the_mouse_shows(own_data, browser_context, screenshots):
    page, errors = own_data
    canvas = Canvas(page)
    assert canvas.settled() == 0 and page.evaluate(PRESSED) == ["Pen", "0.1"]

    canvas.stroke([(-3.0, -2.5), (3.0, -2.5)], steps=25)  # 6 long at spacing 0.1: 61 points
    line = canvas.count_after(0)
    assert line > 5 and abs(line - 61) <= 3
    assert np.abs(canvas.points()[:, 1] + 2.5).max() < 0.03  # on the line

    canvas.stroke(circle(1.5))  # ≈ 2π·1.5 / 0.1 = 94 points on the circle
    drawn = canvas.count_after(line)
    ring = canvas.points()[line:]
    disc = int(
        (np.linalg.norm(np.stack(np.meshgrid(*[np.linspace(-3, 3, 61)] * 2), -1), axis=-1) < 1.5).sum()
    )
    assert abs(len(ring) - 94) <= 8 and len(ring) < disc / 5  # not the 707 grid points of the disc
    assert np.abs(np.linalg.norm(ring, axis=1) - 1.5).max() < 0.05

    canvas.tool("Eraser")
    swipe = [(1.5, -0.8), (1.5, 0.8)]
    canvas.stroke(swipe, steps=10)
    erased = canvas.count_after(drawn)
    assert drawn - 30 < erased < drawn
    left = canvas.points()
    assert drawing.distance_to_path(left, np.array(swipe)).min() > drawing.ERASER_RADIUS - 0.02

    page.get_by_role("button", name="Undo", exact=True).click()
    assert canvas.count_after(erased) == drawn

    canvas.tool("Box")
    page.wait_for_function(f"() => ({STATE})().tool === 'box'")  # the rerun that keeps the tool
    canvas.settled()
    assert page.evaluate(PRESSED) == ["Box", "0.1"]
    canvas.stroke([(-3.0, 2.0), (-2.0, 3.0)], steps=10)  # 11 × 11 grid points
    boxed = canvas.count_after(drawn)
    assert abs(boxed - drawn - 121) <= 22
    assert page.evaluate(PRESSED) == ["Box", "0.1"] and page.evaluate(STATE)["tool"] == "box"

    page.screenshot(path=screenshots / "own-data-drawn-1280x800.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function(SETTLED)
    page.locator(".st-key-canvas canvas.lab-pen").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # nothing sticks out
    page.screenshot(path=screenshots / "own-data-drawn-390x844.png")
    page.set_viewport_size({"width": 1280, "height": 800})

    # the drawn points become the data of every lesson, and a lesson's link carries them
    page.get_by_role("button", name="Use these data in every lesson").click()
    link = page.locator('[data-testid="stMain"]').get_by_role("link", name="4 · Backward diffusion")
    link.wait_for()
    query = urllib.parse.parse_qs(urllib.parse.urlparse(link.get_attribute("href")).query)
    assert query["dataset"] == ["custom"] and query["points"][0]
    assert page.evaluate(PROBLEMS) == [] and errors == []

    lesson = browser_context.new_page()
    lesson_errors: list[str] = []
    lesson.on("pageerror", lambda error: lesson_errors.append(str(error)))
    lesson.goto(urllib.parse.urljoin(page.url, link.get_attribute("href")) + "&particles=200")
    lesson.wait_for_function(SETTLED)
    problems = lesson.evaluate(PROBLEMS)
    assert not [text for text in problems if "own" in text or "Traceback" in text] and lesson_errors == []
    assert lesson.locator('[data-testid="stException"]').count() == 0
    lesson.close()


def test_quick_strokes_one_after_another_are_all_kept_once(own_data):
    page, errors = own_data
    canvas = Canvas(page)
    for row in range(5):  # no waiting between them: most are drawn while the last one is applied
        canvas.stroke([(-1.0, 2.0 - row * 0.5), (1.0, 2.0 - row * 0.5)], steps=6)  # 21 points each
    page.get_by_role("button", name="Eraser", exact=True).click()
    canvas.stroke([(0.0, -3.0), (0.0, -2.0)], steps=4)  # nothing there: erases nothing
    page.wait_for_function(f"() => ({STATE})().tool === 'eraser'")
    count = canvas.settled()
    page.wait_for_timeout(1000)  # no late rerun changes it
    assert canvas.settled() == count
    rows = np.unique(np.round(canvas.points()[:, 1], 1), return_counts=True)
    assert rows[0].tolist() == [0.0, 0.5, 1.0, 1.5, 2.0] and all(abs(n - 21) <= 2 for n in rows[1]), rows
    assert page.evaluate(PROBLEMS) == [] and errors == []
