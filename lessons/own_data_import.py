"""Own data brought into the lessons: checked, previewed with its exact density, and, on request,
put in the session so that every lesson can use it (with links that carry it)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lessons import downloads, figures, registry, simulate, still_figures, user_data
from lessons.presenter import show


def use_own_data(csv: bytes | None, drawn: np.ndarray, bandwidth: float) -> None:
    """Check the uploaded (else drawn) points, preview their density, and offer them to every lesson."""
    if csv is None and not len(drawn):
        st.info(f"Draw or upload at least {user_data.MIN_POINTS} points to see their density here.")
        return
    try:
        points, notes = user_data.parse_csv(csv) if csv is not None else user_data.checked_points(drawn)
    except ValueError as error:
        st.warning(str(error), icon=":material/rule:")
        return
    for note in notes:
        st.info(note, icon=":material/filter_alt:")
    encoded = user_data.encode(user_data.standardized(points, bandwidth))
    preview = user_data.mixture(encoded, bandwidth)
    density = simulate.density_image(preview)
    show(
        still_figures.cloud_row(
            [user_data.decode(encoded)],
            [f"{len(points)} points, σ₀ = {bandwidth:g}"],
            figures.COLOURS["data"],
            extent=simulate.EXTENT,
            grid=simulate.GRID,
            density=density,
            height=420,
        ),
        "own_preview",
    )
    downloads.own_data_download(points)
    if st.button(
        "Use these data in every lesson", key="use_own_data", type="primary", icon=":material/check:"
    ):
        st.session_state["own_data"] = (encoded, bandwidth)
    if st.session_state.get("own_data") == (encoded, bandwidth):
        st.success("In use: choose **Your own data** as the dataset on any lesson, or follow a link below.")
        query = {"dataset": "custom", "points": encoded, "bandwidth": f"{bandwidth:g}"}
        links = st.container(horizontal=True)  # wraps in lesson order on a narrow screen
        for lesson in registry.LESSONS:
            links.page_link(lesson.script, label=lesson.title, query_params=query)
