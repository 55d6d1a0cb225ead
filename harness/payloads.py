"""The charts an AppTest run drew, as the browser receives them (the app-level tests and
bench/app_latency.py read the same bytes)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def chart_payloads(at: AppTest) -> dict[str, bytes]:
    """Every chart the last run drew, by its key: the figure JSON bytes the browser receives."""
    return {  # element ids are "$$ID-<hash>-<key>"; the plotly.js preloader sends no figure
        element.proto.id.split("-", 2)[2]: element.proto.bytes
        for element in at.get("bidi_component")
        if element.proto.bytes
    }
