"""Presenter mode, for projectors: a sidebar switch (kept across pages) for larger type and markers
with the prose hidden, and ``show``, which draws every chart of the app in the current mode."""

from __future__ import annotations

import plotly.graph_objects as go
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


def show(figure: go.Figure, key: str) -> None:
    """Draw a figure (larger type and markers in presenter mode)."""
    if presenting():
        figure.update_layout(font={"size": 18})
        figure.update_traces(marker={"size": 7}, selector={"meta": figures.CLOUD})
        for slider in figure.layout.sliders:  # the larger Play/Pause buttons need more room
            slider.update(x=0.42, len=0.58)
    chart.plotly_chart(figure, key=key)
