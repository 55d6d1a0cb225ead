"""A plotly chart that updates in place: a Streamlit v2 component whose JavaScript calls Plotly.react.

``st.plotly_chart`` gives a changed figure a new element, so every slider move built the chart again
(and a WebGL chart a new GL context). This component keeps one element per ``key``; on a rerun the
browser only patches what changed. plotly.js is a partial build of the version the plotly package
ships, with only the trace types the figures use (a quarter of the full bundle's size and evaluation
time), served from the app's static folder (``server.enableStaticServing``); `make plotly-js` rebuilds it (recipe in build/plotly/).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline
import streamlit as st

STATIC = Path(__file__).resolve().parent.parent / "static"  # served at <base URL>/app/static/
# versioned name, from the plotly.js the plotly package ships: a browser never reuses an old copy
PLOTLY_JS = STATIC / f"plotly-{plotly.offline.get_plotlyjs_version()}-lab2.min.js"
TRACE_TYPES = frozenset({"scatter", "scattergl", "heatmap"})  # the traces that PLOTLY_JS can draw
TYPED = {"i1", "u1", "i2", "u2", "i4", "u4", "f4", "f8"}  # the typed arrays plotly.js decodes


def _plotly_src() -> str:
    base = st.get_option("server.baseUrlPath").strip("/")
    return "/" + "/".join(part for part in (base, "app", "static", PLOTLY_JS.name) if part)


_COMPONENT = st.components.v2.component(
    "lab_chart",
    html='<div class="lab-chart"></div><p class="lab-chart-problem" hidden></p>',
    js=Path(__file__).with_suffix(".js").read_text().replace("__PLOTLY_SRC__", _plotly_src()),
    isolate_styles=False,  # plotly.js puts its stylesheet in the document head
)


def plotly_chart(figure: dict | go.Figure, key: str, *, config: dict | None = None) -> None:
    """Draw ``figure``; on a rerun the chart with the same ``key`` is patched, not rebuilt.

    ``config`` is plotly.js's, merged over the default one (no mode bar).
    """
    _COMPONENT(data=figure_json(figure, config=config), key=key)


def preload_plotly_js() -> None:
    """Start loading plotly.js in the browser now, before the first chart arrives: call it early in a
    run, in the sidebar (an empty element)."""
    _COMPONENT(key="plotly_preload")


def selection_chart(
    figure: dict | go.Figure, key: str, *, on_edits: Callable[[list], None], config: dict | None = None
) -> None:
    """Draw ``figure`` as a canvas to draw on, with its toolbar (chart.js; ``layout.meta["drawing"]``
    describes both, see lessons/drawing.py). The edits the user made that the figure does not show
    yet (strokes, fills, undo, clear, tool and spacing changes, each with an id) reach
    ``on_edits(edits)`` as a callback before the script reruns, one rerun per stroke, so the figure
    of that run already shows them."""

    def edited() -> None:
        edits = (st.session_state.get(key) or {}).get("edits")
        on_edits(edits if isinstance(edits, list) else [])

    _COMPONENT(data=figure_json(figure, config=config, selectable=True), key=key, on_edits_change=edited)


def figure_json(figure: dict | go.Figure, *, config: dict | None = None, selectable: bool = False) -> bytes:
    """``{data, layout, frames}`` as plotly.js reads it: numpy arrays as typed arrays (base64), the
    layout without a template (the browser applies Streamlit's look, see chart.js).

    ``figure`` is a plotly.js figure dict (what lessons/figures.py and still_figures.py build) or a
    ``go.Figure`` (read through its public ``to_plotly_json``). One ``json.dumps`` over the dicts:
    plotly's encoder copies the figure, then encodes, decodes and encodes again to turn NaN into
    null. NaN outside numpy arrays is rare, and then plotly's encoder does the work.
    """
    if isinstance(figure, go.Figure):
        figure = figure.to_plotly_json()
    unknown = {trace.get("type", "scatter") for trace in figure["data"]} - TRACE_TYPES
    if unknown:
        raise ValueError(f"{PLOTLY_JS.name} cannot draw {sorted(unknown)}: rebuild it (make plotly-js)")
    spec = {
        "data": figure["data"],
        "layout": {name: value for name, value in figure.get("layout", {}).items() if name != "template"},
        "frames": figure.get("frames", []),
        "config": config or {},
        "selectable": selectable,
    }
    try:
        return json.dumps(spec, default=_typed_array, separators=(",", ":"), allow_nan=False).encode()
    except ValueError:
        return pio.json.to_json_plotly(spec).encode()


def _typed_array(value: object) -> object:
    """numpy for ``json.dumps``: an array as ``{dtype, bdata[, shape]}`` like plotly's encoder writes it
    (64-bit integers narrowed to 32 when they fit), other arrays as lists, scalars as numbers."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iu" and value.dtype.itemsize == 8 and value.size:
            value = value.astype(np.int32) if value.min() >= -(2**31) and value.max() < 2**31 else value
        kind = f"{value.dtype.kind}{value.dtype.itemsize}"
        if kind not in TYPED or value.size == 0 or value.dtype.byteorder == ">":
            return value.tolist()
        spec = {"dtype": kind, "bdata": base64.b64encode(np.ascontiguousarray(value)).decode("ascii")}
        if value.ndim > 1:
            spec["shape"] = ", ".join(str(size) for size in value.shape)
        return spec
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
