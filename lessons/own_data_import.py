"""Own data brought into the lessons: checked, previewed with its exact density, and, on request,
put in the session so that every lesson can use it (with links that carry it)."""

from __future__ import annotations

import logging

import numpy as np
import streamlit as st

from core.mixture import GaussianMixture
from lessons import downloads, figures, registry, simulate, still_figures, user_data
from lessons.presenter import show

LOG = logging.getLogger("langevin_lab")


def prepared(
    csv: bytes | None, drawn: np.ndarray, bandwidth: float
) -> tuple[np.ndarray, list[str], str, GaussianMixture]:
    """The uploaded (else drawn) points (M, 2) as read, the notes on reading them, their URL form and
    their KDE mixture; ValueError in plain words when they cannot be used."""
    points, notes = user_data.parse_csv(csv) if csv is not None else user_data.checked_points(drawn)
    encoded = user_data.encode(user_data.standardized(points, bandwidth))
    return points, notes, encoded, user_data.mixture(encoded, bandwidth)


def use_own_data(csv: bytes | None, drawn: np.ndarray, bandwidth: float) -> None:
    """Check the uploaded (else drawn) points, preview their density, and offer them to every lesson."""
    if csv is None and not len(drawn):
        st.info(f"Draw or upload at least {user_data.MIN_POINTS} points to see their density here.")
        return
    try:
        points, notes, encoded, preview = prepared(csv, drawn, bandwidth)
    except ValueError as error:  # user_data's and core's checks: one plain line each
        st.warning(str(error), icon=":material/rule:")
        return
    except Exception as error:  # anything unforeseen: plain words; the log names the error, not the data
        LOG.error("own data could not be used: %s", type(error).__name__)
        st.warning(
            "These points could not be used: try other points or another file.", icon=":material/rule:"
        )
        return
    for note in notes:
        st.info(note, icon=":material/filter_alt:")
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
