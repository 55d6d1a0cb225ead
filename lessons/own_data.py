"""Your own data — draw or upload 2D points and use them as the dataset of every lesson."""

import streamlit as st

from lessons import chart, drawing, simulate, user_data
from lessons.own_data_import import use_own_data
from lessons.presenter import presenting

GRID = user_data.drawing_grid()  # the dot grid that box and lasso fill from


def current() -> drawing.Drawing:
    """The session's drawing: points, undo history, tool and pen spacing (kept across pages)."""
    return st.session_state.setdefault("drawing", drawing.Drawing())


def apply_edits(edits: list) -> None:
    """The canvas's callback: what was drawn since the last run, applied before this run draws it."""
    st.session_state["drawing"], st.session_state["drawing_notes"] = current().with_edits(
        edits, grid=GRID, extent=simulate.EXTENT
    )


st.title("Your own data")
if not presenting():  # presenter mode: figures only
    st.markdown(
        "Any cloud of points can be the data. It becomes a Gaussian mixture with one small round bump "
        "per point (a kernel density estimate of width $\\sigma_0$), centred and scaled like the presets, "
        "so every lesson knows its exact density and score at every time. Draw on the canvas (the pen "
        "lays points along a stroke, box and lasso fill an area from the dot grid, the eraser removes "
        f"points) or upload a CSV of x,y rows: {user_data.MIN_POINTS} to {user_data.MAX_POINTS} points "
        "are used (more are thinned to an evenly spread subset)."
    )
draw, upload = st.tabs(["Draw", "Upload a CSV"])
with draw:
    for note in st.session_state.pop("drawing_notes", []):
        st.warning(note, icon=":material/rule:")
    chart.selection_chart(
        drawing.canvas_figure(current(), GRID, extent=simulate.EXTENT), key="canvas", on_edits=apply_edits
    )
    count = len(current().points)
    used = (
        f" (an evenly spread {user_data.MAX_POINTS} of them are used)" if count > user_data.MAX_POINTS else ""
    )
    st.caption(f"{count} points drawn{used}.")
with upload:
    file = st.file_uploader("CSV file with columns x,y", type=["csv", "txt"], key="csv")
bandwidth = st.select_slider("KDE bandwidth σ₀", user_data.BANDWIDTHS, value=0.1, key="own_bandwidth")
source = file.getvalue() if file is not None else None
use_own_data(source, current().points, bandwidth)
