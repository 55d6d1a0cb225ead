"""Every page in a real browser (headless Chromium): it loads, draws its charts with their points, plays
its animation, follows the step-size control, and restores the settings of a shared URL.

The pages come from the lesson registry (lessons/registry.py); a test checks that
the sidebar links to exactly those.
Each page is opened once, in its own tab, from a URL with small particle counts, and the tests then
run on that tab in file order: the read-only checks first, the ones that change the page last.
Chart contents are read from the plotly div (``gd._fullData``, ``gd._transitionData._frames``).
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers_browser import DIGEST, require_browser

from harness.server import SETTLED, app_pages, page_constants
from lessons import figures, registry, traces
from lessons.settings import OPTIONS, format_value, parse_value

require_browser()  # no Chromium or playwright: one skip line for the module (a failure under CI=true)

SHARED = {"backward": {"step_size": "0.05", "particles": "200", "dataset": "spiral"}}  # the link
SMALL = "200"  # particles on every other lesson page: the checks do not need the defaults
OTHER_DATASET = "two_modes"  # a dataset no page has as its default and no page blows up on

# JavaScript run in the page. ANIMATED: the plotly div with a time slider; PARTICLES: its first cloud.
ANIMATED = (
    "[...document.querySelectorAll('.js-plotly-plot')].find(g => (g._fullLayout?.sliders || []).length)"
)
PARTICLES = "g._fullData.find(t => t.meta === 'particles')"  # figures.CLOUD
CHARTS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(g => ({
    key: (g.closest('[class*="st-key-"]')?.className.match(/st-key-(\\S+)/) || [])[1],
    frames: (g._transitionData?._frames || []).length,
    traces: g._fullData.map(t => ({
        type: t.type, mode: t.mode, name: t.name, meta: t.meta, x: t.x ? t.x.length : 0, y: t.y ? t.y.length : 0,
        finite: t.x ? Array.from(t.x).filter(v => v !== null && Number.isFinite(+v)).length : 0,
    })),
}))"""
STATE = """() => ({
    script: document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState,
    skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
    charts: [...document.querySelectorAll('.lab-chart')].map(g => g._fullData?.length ?? 'not drawn'),
    alerts: [...document.querySelectorAll('[data-testid="stException"], [data-testid="stAlert"]')].map(
        e => e.innerText.slice(0, 300)),
})"""
PROBLEMS = """() => [...document.querySelectorAll(
    '[data-testid="stException"], [data-testid="stAlertContentError"]')].map(e => e.innerText)"""
ANIMATION_STATE = f"""() => {{
    const g = {ANIMATED}; const t = {PARTICLES};
    return {{active: g._fullLayout.sliders[0].active, x: Array.from(t.x.slice(0, 8)), points: t.x.length}};
}}"""
# the particle count of the cloud in the drawn figure and in every animation frame (frames hold typed
# arrays as {dtype, bdata} specs or decoded arrays)
FRAME_POINTS = f"""() => {{
    const g = {ANIMATED}; const t = {PARTICLES};
    const size = {{i1: 1, u1: 1, i2: 2, u2: 2, i4: 4, u4: 4, f4: 4, f8: 8}};
    const count = v => v.bdata === undefined ? v.length
        : (atob(v.bdata).length / size[v.dtype.replace(/[<>|]/, '')]);
    return g._transitionData._frames.map(f => {{
        const k = f.traces.indexOf(t.index);
        return k < 0 ? null : count(f.data[k].x);
    }});
}}"""
# the drawn contour trace of the animated chart: how many lines its SVG path starts ("M"), and how
# many NaN gaps its data has (each line is followed by one)
CONTOUR_LINES = f"""() => {{
    const g = {ANIMATED}; const i = g._fullData.findIndex(t => t.name.startsWith('{traces.DENSITY}'));
    const path = [...g.querySelectorAll('.scatterlayer .trace')][i].querySelectorAll('path.js-line');
    const d = [...path].map(p => p.getAttribute('d')).join('');
    return {{moves: (d.match(/M/g) || []).length, gaps: Array.from(g._fullData[i].x).filter(Number.isNaN).length}};
}}"""
# where the animated chart draws its cloud's first particle, in page coordinates
FIRST_PARTICLE_BOX = f"""() => {{
    const g = {ANIMATED}; const i = g._fullData.findIndex(t => t.meta === 'particles');
    const point = [...g.querySelectorAll('.scatterlayer .trace')][i].querySelector('path.point');
    const r = point.getBoundingClientRect();
    return {{x: r.x, y: r.y, width: r.width, height: r.height}};
}}"""
# a hash of every animation frame's data: changes with the simulation, not with playing the animation
FRAMES_DIGEST = f"() => ({DIGEST})({ANIMATED}._transitionData._frames.map(f => f.data))"


