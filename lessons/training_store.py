"""Lesson 6's training: the Train button and its live progress, the store of trained networks that
every session shares, and the views of a trained network against the exact score."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import streamlit as st

from lessons import lesson_figures, score_learning
from lessons.presenter import show
from lessons.settings import Settings

CACHE_ENTRIES = 24
TRAINED_MODELS = 8  # trained score networks kept for all sessions (newest first out when full)


@st.cache_resource
def _model_store() -> OrderedDict[tuple, score_learning.TrainedScore]:
    """Trained score networks, shared by every session, keyed by (dataset, steps, seed)."""
    return OrderedDict()


def _training_key(settings: Settings) -> tuple:
    return (settings.dataset, settings.train_steps, settings.seed)


def _remember(key: tuple, trained: score_learning.TrainedScore) -> None:
    store = _model_store()
    store[key] = trained
    store.move_to_end(key)
    while len(store) > TRAINED_MODELS:
        store.popitem(last=False)


def trained_score(settings: Settings) -> score_learning.TrainedScore | None:
    """The network trained for these settings, if any."""
    return _model_store().get(_training_key(settings))


def training(settings: Settings) -> score_learning.TrainedScore | None:
    """The Train button and, while training runs, one chunk per rerun with a progress bar, a live
    loss curve and a Stop button; returns the finished (or stopped) network, else the stored one."""
    job = st.session_state.get("training_job")
    if job is not None and _training_key(job.settings) != _training_key(settings):
        job = st.session_state["training_job"] = None  # the student changed the setup: abandon it
    if st.button("Train the network", key="train", icon=":material/model_training:", type="primary"):
        job = st.session_state["training_job"] = score_learning.start_training(settings)
    if job is None:
        return trained_score(settings)
    stop = st.empty()
    if not stop.button("Stop training", key="stop_training", icon=":material/stop:"):
        score_learning.advance_training(job)
        if not job.done:
            steps, done = settings.train_steps, len(job.losses)
            st.progress(done / steps, text=f"Step {done:,} of {steps:,} · loss {job.losses[-1]:.3f}")
            show(lesson_figures.loss_figure(np.array(job.losses), loss_floor(settings)), "live_loss")
            st.rerun()
    stop.empty()
    st.session_state["training_job"] = None
    _remember(_training_key(settings), score_learning.finish_training(job))
    return trained_score(settings)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Computing the exact score's loss…")
def loss_floor(settings: Settings) -> float:
    """Cached ``score_learning.exact_score_loss`` of the settings' dataset."""
    return score_learning.exact_score_loss(
        Settings(dataset=settings.dataset, points=settings.points, bandwidth=settings.bandwidth)
    )


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Generating with the exact and the learned score…")
def learned(settings: Settings, training: tuple) -> score_learning.LearnedRun:
    """Cached ``score_learning.learned_run`` for the stored network ``training`` = (key, steps trained)."""
    return score_learning.learned_run(settings, _model_store()[training[0]])


def learning_views(settings: Settings, trained: score_learning.TrainedScore) -> None:
    """The learned field against the exact one at t, then samples generated with both scores."""
    fields = score_learning.compare_fields(settings, trained)
    show(lesson_figures.field_comparison(fields), "fields")
    st.caption(
        f"At t = {settings.time:g}: relative error E‖s_θ − s‖² / E‖s‖² over samples of p_t = "
        f"{fields.relative_error:.3f}. The right panel is bright only where the network is wrong *and* "
        "p_t has mass: errors where there is no data barely matter."
    )
    run = learned(settings, (_training_key(settings), len(trained.losses)))
    show(lesson_figures.learned_figure(run), "cloud")
    st.markdown(
        f"**Distance to the data (SW):** exact score `{run.exact_distance:.3f}`, learned score "
        f"`{run.snapshot_clouds[-1][2]:.3f}`; two data samples differ by `{run.noise_floor:.3f}`."
    )
    st.caption(
        "Each distance compares one finite cloud with one finite sample of the data, so it carries "
        "sampling noise about as large as the data-vs-data distance: a learned score can read a little "
        "better than the exact one by chance. Differences smaller than that distance are noise."
    )
    show(lesson_figures.snapshot_row(run), "snapshots")
