"""Lesson 4 — Backward diffusion: generating data from noise with the score (MATH.md §5)."""

import streamlit as st

from lessons import controls, figures
from lessons.settings import Settings

DEFAULTS = Settings(dataset="two_moons", step_size=0.02, t_end=4.0, lam=1.0)
CONTROLS = (
    "dataset",
    "particles",
    "step_size",
    "t_end",
    "lam",
    "seed",
    "field",
    "show_density",
    "show_paths",
)

st.title("4 · Backward diffusion: from noise to data")
if not controls.presenting():  # presenter mode: figures only
    st.markdown(
        "The backward half of the split step, repeated, undoes the forward process one step at a time. "
        "Start with pure noise $\\mathcal N(0, I)$, which is (almost) $p_T$, and run the backward time "
        "$t' = T - t$ from 0 to $T$: the cloud passes through $p_{T-t'}$ and lands on the data. All it needs "
        "is the score of every $p_t$, which this app knows exactly:"
    )
    st.latex(r"dx = \big(x + (1+\lambda)\,\nabla \log p_{T-t'}(x)\big)\,dt' + \sqrt{2\lambda}\,dW")
    st.markdown(
        "λ = 1 is Anderson's reverse-time SDE, λ = 0 the deterministic probability-flow ODE; every λ ≥ 0 "
        "gives the same marginals. Each Euler–Maruyama step evaluates the score at the step's start."
    )
    with st.expander("Try this", expanded=True):
        st.markdown(
            "- Raise **h to 0.2**: the final cloud is blurred (compare its distance with the dashed "
            "line); near $t = 0$ the score is steep and large steps overshoot.\n"
            "- Set **T = 0.5**: the start $\\mathcal N(0, I)$ is not $p_T$ (see the first readout), and the "
            "error is carried all the way to the data.\n"
            "- Set **λ = 0**: the paths become smooth curves (trace a few particles), the result is the same."
        )


@st.fragment
def explore() -> None:
    """Controls, the animated cloud and its readouts; a slider move reruns only this part."""
    left, right = st.columns([1, 3], gap="medium")
    with left:
        settings = controls.controls("backward", CONTROLS, DEFAULTS)
    run = controls.guarded(controls.backward, settings)
    if run is None:
        return
    with right:
        figure = controls.cloud_figure(
            run, settings, title="Backward particles", colour=figures.COLOURS["backward"], backward_time=True
        )
        controls.show(figure, "cloud")
        controls.share_and_download(
            "backward",
            settings,
            CONTROLS,
            figure,
            (run.times, run.xs, run.density, figures.COLOURS["backward"]),
        )
        controls.readouts(
            run, time_title="forward time t (runs from T down to 0)", colour=figures.COLOURS["backward"]
        )


explore()
