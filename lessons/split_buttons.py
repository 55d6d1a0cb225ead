"""Lesson 3's step buttons: apply a forward half, a backward half or both to the drift cloud, one
press at a time, and reset it (the cloud lives in the session while the settings stay the same).
The cloud's time τ is kept with it: a forward half takes p_τ to p_{τ+h}, a backward half uses the
score of p_τ to bring it back to p_{τ−h}, so a backward half after three forward ones undoes the
last of them, not the first."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lessons import splitting_model
from lessons.settings import Settings

HALF_STEPS = {"forward": "Forward half", "backward": "Backward half", "both": "Both halves"}


def stepped_cloud(run: splitting_model.SplitRun, settings: Settings) -> np.ndarray:
    """The splitting lesson's cloud after the halves the student applied with the buttons; (N, 2)."""
    state = st.session_state.get("split_state")
    if state is None or state["settings"] != settings:
        state = _fresh(run, settings)
    buttons = st.container(horizontal=True)  # a row that wraps on a narrow screen
    for which, label in HALF_STEPS.items():
        if buttons.button(label, key=f"half_{which}"):
            state = _applied(state, settings, which)
    if buttons.button("Reset", key="half_reset"):
        state = _fresh(run, settings)
    st.session_state["split_state"] = state
    applied = ", ".join(state["applied"]) or "none yet"
    st.caption(
        f"Halves applied to this cloud: {applied}; it is now distributed as p_τ at τ = {state['time']:.2f} "
        f"(it started at t = {settings.time:g}). Arrows: the three drifts at time t (scaled)."
    )
    return state["cloud"]


def _fresh(run: splitting_model.SplitRun, settings: Settings) -> dict:
    return {"settings": settings, "cloud": run.cloud, "applied": [], "time": settings.time}


def _applied(state: dict, settings: Settings, which: str) -> dict:
    """The state after one more half, or unchanged with a note when a backward half would pass t = 0."""
    after = splitting_model.time_after(state["time"], which, settings.step_size)
    if after < -1e-9:
        st.info("The cloud is already within one step of t = 0: a backward half would go past the data.")
        return state
    seed = settings.seed * 1000 + len(state["applied"]) + 1
    cloud = splitting_model.half_step(settings, state["cloud"], which, seed, state["time"])
    return {**state, "cloud": cloud, "applied": [*state["applied"], which], "time": max(after, 0.0)}
