"""The bundled plotly.js (static/, patched at build time by build/plotly/lab-patches.cjs) in a real browser:
points that the patch leaves unstyled between animation frames still show the style plotly means them to
have after a restyle, a selection and its clearing."""

from __future__ import annotations

import pytest
from helpers_browser import require_browser

from lessons import chart

require_browser()  # no Chromium or playwright: one skip line for the module (a failure under CI=true)

BLUE, RED = "rgb(0, 0, 255)", "rgb(255, 0, 0)"
# Three blue points; frame "moved" changes only x and y, frame "blue" also sets the marker colour. Each
# step returns the fill and opacity of every drawn point.
STEPS = """async () => {
    const g = document.getElementById('chart');
    const points = () => [...g.querySelectorAll('.scatterlayer .trace path.point')].map(
        p => [p.style.fill, Number(p.style.opacity)]);
    const play = name => Plotly.animate(g, [name],
        {frame: {duration: 0, redraw: false}, transition: {duration: 0}, mode: 'immediate'});
    await Plotly.newPlot(g, [{type: 'scatter', mode: 'markers', x: [0, 1, 2], y: [0, 1, 2],
                              marker: {color: 'blue', opacity: 0.7, size: 8}}], {});
    await Plotly.addFrames(g, [{name: 'moved', data: [{x: [1, 2, 3], y: [1, 2, 3]}]},
                               {name: 'blue', data: [{x: [0, 1, 2], y: [2, 1, 0], marker: {color: 'blue'}}]}]);
    const seen = {};
    await play('moved'); seen.moved = points();
    await Plotly.restyle(g, {'marker.color': 'red'}); seen.restyled = points();
    await play('blue'); seen.blue_frame = points();
    await Plotly.restyle(g, {selectedpoints: [[0]]}); await play('moved'); seen.selected = points();
    await Plotly.restyle(g, {selectedpoints: [null]}); await play('moved'); seen.cleared = points();
    return seen;
}"""


@pytest.fixture(scope="module")
def steps(browser, tmp_path_factory) -> dict:
    page_file = tmp_path_factory.mktemp("bundle") / "chart.html"
    page_file.write_text(
        f'<html><body><div id="chart" style="width:400px;height:300px"></div>'
        f'<script src="{chart.PLOTLY_JS.as_uri()}"></script></body></html>'
    )
    page = browser.new_page()
    try:
        page.goto(page_file.as_uri())
        page.wait_for_function("() => window.Plotly !== undefined")
        return page.evaluate(STEPS)
    finally:
        page.close()


def test_points_keep_their_style_across_frames_that_only_move_them(steps):
    assert steps["moved"] == [[BLUE, 0.7]] * 3


def test_a_restyle_then_a_frame_with_the_old_colour_draws_the_frames_colour(steps):
    assert steps["restyled"] == [[RED, 0.7]] * 3
    assert steps["blue_frame"] == [[BLUE, 0.7]] * 3


def test_a_selection_dims_the_other_points_through_frames_and_clearing_it_restores_them(steps):
    (chosen, *others) = steps["selected"]
    assert chosen == [BLUE, 0.7]
    assert all(style == BLUE and opacity < 0.7 for style, opacity in others), others
    assert steps["cleared"] == [[BLUE, 0.7]] * 3
