"""What a lesson says about its run in numbers and words: the KL chart, the verdict, the numeric
readouts, and, when the particles blew up, what happened instead of any verdict."""

from __future__ import annotations

import streamlit as st

from lessons import engine_cache, fit, noise_bands, readout_figures
from lessons.presenter import show
from lessons.registry import Page
from lessons.settings import Settings
from lessons.simulate import Run

DIVERGED_ICON = ":material/warning:"


def one_cloud_readouts(page: Page, run: Run, settings: Settings) -> None:
    """The KL of the frames to the exact marginal, the verdict, and the run's readouts."""
    if run.divergence:
        st.error(run.divergence, icon=DIVERGED_ICON)
        st.warning(
            f"No verdict: the cloud did not survive the run. The animation stops at the last frame before "
            f"the blow-up ({len(run.times)} of the run's frames), so no final cloud is compared with "
            "the exact distribution.",
            icon=DIVERGED_ICON,
        )
    else:
        measured = engine_cache.lesson_fit(page, settings)
        if measured is not None:
            _fit_readouts(page, run, measured)
    for label, value in run.readouts:
        st.markdown(f"**{label}:** `{value}`")


def _fit_readouts(page: Page, run: Run, measured: fit.Fit) -> None:
    """The KL chart with its caption, then the verdict."""
    chart = readout_figures.kl_chart(
        measured.times,
        {"cloud vs exact": (measured.excess, page.colour)},
        measured.margin,
        x_title=page.time_axis,
    )
    show(chart, "distance_chart")
    st.caption(caption(run))
    said = fit.verdict(measured, stationary=run.stationary)
    getattr(st, said.kind)(said.text)


def caption(run: Run) -> str:
    """What the KL chart shows, how its numbers are made, and what its band means."""
    target = "the target p" if run.stationary else "the exact p_t at each frame's time"
    first = "" if run.stationary else " The first point is the start against its exact p_t."
    return (
        f"KL divergence in nats of the cloud (its first {noise_bands.kl_size(run.xs.shape[1]):,} particles) "
        f"from {target}, minus what a cloud drawn from the exact distribution reads at that size (the "
        "estimate's own bias), so 0 is as good as exact. Grey: the sampling-noise band, where 99.5 % of "
        f"exact clouds land.{first}"
    )
