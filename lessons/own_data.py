"""Your own data — draw or upload 2D points and use them as the dataset of every lesson."""

import numpy as np
import streamlit as st

from lessons import chart, figures, simulate, user_data
from lessons.own_data_import import use_own_data
from lessons.presenter import presenting

st.title("Your own data")
if not presenting():  # presenter mode: figures only
    st.markdown(
        "Any cloud of points can be the data. It becomes a Gaussian mixture with one small round bump "
        "per point (a kernel density estimate of width $\\sigma_0$), centred and scaled like the presets, "
        "so every lesson knows its exact density and score at every time. Draw with the mouse (lasso, box "
        f"or clicks on the canvas) or upload a CSV of x,y rows: {user_data.MIN_POINTS} to "
        f"{user_data.MAX_POINTS} points are used (larger files are thinned evenly)."
    )
draw, upload = st.tabs(["Draw", "Upload a CSV"])
with draw:
    chosen = st.session_state.setdefault("drawn_points", np.zeros((0, 2)))
    canvas = user_data.drawing_grid()
    picked = chart.selection_chart(
        figures.drawing_canvas(canvas, chosen, extent=simulate.EXTENT),
        key="canvas",
        config={"displayModeBar": True, "modeBarButtons": [["lasso2d", "select2d", "pan2d", "resetScale2d"]]},
    )
    if picked:
        chosen = np.unique(np.concatenate([chosen, canvas[picked]]), axis=0)
        st.session_state["drawn_points"] = chosen
    st.caption(f"{len(chosen)} points drawn. Select more to add; shift-select keeps several regions.")
    if st.button("Clear the drawing", key="clear_drawing", icon=":material/delete:"):
        st.session_state["drawn_points"] = chosen = np.zeros((0, 2))
with upload:
    file = st.file_uploader("CSV file with columns x,y", type=["csv", "txt"], key="csv")
bandwidth = st.select_slider("KDE bandwidth σ₀", user_data.BANDWIDTHS, value=0.1, key="own_bandwidth")
source = file.getvalue() if file is not None else None
use_own_data(source, st.session_state["drawn_points"], bandwidth)
