"""Lesson 5 — Forward–backward duality (MATH.md §6)."""

import streamlit as st

from lessons import controls, figures
from lessons.settings import Settings

DEFAULTS = Settings(dataset="eight_gaussians", step_size=0.02, t_end=4.0, lam=1.0, particles=500)
CONTROLS = ("dataset", "particles", "step_size", "t_end", "lam", "seed", "show_density", "show_paths")

st.title("5 · Forward–backward duality")
if not controls.presenting():  # presenter mode: figures only
    st.markdown(
        "Picture a grid: columns are forward times $t$, and within a column, Langevin steps for $p_t$ shuffle "
        "particles without changing their distribution. Forward steps move one column to the right, "
        "backward steps one column to the left. Start the backward process at $p_T$ and its cloud at "
        "backward time $t'$ is distributed exactly like the forward cloud at $t = T - t'$:"
    )
    st.latex(r"q_0 = p_T \quad\Longrightarrow\quad q_{t'} = p_{T-t'} \quad \text{for every } t' \in [0, T]")
    st.markdown(
        "The two clouds share their *distributions*, not their particles: a backward path does not retrace "
        "any forward path. Below, both are shown at the same forward time $t$."
    )
    with st.expander("Try this", expanded=True):
        st.markdown(
            "- Drag the time slider: the two panels look alike at every $t$, and the distance between them "
            "stays near the dashed line.\n"
            "- Follow the traced particles: the orange paths on the left and right have nothing in common.\n"
            "- Set **T = 0.5**: the backward start is no longer $p_T$ and the two columns disagree, most at "
            "large $t$."
        )


@st.fragment
def explore() -> None:
    """Controls, the side-by-side animation and the distance between the two clouds over time."""
    left, right = st.columns([1, 3], gap="medium")
    with left:
        settings = controls.controls("duality", CONTROLS, DEFAULTS)
    run = controls.guarded(controls.duality, settings)
    if run is None:
        return
    with right:
        if run.divergence:
            st.error(run.divergence, icon=":material/warning:")
            return
        figure = controls.duality_figure(run, settings)
        controls.show(figure, "cloud")
        controls.share_and_download(
            "duality",
            settings,
            CONTROLS,
            figure,
            (run.times, run.backward, run.density, figures.COLOURS["backward"]),
        )
        controls.duality_readouts(run)


explore()
