"""Lesson 5's part of the lesson view: the cached duality run, its two panels, share/download, and
its distance chart."""

from __future__ import annotations

import streamlit as st

from lessons import downloads, duality_figures, engine_cache, readouts
from lessons.presenter import show
from lessons.registry import Page
from lessons.settings import Settings


def duality_layout(page: Page, settings: Settings) -> None:
    run = engine_cache.lesson_run(page, settings)
    if run is None:
        return
    if run.divergence:
        st.error(run.divergence, icon=readouts.DIVERGED_ICON)
        return
    figure = duality_figures.duality_figure(run, settings)
    show(figure, "cloud")
    downloads.share_and_download(
        page.name, settings, page.controls, figure, downloads.duality_clip(page, settings, run)
    )
    show(duality_figures.duality_distances(run), "distance_chart")
