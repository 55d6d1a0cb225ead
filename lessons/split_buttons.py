"""Lesson 3's step buttons: apply a forward half, a backward half or both to the drift cloud, one
press at a time, and reset it (the cloud lives in the session while the settings stay the same)."""

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
        state = {"settings": settings, "cloud": run.cloud, "applied": []}
    buttons = st.container(horizontal=True)  # a row that wraps on a narrow screen
    for which, label in HALF_STEPS.items():
        if buttons.button(label, key=f"half_{which}"):
            seed = settings.seed * 1000 + len(state["applied"]) + 1
            state = {**state, "cloud": splitting_model.half_step(settings, state["cloud"], which, seed)}
            state["applied"] = [*state["applied"], which]
    if buttons.button("Reset", key="half_reset"):
        state = {"settings": settings, "cloud": run.cloud, "applied": []}
    st.session_state["split_state"] = state
    applied = ", ".join(state["applied"]) or "none yet"
    st.caption(f"Halves applied to this cloud: {applied}. Arrows: the three drifts at time t (scaled).")
    return state["cloud"]
