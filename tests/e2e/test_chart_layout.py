"""Charts fitted to their width and theme, in a real browser (lessons/chart.js): on a phone (390 px) the
time label keeps clear of the Play row and stays inside the chart, and the panels of a multi-panel
chart are wide enough or stacked; at 1280 px they stay side by side; a resize fits the chart again in
place; on the dark theme the slider and buttons are dark with visible ticks; the frame-step buttons
move the time slider one frame and stop at the ends; a control moved while a later frame is on show
changes the chart in place and leaves it as a fresh page draws it; the first move after a page loads
swaps the cloud in without a Plotly.react, a Particles move too (a cloud of the new size). Screenshots
at 390, 1024 and 1280 px, light and dark, go to the screenshots folder, to be looked at."""

from __future__ import annotations

from itertools import pairwise

import pytest
from helpers_browser import BROKEN_SESSION, CHARTS_DIGEST, require_browser, slider_input

from harness.server import SETTLED

require_browser()

PARTICLES = "particles=200"
TRAINED = f"train_steps=50&{PARTICLES}"
# every chart drawn and fitted to the width it has now (chart.js marks the width it fitted to)
FITTED = """() => {
    const charts = [...document.querySelectorAll('.lab-chart')].filter(g => g._fullData && !g.__labPad);
    const width = g => parseFloat(getComputedStyle(g).width);
    return charts.length > 0
        && charts.every(g => !g.dataset.labFitting && Math.abs(+g.dataset.labWidth - width(g)) < 0.1);
}"""
ANIMATED = "[...document.querySelectorAll('.lab-chart')].find(g => (g._fullLayout?.sliders || []).length)"
# page boxes of the animated chart, its Pause button and its time label
CONTROL_BOXES = f"""() => {{
    const g = {ANIMATED};
    const box = e => {{ const r = e.getBoundingClientRect(); return {{left: r.left, right: r.right, top: r.top, bottom: r.bottom}}; }};
    const pause = [...g.querySelectorAll('.updatemenu-button')].find(b => b.textContent.includes('Pause'));
    return {{chart: box(g), pause: box(pause), label: box(g.querySelector('.slider-group > text.slider-label'))}};
}}"""
# the page boxes of the panels (plot areas) of the chart with key `key`
PANEL_BOXES = """(key) => {
    const g = document.querySelector(`.st-key-${key} .lab-chart`);
    return [...g.querySelectorAll('.draglayer .nsewdrag')].map(e => {
        const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width};
    }).sort((a, b) => a.top - b.top || a.left - b.left);
}"""
SLIDER_COLOURS = f"""() => {{
    const g = {ANIMATED};
    const fill = e => getComputedStyle(e).fill;
    return {{
        rail: fill(g.querySelector('.slider-rail-rect')),
        ticks: [...g.querySelectorAll('.slider-tick-rect')].map(t => [fill(t), getComputedStyle(t).opacity]),
        buttons: [...g.querySelectorAll('.updatemenu-item-rect')].map(fill),
        button_text: [...g.querySelectorAll('.updatemenu-item-text')].map(t => getComputedStyle(t).fill),
        page: getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor,
    }};
}}"""
ACTIVE = f"() => {ANIMATED}.layout.sliders[0].active"
STEPS = f"() => {ANIMATED}.layout.sliders[0].steps.length"
FIRST_X = f"() => Array.from({ANIMATED}._fullData.find(t => t.meta === 'particles').x.slice(0, 6))"
# the drawn range of every axis of every chart, in page order (rounded: a fresh draw's autorange may
# differ in the last digits)
AXIS_RANGES = """() => [...document.querySelectorAll('.lab-chart')].map(g => Object.keys(g._fullLayout || {})
    .filter(k => /^[xy]axis[0-9]*$/.test(k)).sort().map(k => g._fullLayout[k].range.map(v => +(+v).toPrecision(6))))"""
# what the animated chart shows: the slider's frame, its labels and the time label on screen, and the
# first particles drawn
SHOWN = f"""() => {{
    const g = {ANIMATED};
    return {{active: g.layout.sliders[0].active, labels: g.layout.sliders[0].steps.map(s => s.label),
             label: g.querySelector('.slider-group > text.slider-label').textContent,
             first: ({FIRST_X})()}};
}}"""


# before the page's scripts: every Plotly.react counted on the chart it draws (chart.__reacts)
COUNT_REDRAWS = """(() => {
    let plotly;
    Object.defineProperty(window, 'Plotly', {configurable: true, get: () => plotly, set: P => {
        plotly = P;
        const react = P.react;
        P.react = function (chart, ...rest) {
            chart.__reacts = (chart.__reacts || 0) + 1;
            return react.call(this, chart, ...rest);
        };
    }});
})();"""


