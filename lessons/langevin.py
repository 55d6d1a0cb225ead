"""Lesson 1 — Langevin dynamics: the identity on distributions (MATH.md §1)."""

import streamlit as st

from lessons.presenter import presenting
from lessons.view import lesson_view

st.title("1 · Langevin dynamics: the identity on distributions")
if not presenting():  # presenter mode: figures only
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
            "- Start from the **target** itself and press Play: the particles jiggle, the cloud stays put "
            "(its KL stays in the grey band).\n"
            "- On the standard Gaussian raise **h to 1.0**: the cloud settles too wide. Compare the measured "
            "variance with the closed form below the chart (both read about 2).\n"
            "- Keep **h = 1.0** and switch the **Langevin step** to **MALA**: a Metropolis test now accepts "
            "or refuses each move, the measured variance falls back to about 1 and the verdict says "
            "matches; the acceptance rate shows what that costs.\n"
            "- Choose **Two moons** and start from the target. At h = 0.05 the run blows up; at **h = 0.01** "
            "it survives, yet the verdict says off: each moon is blurred. Lower h until it says matches "
            "(at **0.001** it does)."
        )

lesson_view("langevin")
