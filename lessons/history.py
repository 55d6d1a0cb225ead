"""The browser's history: one entry per page visit, so that Back returns to the lesson as it was left.

Streamlit pushes a history entry for every change of the address, and ``url_state`` writes the
settings to the address after every change: a visit made two entries (the page switch and its first
write), and Back landed on the page just left or on the lesson with that page's settings. Here a push
that keeps the path (a change of the settings only) replaces the current entry instead; a page switch
still pushes one.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

_COMPONENT = st.components.v2.component(
    "lab_history", html="", js=Path(__file__).with_suffix(".js").read_text()
)


def one_entry_per_visit() -> None:
    """Install, once per browser tab, the history rule above (an empty element): call it early in
    every run, before the page's settings are written to the address."""
    _COMPONENT(key="lab_history")