def rgb(colour: str) -> tuple[float, ...]:
    """'rgb(r, g, b)' or 'rgba(r, g, b, a)' -> (r, g, b, a) with r, g, b in 0..255."""
    parts = [float(part) for part in colour[colour.index("(") + 1 : -1].split(",")]
    return (*parts, 1.0) if len(parts) == 3 else tuple(parts)


def luminance(colour: str) -> float:
    red, green, blue, _ = rgb(colour)
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


class Tab:
    """A page in a fresh browser context of the given size and colour scheme, its errors collected."""

    def __init__(
        self, browser, url: str, width: int, scheme: str = "light", height: int = 900, init: str = ""
    ):
        self.context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
        self.context.set_default_timeout(90_000)
        if init:
            self.context.add_init_script(init)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(url)
        self.page.wait_for_function(SETTLED, arg=1 if "/learning" not in url else 0)

    def train(self) -> None:
        """Lesson 6: train the network and wait for its charts."""
        self.page.get_by_role("button", name="Train the network").click()
        self.page.wait_for_function(SETTLED, arg=4)

    def fitted(self) -> None:
        self.page.wait_for_function(FITTED)
        self.page.wait_for_timeout(200)  # a resize the fit itself caused (a scroll bar) is seen
        self.page.wait_for_function(FITTED)

    def problems(self) -> list[str]:
        return self.errors + self.page.evaluate(BROKEN_SESSION)

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
            self.context = None


@pytest.fixture
def tab(browser, app_url):
    """A factory of Tabs on the app, closed after the test."""
    opened: list[Tab] = []

    def open_tab(path: str, width: int, scheme: str = "light", height: int = 900, init: str = "") -> Tab:
        opened.append(Tab(browser, f"{app_url}/{path}", width, scheme, height, init))
        return opened[-1]

    yield open_tab
    for each in opened:
        each.close()


