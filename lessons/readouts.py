"""What a lesson says about its run in numbers and words: the distance chart, the verdict, the
numeric readouts, and, when the particles blew up, what happened instead of any verdict."""

from __future__ import annotations

import streamlit as st

from lessons import lesson_figures, simulate
from lessons.presenter import show
from lessons.registry import Page

DIVERGED_ICON = ":material/warning:"


def one_cloud_readouts(page: Page, run: simulate.Run) -> None:
    """The distance of every frame to the exact marginal, the verdict, and the run's readouts."""
    if run.divergence:
        st.error(run.divergence, icon=DIVERGED_ICON)
        st.warning(
            f"No verdict: the cloud did not survive the run. The animation stops at the last frame before "
            f"the blow-up ({len(run.times)} of the run's frames), so no final cloud is compared with "
            "the exact distribution.",
            icon=DIVERGED_ICON,
        )
    if len(run.times) > 1:
        show(lesson_figures.distance_chart(page, run), "distance_chart")
        st.caption(
            f"Distance of the cloud (up to {simulate.DISTANCE_PARTICLES:,} of its particles) to as many "
            "fresh exact samples at each frame; the dashed line is the distance between two independent "
            "exact samples of that size, what 'no difference' looks like."
        )
    if not run.divergence:
        verdict(float(run.distances[-1]), run.noise_floor)
    for label, value in run.readouts:
        st.markdown(f"**{label}:** `{value}`")


def verdict(final: float, floor: float) -> None:
    """Say in words whether the final cloud matches the exact distribution, within sampling noise."""
    if final <= 2 * floor + 0.03:
        st.success(
            f"The final cloud matches the exact distribution: distance {final:.3f}, sampling noise {floor:.3f}."
        )
    else:
        st.warning(
            f"The final cloud is off: distance {final:.3f} against sampling noise {floor:.3f}. "
            "A smaller step size h (or, going backward, a longer total time T) brings it closer."
        )