PAGES = app_pages()  # name ("home" for the default page) -> file, home first
LESSON_PAGES = [name for name, path in PAGES.items() if page_constants(path)[0]]
# Lesson 7's clouds are still pictures of each sampler's final cloud: every other lesson animates
ANIMATED_PAGES = [name for name in LESSON_PAGES if registry.page(name).layout != "samplers"]


def shared_query(name: str) -> dict[str, str]:
    """The URL settings a page is opened with: the issue's link on backward; elsewhere 200 particles,
    another dataset and the step size just below the page's default (so the test can move it up)."""
    if name in SHARED:
        return SHARED[name]
    controls, defaults = page_constants(PAGES[name])
    query = {}
    if "particles" in controls:
        query["particles"] = SMALL
    if "dataset" in controls:
        query["dataset"] = OTHER_DATASET
    if "train_steps" in controls:
        query["train_steps"] = str(OPTIONS["train_steps"].values[0])  # the shortest training
    if "step_size" in controls:
        values = OPTIONS["step_size"].values
        below = values[max(0, values.index(defaults.step_size) - 1)]
        query["step_size"] = f"{below:g}"
    return query


@dataclass
class Tab:
    """A browser tab showing one page of the app, and the JavaScript errors it has raised."""

    name: str
    page: object  # playwright.sync_api.Page
    query: dict[str, str]
    errors: list[str] = field(default_factory=list)

    def settle(self, least: int = 0) -> None:
        """Wait until the script has finished and every chart (at least ``least``) is drawn; on a
        timeout, fail with what the page shows instead."""
        try:
            self.page.wait_for_function(SETTLED, arg=least)
        except Exception as error:  # playwright's TimeoutError: not importable at collection
            pytest.fail(f"{self.name} did not settle ({type(error).__name__}): {self.page.evaluate(STATE)}")

    def problems(self) -> list[str]:
        """The texts of every exception and error box on the page."""
        return self.page.evaluate(PROBLEMS)


@pytest.fixture(scope="module")
def open_tab(browser_context, app_url, screenshots):
    """``open_tab(name)``: the page ``name`` opened from its shared URL, once per module (cached);
    a full-height screenshot of it goes to the screenshots folder."""
    tabs: dict[str, Tab] = {}

    def opened(name: str) -> Tab:
        if name not in tabs:
            tabs[name] = load(browser_context, app_url, name)
            full_height_screenshot(tabs[name], screenshots / f"{name}.png")
        return tabs[name]

    yield opened
    for tab in tabs.values():
        tab.page.close()


def load(context, app_url: str, name: str) -> Tab:
    """Open a new tab on the page's shared URL and wait for its charts."""
    query = shared_query(name)
    path = "" if name == "home" else name
    tab = Tab(name, context.new_page(), query)
    tab.page.on("pageerror", lambda error: tab.errors.append(str(error)))
    tab.page.goto(f"{app_url}/{path}?{urllib.parse.urlencode(query)}")
    tab.settle()
    primary = tab.page.locator('[data-testid="stBaseButton-primary"]')
    if tab.page.locator(".lab-chart").count() == 0 and primary.count() == 1:
        primary.click()  # a page that draws only after its action (learning: "Train the network")
        settle_for_good(tab)
    return tab


