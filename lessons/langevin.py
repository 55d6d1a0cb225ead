"""Lesson 1 — Langevin dynamics: the identity on distributions (MATH.md §1)."""

import streamlit as st

from lessons import controls, figures
from lessons.settings import Settings

DEFAULTS = Settings(dataset="gaussian", step_size=0.05, num_steps=200, start="box")
CONTROLS = (
    "dataset",
    "start",
    "particles",
    "step_size",
    "num_steps",
    "seed",
    "field",
    "show_density",
    "show_paths",
)

st.title("1 · Langevin dynamics: the identity on distributions")
if not controls.presenting():  # presenter mode: figures only
    st.markdown(
        "Give every particle a nudge along the **score** $s(x) = \\nabla_x \\log p(x)$, which points "
        "uphill towards where $p$ has more mass, and add a little Gaussian noise. If the cloud already "
        "follows $p$, the nudges and the noise balance exactly: particles keep moving, the *distribution* "
        "does not. Started anywhere else, the same rule pulls the cloud into $p$. One step of size $h$:"
    )
    st.latex(r"x \;\leftarrow\; x + h\, s(x) + \sqrt{2h}\,\xi, \qquad \xi \sim \mathcal N(0, I)")
    st.markdown(
        "The step is only exact as $h \\to 0$. On a Gaussian target $\\mathcal N(0, \\sigma^2 I)$ the "
        "error has a closed form: the cloud settles at a variance that is too large, and for "
        "$h \\ge 2\\sigma^2$ it never settles at all."
    )
    st.latex(r"\operatorname{Var}_\infty = \frac{\sigma^2}{1 - h/(2\sigma^2)}")
    with st.expander("Try this", expanded=True):
        st.markdown(
            "- Start from the **target** itself and press Play: the particles jiggle, the cloud stays put.\n"
            "- On the standard Gaussian raise **h to 1.0**: the cloud settles too wide. Compare the measured "
            "variance with the closed form below the chart (both should read about 2).\n"
            "- Choose **Two moons** with h = 0.05: the step is too large for its sharp score and the run "
            "blows up. Which step size is the largest that works?"
        )


@st.fragment
def explore() -> None:
    """Controls, the animated cloud and its readouts; a slider move reruns only this part."""
    left, right = st.columns([1, 3], gap="medium")
    with left:
        settings = controls.controls("langevin", CONTROLS, DEFAULTS)
    run = controls.guarded(controls.langevin, settings)
    if run is None:
        return
    with right:
        figure = controls.cloud_figure(
            run, settings, title="Langevin (ULA) particles", colour=figures.COLOURS["langevin"], symbol="τ"
        )
        controls.show(figure, "cloud")
        controls.share_and_download(
            "langevin",
            settings,
            CONTROLS,
            figure,
            (run.times, run.xs, run.density, figures.COLOURS["langevin"]),
        )
        controls.readouts(run, time_title="Langevin time τ = k h", colour=figures.COLOURS["langevin"])


explore()