def overlaps(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


def inside(inner: dict, outer: dict) -> bool:
    return all(
        (
            inner["left"] >= outer["left"] - 0.5,
            inner["right"] <= outer["right"] + 0.5,
            inner["top"] >= outer["top"] - 0.5,
            inner["bottom"] <= outer["bottom"] + 0.5,
        )
    )


def side_by_side(panels: list[dict]) -> bool:
    return len({round(panel["top"]) for panel in panels}) == 1


def stacked(panels: list[dict]) -> bool:
    return all(lower["top"] >= upper["bottom"] for upper, lower in pairwise(panels))


@pytest.mark.parametrize("page", ["backward", "duality", "splitting"])
def test_on_a_phone_the_time_label_keeps_clear_of_the_buttons(tab, page):
    phone = tab(f"{page}?{PARTICLES}", 390)
    phone.fitted()
    boxes = phone.page.evaluate(CONTROL_BOXES)
    assert not overlaps(boxes["pause"], boxes["label"]), boxes
    assert inside(boxes["label"], boxes["chart"]), boxes
    assert inside(boxes["pause"], boxes["chart"]), boxes
    assert phone.problems() == []


def test_on_a_phone_lesson_6s_panels_are_wide_enough_or_stacked(tab):
    phone = tab(f"learning?{TRAINED}", 390)
    phone.train()
    phone.fitted()
    for key in ("fields", "cloud", "snapshots"):
        panels = phone.page.evaluate(PANEL_BOXES, key)
        assert len(panels) >= 2, key
        assert stacked(panels) or all(panel["width"] >= 150 for panel in panels), (key, panels)
    fields = phone.page.evaluate(PANEL_BOXES, "fields")
    assert stacked(fields) and all(panel["width"] >= 150 for panel in fields), fields
    assert phone.problems() == []


@pytest.mark.parametrize(("page", "keys"), [("duality", ["cloud"]), ("splitting", ["cloud"])])
def test_at_1280_px_the_panels_stay_side_by_side(tab, page, keys):
    laptop = tab(f"{page}?{PARTICLES}", 1280)
    laptop.fitted()
    for key in keys:
        panels = laptop.page.evaluate(PANEL_BOXES, key)
        assert len(panels) >= 2 and side_by_side(panels), (key, panels)
    assert laptop.problems() == []


def test_at_1280_px_lesson_6s_panels_stay_side_by_side(tab):
    laptop = tab(f"learning?{TRAINED}", 1280)
    laptop.train()
    laptop.fitted()
    for key in ("fields", "cloud", "snapshots"):
        panels = laptop.page.evaluate(PANEL_BOXES, key)
        assert len(panels) >= 2 and side_by_side(panels), (key, panels)
    assert laptop.problems() == []


def test_square_panels_leave_no_band_above_the_play_row(tab):
    phone = tab(f"backward?{PARTICLES}", 390)
    phone.fitted()
    (panel,) = phone.page.evaluate(PANEL_BOXES, "cloud")
    boxes = phone.page.evaluate(CONTROL_BOXES)
    assert abs(panel["width"] - (panel["bottom"] - panel["top"])) <= 2, panel  # a square
    assert boxes["pause"]["top"] - panel["bottom"] < 60, (panel, boxes)  # the tick labels between


def test_a_resize_fits_the_chart_again_in_place_on_the_same_frame(tab):
    resized = tab(f"duality?{PARTICLES}", 1280)
    resized.fitted()
    assert side_by_side(resized.page.evaluate(PANEL_BOXES, "cloud"))
    resized.page.evaluate(f"() => {{ {ANIMATED}.__before = true; }}")
    forward = resized.page.locator(".lab-chart .updatemenu-button").filter(has_text="1 ▶").first
    for _ in range(3):
        forward.click()
    resized.page.wait_for_function(f"() => ({ACTIVE})() === 3")
    resized.page.set_viewport_size({"width": 390, "height": 900})
    resized.fitted()
    assert stacked(resized.page.evaluate(PANEL_BOXES, "cloud"))
    boxes = resized.page.evaluate(CONTROL_BOXES)
    assert not overlaps(boxes["pause"], boxes["label"]) and inside(boxes["label"], boxes["chart"]), boxes
    assert resized.page.evaluate(f"() => {ANIMATED}.__before === true"), "the chart was rebuilt, not updated"
    assert resized.page.evaluate(ACTIVE) == 3
    assert resized.problems() == []


def test_a_control_moved_on_a_later_frame_changes_the_chart_in_place_as_a_fresh_page_draws_it(tab):
    moved = tab(f"langevin?{PARTICLES}", 1280)
    moved.fitted()
    page = moved.page
    forward = page.locator(".lab-chart .updatemenu-button").filter(has_text="1 ▶").first
    for _ in range(3):
        forward.click()
    page.wait_for_function(f"() => ({ACTIVE})() === 3")
    before = page.evaluate(SHOWN)
    page.evaluate(f"() => {{ {ANIMATED}.__before = true; }}")
    slider_input(page, "step_size").press("ArrowRight")  # a larger h: every time label changes
    page.wait_for_function(f"() => ({SHOWN})().label !== {before['label']!r}")
    page.wait_for_function(SETTLED, arg=1)
    page.wait_for_timeout(1000)  # nothing else on its way
    after = page.evaluate(SHOWN)
    assert after["labels"] != before["labels"] and after["first"] != before["first"]
    assert page.evaluate(f"() => {ANIMATED}.__before === true"), "the chart was rebuilt, not updated"
    fresh = tab(page.url.split("/", 3)[3], 1280)
    fresh.fitted()
    assert after == fresh.page.evaluate(SHOWN)
    assert after["active"] == 0 and after["label"].strip() == after["labels"][0].strip()
    assert page.evaluate(CHARTS_DIGEST) == fresh.page.evaluate(CHARTS_DIGEST)
    assert page.evaluate(AXIS_RANGES) == fresh.page.evaluate(AXIS_RANGES)  # the KL chart's too
    assert moved.problems() == [] and fresh.problems() == []


@pytest.mark.parametrize(("path", "width"), [("langevin", 1400), (f"splitting?{PARTICLES}", 1280)])
def test_the_first_control_moved_after_the_page_loads_swaps_the_cloud_in_without_a_redraw(tab, path, width):
    loaded = tab(path, width, init=COUNT_REDRAWS)
    loaded.fitted()
    before = loaded.page.evaluate(SHOWN)
    changed = f"() => ({SHOWN})().labels.join() !== {before['labels']!r}.join()"
    assert_moved_without_redraw(tab, loaded, width, "step_size", "ArrowRight", changed)


CLOUD = ".st-key-cloud .lab-chart"


def assert_moved_without_redraw(tab, loaded, width: int, slider: str, key: str, changed: str) -> Tab:
    """Press ``key`` on ``slider`` of the fitted page ``loaded`` and wait until ``changed`` holds: the
    cloud chart was not drawn again by Plotly.react and shows what a fresh page shows; the fresh Tab."""
    loaded.page.evaluate(f"() => {{ document.querySelector('{CLOUD}').__reacts = 0; }}")
    slider_input(loaded.page, slider).press(key)
    loaded.page.wait_for_function(changed)
    loaded.page.wait_for_function(SETTLED, arg=1)
    loaded.page.wait_for_timeout(1000)  # nothing else on its way
    assert loaded.page.evaluate(f"() => document.querySelector('{CLOUD}').__reacts") == 0
    fresh = tab(loaded.page.url.split("/", 3)[3], width)
    fresh.fitted()
    assert loaded.page.evaluate(SHOWN) == fresh.page.evaluate(SHOWN)
    assert loaded.page.evaluate(CHARTS_DIGEST) == fresh.page.evaluate(CHARTS_DIGEST)
    assert loaded.problems() == [] and fresh.problems() == []
    return fresh


# the markers of the cloud chart's largest trace, the cloud (SVG: one path.point each)
CLOUD_POINTS = """() => Math.max(...[...document.querySelectorAll('.st-key-cloud .lab-chart .trace.scatter')]
    .map(trace => trace.querySelectorAll('path.point').length))"""


@pytest.mark.parametrize(
    ("path", "key", "shown"), [("langevin", "ArrowRight", 2000), ("forward", "ArrowLeft", 500)]
)
def test_a_particles_move_swaps_in_a_cloud_of_the_new_size_without_a_redraw(tab, path, key, shown):
    loaded = tab(path, 1280, init=COUNT_REDRAWS)
    loaded.fitted()
    assert loaded.page.evaluate(CLOUD_POINTS) == 1000
    changed = f"() => ({CLOUD_POINTS})() === {shown}"
    fresh = assert_moved_without_redraw(tab, loaded, 1280, "particles", key, changed)
    assert fresh.page.evaluate(CLOUD_POINTS) == shown


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_the_slider_and_buttons_follow_the_theme(tab, scheme):
    themed = tab(f"backward?{PARTICLES}", 1280, scheme)
    themed.fitted()
    colours = themed.page.evaluate(SLIDER_COLOURS)
    page = luminance(colours["page"])
    assert (page < 0.2) if scheme == "dark" else (page > 0.9), colours["page"]
    assert colours["rail"] != "rgb(255, 255, 255)"
    assert abs(luminance(colours["rail"]) - page) < 0.25, colours  # not a glaring bar on the dark page
    assert colours["ticks"], "no tick marks"
    for fill, opacity in colours["ticks"]:
        assert rgb(fill)[3] > 0.5 and float(opacity) > 0.5, (fill, opacity)
        assert abs(luminance(fill) - page) > 0.3, (fill, colours["page"])  # visible on the page
    for fill in colours["buttons"]:
        assert abs(luminance(fill) - page) < 0.25, (fill, colours["page"])  # no light boxes on dark
    for fill in colours["button_text"]:
        assert abs(luminance(fill) - page) > 0.5, (fill, colours["page"])  # readable labels
    assert themed.problems() == []


def test_the_frame_step_buttons_move_the_slider_one_frame_and_stop_at_the_ends(tab):
    stepping = tab(f"backward?{PARTICLES}", 1280)
    stepping.fitted()
    page = stepping.page
    buttons = page.locator(".lab-chart .updatemenu-button")
    back, forward = buttons.filter(has_text="◀ 1").first, buttons.filter(has_text="1 ▶").first
    at = lambda frame: page.wait_for_function(f"() => ({ACTIVE})() === {frame}")  # noqa: E731
    first = page.evaluate(FIRST_X)
    back.click()  # at the start: stays
    page.wait_for_timeout(300)
    assert page.evaluate(ACTIVE) == 0
    forward.click()
    at(1)
    assert page.evaluate(FIRST_X) != first, "the drawn particles did not move"
    forward.click()
    at(2)
    back.click()
    at(1)
    back.click()
    at(0)
    assert page.evaluate(FIRST_X) == first, "frame 0 is not drawn again"
    for _ in range(3):  # quick clicks add up
        forward.click()
    at(3)
    last = page.evaluate(STEPS) - 1
    rail = page.locator(".lab-chart .slider-rail-touch-rect").first.bounding_box()
    page.mouse.click(rail["x"] + rail["width"] - 2, rail["y"] + rail["height"] / 2)  # the slider's end
    at(last)
    forward.click()  # at the end: stays
    page.wait_for_timeout(300)
    assert page.evaluate(ACTIVE) == last
    back.click()
    at(last - 1)
    label = page.locator(".lab-chart .slider-group > text.slider-label").first.text_content()
    steps = page.evaluate(f"() => {ANIMATED}.layout.sliders[0].steps.map(s => s.label)")
    assert label.strip() == steps[last - 1].strip(), "the time label follows the step"
    assert stepping.problems() == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1024, 1280])
def test_screenshots_of_the_fitted_charts(tab, screenshots, width, scheme):
    # a tall window, so that the tallest chart (stacked panels on a phone) is in one picture: the
    # layout follows the width only
    for page in ("backward", "duality", "splitting", "learning"):
        shown = tab(f"{page}?{TRAINED}", width, scheme, height=2000)
        if page == "learning":
            shown.train()
        shown.fitted()
        charts = shown.page.locator(".lab-chart")
        for index in range(charts.count()):
            charts.nth(index).screenshot(path=screenshots / f"chart-{page}-{width}-{scheme}-{index}.png")
        assert shown.problems() == []
        shown.close()