def settle_for_good(tab: Tab, quiet_ms: int = 1500) -> None:
    """Settle, and stay settled for ``quiet_ms`` with the same charts: an action may rerun many times."""
    for _ in range(60):
        tab.settle(least=1)
        charts = tab.page.locator(".lab-chart").count()
        tab.page.wait_for_timeout(quiet_ms)
        if tab.page.evaluate(SETTLED, 1) and tab.page.locator(".lab-chart").count() == charts:
            return
    pytest.fail(f"{tab.name} kept rerunning: {tab.page.evaluate(STATE)}")


def full_height_screenshot(tab: Tab, path: Path) -> None:
    """Grow the viewport to the page's height (the app scrolls inside its main block), then shoot."""
    height = tab.page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    tab.page.set_viewport_size({"width": 1400, "height": min(max(height, 1000), 6000)})
    tab.settle(least=1)
    tab.page.screenshot(path=path)


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_without_an_exception(open_tab, name, screenshots):
    tab = open_tab(name)
    assert tab.problems() == []
    assert tab.errors == [], "uncaught JavaScript errors"
    assert (screenshots / f"{name}.png").stat().st_size > 10_000


def test_sidebar_links_to_exactly_the_pages_under_test(open_tab):
    hrefs = (
        open_tab("home")
        .page.locator('[data-testid="stSidebarNav"] a')
        .evaluate_all("links => links.map(a => a.getAttribute('href'))")
    )
    linked = {urllib.parse.urlparse(href).path.strip("/") or "home" for href in hrefs}
    assert linked == set(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_every_chart_is_drawn_with_its_points(open_tab, name):
    charts = open_tab(name).page.evaluate(CHARTS)
    assert charts
    for chart in charts:
        drawn = [t for t in chart["traces"] if t["x"] > 0 and t["x"] == t["y"]]
        assert drawn, f"chart {chart['key']} has no trace with points: {chart['traces']}"
        clouds = [t for t in chart["traces"] if t["meta"] == figures.CLOUD]
        assert all(0 < t["x"] == t["finite"] for t in clouds), f"empty or non-finite cloud in {chart}"


def test_density_contours_are_drawn_as_separate_lines_broken_at_each_nan(open_tab):
    # figures sends gapped lines as float32 typed arrays with NaN between the lines, not JSON lists
    # with null: plotly.js must start a new line ("M") at every NaN instead of joining across it.
    drawn = open_tab("backward").page.evaluate(CONTOUR_LINES)
    assert drawn["gaps"] > 1
    assert drawn["moves"] == drawn["gaps"], drawn


@pytest.mark.parametrize("name", ANIMATED_PAGES)
def test_animated_cloud_has_one_point_per_particle_in_every_frame(open_tab, name):
    tab = open_tab(name)
    particles = int(tab.query.get("particles", page_constants(PAGES[name])[1].particles))
    frames = tab.page.evaluate(FRAME_POINTS)
    assert tab.page.evaluate(ANIMATION_STATE)["points"] == particles
    assert len(frames) >= 10
    assert set(frames) == {particles}, frames


@pytest.mark.parametrize("name", LESSON_PAGES)
def test_shared_url_restores_its_settings(open_tab, name):
    tab = open_tab(name)
    url_query = urllib.parse.parse_qs(urllib.parse.urlparse(tab.page.url).query)
    notes = tab.page.locator('[data-testid="stAlertContentInfo"]').all_inner_texts()
    assert not [note for note in notes if "Ignored" in note], notes
    for setting, text in tab.query.items():
        value = parse_value(setting, text)
        assert shown_value(tab, setting) == format_value(setting, value), setting
        assert parse_value(setting, url_query[setting][0]) == value, f"{setting} lost from the URL"


def shown_value(tab: Tab, setting: str) -> str:
    """What the control of ``setting`` shows: a select slider's value text or a selectbox's text."""
    option = OPTIONS[setting]
    if option.widget == "select_slider":
        return control(tab, "slider", option.label).get_attribute("aria-valuetext")
    assert option.widget == "selectbox", f"no reader for a {option.widget} in the shared URL"
    return control(tab, "combobox", option.label).input_value()


def control(tab: Tab, kind: str, label: str):
    """The input of a control labelled ``label``: a slider's range input or a selectbox's combobox."""
    selector = {"slider": 'input[type="range"]', "combobox": 'input[role="combobox"]'}[kind]
    return tab.page.locator(f'{selector}[aria-label="{label}"]')


@pytest.mark.parametrize("name", ANIMATED_PAGES)
def test_play_advances_the_frames(open_tab, name):
    tab = open_tab(name)
    before = tab.page.evaluate(ANIMATION_STATE)
    buttons = tab.page.locator(".js-plotly-plot .updatemenu-button")
    buttons.filter(has_text="Play").first.click()
    tab.page.wait_for_function(
        f"() => {{ const g = {ANIMATED}; return g._fullLayout.sliders[0].active >= 3 }}"
    )
    buttons.filter(has_text="Pause").first.click()
    after = tab.page.evaluate(ANIMATION_STATE)
    assert after["active"] > before["active"]
    assert after["x"] != before["x"], "the drawn particles did not move"
    assert tab.problems() == []


def test_hovering_a_particle_after_playing_shows_its_coordinates(open_tab):
    # the bundled plotly.js keeps a point's style between frames (static/build/lab-patches.cjs) and must
    # still leave hover working on the points it did not restyle
    tab = open_tab("backward")
    box = tab.page.evaluate(FIRST_PARTICLE_BOX)
    tab.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    label = tab.page.locator(".js-plotly-plot .hoverlayer .hovertext").first
    label.wait_for()
    text = label.text_content().strip()
    assert re.fullmatch(r"\([−-]?\d+\.\d\d, [−-]?\d+\.\d\d\)", text), text


@pytest.mark.parametrize("name", [n for n in LESSON_PAGES if "step_size" in page_constants(PAGES[n])[0]])
def test_moving_the_step_size_changes_the_chart_in_place(open_tab, name):
    tab = open_tab(name)
    thumb = control(tab, "slider", OPTIONS["step_size"].label)
    values = OPTIONS["step_size"].values
    higher = values[values.index(parse_value("step_size", thumb.get_attribute("aria-valuetext"))) + 1]
    before = tab.page.evaluate(FRAMES_DIGEST)
    tab.page.evaluate(f"() => {{ {ANIMATED}.__before = true; }}")
    thumb.focus()
    tab.page.keyboard.press("ArrowRight")
    tab.page.wait_for_function(f"(before) => ({FRAMES_DIGEST})() !== before && ({SETTLED})(1)", arg=before)
    assert thumb.get_attribute("aria-valuetext") == format_value("step_size", higher)
    assert f"step_size={higher:g}" in tab.page.url
    assert tab.problems() == []
    assert tab.page.evaluate(ANIMATION_STATE)["points"] > 0
    assert tab.page.evaluate(f"() => {ANIMATED}.__before === true"), "the chart was rebuilt, not updated"


def test_a_chart_that_cannot_load_plotly_says_so_in_plain_words(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/plotly-*.min.js", lambda route: route.abort())  # as if the file were missing
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(app_url)
    problem = page.locator(".lab-chart-problem").first
    problem.wait_for(state="visible")
    assert "could not be drawn" in problem.inner_text() and "Reload the page" in problem.inner_text()
    assert errors == [] and page.locator('[data-testid="stException"]').count() == 0
    context.close()


def test_charts_follow_their_column_when_the_sidebar_closes(browser_context, app_url):
    page = browser_context.new_page()
    page.goto(f"{app_url}/forward?particles={SMALL}")
    page.wait_for_function(SETTLED, arg=2)
    widths = (
        "() => [...document.querySelectorAll('.lab-chart')].map(g => [g.clientWidth, g._fullLayout.width])"
    )
    before = page.evaluate(widths)
    page.hover('[data-testid="stSidebar"]')
    page.locator('[data-testid="stSidebarCollapseButton"] button').first.click()
    page.wait_for_function(
        f"() => ({widths})().every(([column, drawn]) => column === drawn && column > {before[0][0]})"
    )
    assert all(column == drawn for column, drawn in page.evaluate(widths))
    page.close()
