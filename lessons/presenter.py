"""Presenter mode, for projectors: a sidebar switch (kept across pages) for larger type and markers
with the prose hidden, and ``show``, which draws every chart of the app in the current mode."""

from __future__ import annotations

import streamlit as st

from lessons import chart, figures

PRESENTER_CSS = """<style>
.stMainBlockContainer { font-size: 1.3rem; }
.stMainBlockContainer h1 { font-size: 2.6rem; }
.stMainBlockContainer label p { font-size: 1.15rem; }
</style>"""


def presenter_toggle() -> None:
    """The sidebar switch; its CSS when it is on."""
    st.sidebar.toggle("Presenter mode", key="presenter", help="Larger type and markers, no prose.")
    if presenting():
        st.html(PRESENTER_CSS)


def presenting() -> bool:
    """Whether presenter mode is on."""
    return bool(st.session_state.get("presenter", False))


def show(figure: dict, key: str) -> None:
    """Draw a plotly.js figure dict (larger type and markers in presenter mode)."""
    chart.plotly_chart(for_projector(figure) if presenting() else figure, key=key)


def for_projector(figure: dict) -> dict:
    """A copy of ``figure`` for presenter mode: larger type, larger particles, and the time slider
    moved right to make room for the larger Play/Pause buttons. The figure itself is not changed."""
    layout = {**figure["layout"], "font": {**figure["layout"].get("font", {}), "size": 18}}
    if "sliders" in layout:
        layout["sliders"] = [{**slider, "x": 0.42, "len": 0.58} for slider in layout["sliders"]]
    data = [
        {**trace, "marker": {**trace.get("marker", {}), "size": 7}}
        if trace.get("meta") == figures.CLOUD
        else trace
        for trace in figure["data"]
    ]
    return {**figure, "data": data, "layout": layout}
