"""The one lesson view: controls on the left; on the right the cached run, its charts, its readouts
and the share/download box. A lesson page is its prose plus ``lesson_view(name)``; the lessons that
differ (splitting's buttons, duality's panels, learning's training) plug their parts in by layout.

The view is a fragment: moving a control reruns only the view, not the page's prose. Nothing inside it
is a fragment of its own (see lessons/sweep_view.py: a nested fragment blanked the page).
"""

from __future__ import annotations

import html

import streamlit as st

from lessons import (
    classroom,
    downloads,
    duality_view,
    engine_cache,
    layout_css,
    lesson_figures,
    readouts,
    registry,
    sampler_view,
    split_buttons,
    sweep_view,
    training_store,
    url_state,
)
from lessons.presenter import show
from lessons.registry import Page
from lessons.settings import Settings


@st.fragment
def lesson_view(name: str) -> None:
    """The view of the registry page ``name``; a control move reruns only this part."""
    page = registry.page(name)
    st.html(layout_css.NARROW_SCREEN_CSS)
    left, right = st.container(key="lesson_view").columns([1.8, 3], gap="medium")
    settings = url_state.settings_for(page)
    classroom.send_settings()  # a teacher's move reaches the class from this run, not the bar's next tick
    try:
        with right:  # first: the chart's message leaves before the controls' (the main chart sooner)
            LAYOUTS[page.layout](page, settings)
    finally:
        with left:
            url_state.draw_controls(page)
        url_state.write_address()


def _one_cloud(page: Page, settings: Settings) -> None:
    run = engine_cache.lesson_run(page, settings)
    if run is None:
        return
    arrows = None
    if settings.field != "none":
        arrows = engine_cache.field_arrows(settings, run.marginal_times)
    figure = lesson_figures.cloud_figure(page, run, settings, arrows)
    show(figure, "cloud")
    downloads.share_and_download(
        page.name, settings, page.controls, figure, downloads.run_clip(page, settings, run)
    )
    readouts.one_cloud_readouts(page, run, settings)
    sweep_view.step_sweep(page, settings)


def _split(page: Page, settings: Settings) -> None:
    run = engine_cache.lesson_run(page, settings)
    if run is None:
        return
    cloud = split_buttons.stepped_cloud(run, settings)
    st.html(_legend_html(lesson_figures.drift_legend()))
    show(lesson_figures.drift_figure(run, settings, cloud), "drifts")
    animation = lesson_figures.split_animation(run, settings)
    show(animation, "cloud")
    measured = engine_cache.lesson_fit(page, settings)
    if measured is not None:
        show(lesson_figures.split_distances(measured), "distance_chart")
        st.caption(
            "KL in nats of each panel's cloud from p_t after every split step, minus an exact cloud's "
            "reading at this size; grey: where 99.5 % of exact clouds land."
        )
    sweep_view.step_sweep(page, settings)
    downloads.share_and_download(
        page.name, settings, page.controls, animation, downloads.split_clip(page, settings, run)
    )


def _learning(page: Page, settings: Settings) -> None:
    trained = training_store.training(settings)
    downloads.share_and_download(page.name, settings, page.controls, None, trained=trained)
    if trained is None:
        st.info("Press **Train the network** to fit s_θ to this dataset; a progress bar shows how far it is.")
        return
    state = "stopped early" if trained.stopped else "done"
    st.caption(f"Trained for {len(trained.losses):,} steps ({state}); {training_store.who_sees(settings)}.")
    show(lesson_figures.loss_figure(trained.losses, training_store.loss_floor(settings)), "loss")
    training_store.learning_views(settings, trained)


def _legend_html(entries: list[tuple[str, str, str]]) -> str:
    """A chart's legend as a line of text that wraps: a coloured dot or dash before each label."""
    marks = {"dot": "●", "line": "━"}
    items = [
        f'<span style="white-space:nowrap;margin-right:1.2em"><span style="color:{colour}">{marks[kind]}</span> '
        f"{html.escape(label)}</span>"
        for label, colour, kind in entries
    ]
    return f'<div class="lab-legend" style="line-height:1.6">{" ".join(items)}</div>'


LAYOUTS = {
    "cloud": _one_cloud,
    "split": _split,
    "duality": duality_view.duality_layout,
    "learning": _learning,
    "samplers": sampler_view.samplers_layout,
}
