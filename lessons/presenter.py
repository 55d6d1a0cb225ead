"""Presenter mode, for projectors: a sidebar switch (kept across pages) for larger type and markers
with the prose hidden, and ``show``, which draws every chart of the app in the current mode."""

from __future__ import annotations

import streamlit as st

from lessons import chart, figures

PRESENTER_CSS = """<style>
.stMainBlockContainer { font-size: 1.4rem; padding-top: 3rem; }
.stMainBlockContainer h1 { font-size: 2.2rem; padding-bottom: 0.25rem; }
.stMainBlockContainer label p, .stMainBlockContainer [data-testid="stMarkdownContainer"] p { font-size: 1.35rem; }
.stMainBlockContainer [data-baseweb="select"] div, .stMainBlockContainer [data-testid="stSliderThumbValue"],
.stMainBlockContainer input, .stMainBlockContainer button p { font-size: 1.3rem; }
</style>"""


# Closes the sidebar once each time presenter mode is switched on (``data`` changes then), so that the
# charts get the whole projector; the teacher can open it again, and it stays open.
_CLOSE_SIDEBAR = st.components.v2.component(
    "lab_close_sidebar",
    html="",
    js="""export default function ({ data }) {
  if (data == null || window.__labSidebarClosedFor === data) return;
  window.__labSidebarClosedFor = data;
  document.querySelector('[data-testid="stSidebarCollapseButton"] button')?.click();
}""",
)


def presenter_toggle() -> None:
    """The sidebar switch; when it is on, its CSS, and the sidebar closed once."""
    st.sidebar.toggle(
        "Presenter mode", key="presenter", help="Larger type and markers, no prose.", on_change=_switched
    )
    if presenting():
        with st.sidebar:  # not above the page: its elements keep their places (lessons/classroom)
            st.html(PRESENTER_CSS)
            _CLOSE_SIDEBAR(data=st.session_state.get("_presenter_since", 0), key="close_sidebar")


def _switched() -> None:
    """Count the times presenter mode was switched on: each one closes the sidebar once."""
    if st.session_state.get("presenter"):
        st.session_state["_presenter_since"] = st.session_state.get("_presenter_since", 0) + 1


def presenting() -> bool:
    """Whether presenter mode is on."""
    return bool(st.session_state.get("presenter", False))


def show(figure: dict, key: str) -> None:
    """Draw a plotly.js figure dict (larger type and markers in presenter mode)."""
    chart.plotly_chart(for_projector(figure) if presenting() else figure, key=key)


PROJECTOR_FONT = {"size": 22}  # every chart text, in px: readable from the back of a classroom
PROJECTOR_HEIGHT = 470  # px at most for a chart, Play row included: the whole chart fits a 1280 × 720 screen


def for_projector(figure: dict) -> dict:
    """A copy of ``figure`` for presenter mode: every text (ticks, axis and panel titles, legend,
    buttons, the time readout) at PROJECTOR_FONT, larger particles, at most PROJECTOR_HEIGHT tall,
    and the time slider moved right to make room for the larger Play/Pause buttons. The figure
    itself is not changed."""
    layout = {**figure["layout"], "font": {**figure["layout"].get("font", {}), **PROJECTOR_FONT}}
    for name, axis in figure["layout"].items():
        if name.startswith(("xaxis", "yaxis")):
            title = {"title": {**axis["title"], "font": PROJECTOR_FONT}} if "title" in axis else {}
            layout[name] = {**axis, "tickfont": PROJECTOR_FONT, **title}
    layout["annotations"] = [_larger(note) for note in layout.get("annotations", [])]
    layout["legend"] = _larger(layout.get("legend", {}))
    layout["updatemenus"] = [_larger(menu) for menu in layout.get("updatemenus", [])]
    layout["sliders"] = [
        {**_larger(slider), "x": 0.42, "len": 0.58, "currentvalue": _larger(slider["currentvalue"])}
        for slider in layout.get("sliders", [])
    ]
    layout["height"] = min(layout.get("height", PROJECTOR_HEIGHT), PROJECTOR_HEIGHT)
    data = [
        {**trace, "marker": {**trace.get("marker", {}), "size": 7}}
        if trace.get("meta") == figures.CLOUD
        else trace
        for trace in figure["data"]
    ]
    return {**figure, "data": data, "layout": layout}


def _larger(part: dict) -> dict:
    """``part`` of a layout with its font at PROJECTOR_FONT (its colour kept)."""
    return {**part, "font": {**part.get("font", {}), **PROJECTOR_FONT}}
