"""The chart component's payload: the same figure plotly's own encoder writes, minus the template."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import plotly
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from helpers_apptest import decode

from lessons import chart, figures, still_figures

EXTENT, GRID = 3.0, np.linspace(-3.0, 3.0, 16)


def plain(value: object) -> object:
    """JSON with every typed array decoded to a list, to compare two encodings of one figure. A NaN in a
    typed array becomes None: both are a line gap to plotly.js (tests/e2e checks the drawn lines)."""
    if isinstance(value, dict) and "bdata" in value:
        return plain(decode(value).tolist())
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def plotlys_encoding(figure: go.Figure) -> dict:
    spec = json.loads(pio.to_json(figure, validate=False))
    spec["layout"].pop("template", None)
    spec.setdefault("frames", [])
    return plain(spec)


def ours(figure: go.Figure) -> dict:
    spec = json.loads(chart.figure_json(figure))
    assert spec.pop("config") == {} and spec.pop("selectable") is False
    return plain(spec)


def animation() -> go.Figure:
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(5, 40, 2)).astype(np.float32)  # (F, N, 2)
    density = (rng.random((5, 16, 16)) * 255).astype(np.uint8)  # (F, G, G)
    panel = figures.Panel("cloud", xs, "#0072B2", density=density, traced=3)
    return figures.cloud_animation([panel], [f"t = {k}" for k in range(5)], extent=EXTENT, grid=GRID)


@pytest.mark.parametrize(
    "figure",
    [
        animation(),
        still_figures.line_chart(
            np.arange(5),
            {"a": (np.linspace(0, 1, 5), "#0072B2")},
            x_title="k",
            y_title="d",
            reference=("r", 0.5),
        ),
        go.Figure(go.Heatmap(z=np.arange(12, dtype=np.int64).reshape(3, 4))),  # 2-D, 64-bit integers
    ],
    ids=["animation", "line chart", "integer heatmap"],
)
def test_the_payload_is_plotlys_own_encoding_without_the_template(figure):
    assert ours(figure) == plotlys_encoding(figure)


def test_nan_outside_numpy_arrays_becomes_null_as_plotly_writes_it():
    figure = go.Figure(go.Scatter(x=[0.0, 1.0, 2.0], y=[1.0, float("nan"), 3.0]))
    payload = chart.figure_json(figure)
    spec = json.loads(payload, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    assert spec["data"][0]["y"] == [1.0, None, 3.0]
    assert ours(figure) == plotlys_encoding(figure)


def test_the_payload_carries_the_charts_config_and_whether_it_reports_selections():
    spec = json.loads(chart.figure_json(go.Figure(), config={"displayModeBar": True}, selectable=True))
    assert spec["config"] == {"displayModeBar": True} and spec["selectable"] is True


def plotly_js_version(path: Path) -> str:
    return re.search(r"plotly\.js v(\d+\.\d+\.\d+)", path.read_text()[:300]).group(1)


def test_the_bundled_plotly_js_is_the_version_the_plotly_package_ships():
    shipped = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert plotly_js_version(chart.PLOTLY_JS) == plotly_js_version(shipped)
    assert plotly_js_version(shipped) in chart.PLOTLY_JS.name


def test_a_trace_type_the_bundle_cannot_draw_is_refused_in_plain_words():
    with pytest.raises(ValueError, match=r"cannot draw \['bar'\]"):
        chart.figure_json(go.Figure(go.Bar(x=[1, 2], y=[3, 4])))
