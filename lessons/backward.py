"""Lesson 4 — Backward diffusion: generating data from noise with the score (MATH.md §5)."""

import streamlit as st

from lessons.presenter import presenting
from lessons.view import lesson_view

st.title("4 · Backward diffusion: from noise to data")
if not presenting():  # presenter mode: figures only
    st.markdown(
        "The backward half of the split step, repeated, undoes the forward process one step at a time. "
        "Start with pure noise $\\mathcal N(0, I)$, which is (almost) $p_T$, and run the backward time "
        "$t' = T - t$ from 0 to $T$: the cloud passes through $p_{T-t'}$ and lands on the data. All it needs "
        "is the score of every $p_t$, which this app knows exactly:"
    )
    st.latex(r"dx = \big(x + (1+\lambda)\,\nabla \log p_{T-t'}(x)\big)\,dt' + \sqrt{2\lambda}\,dW")
    st.markdown(
        "λ = 1 is Anderson's reverse-time SDE, λ = 0 the deterministic probability-flow ODE; every λ ≥ 0 "
        "gives the same marginals. Each Euler–Maruyama step evaluates the score at the step's start. "
        "Euler–Maruyama is only one way to take a step: the **Sampler** menu has the others of lesson 7 "
        "(DDPM's ancestral step, DDIM, Heun, DPM-Solver++(2M), predictor–corrector), each on the same "
        "S = T / h evenly spaced steps. Only Euler–Maruyama reads λ."
    )
    with st.expander("Try this", expanded=True):
        st.markdown(
            "- At the default h = 0.02 the verdict already says off: look at the KL chart, the error is made "
            "in the last steps, near $t = 0$, where the score is steepest. Raise **h to 0.2**: the final "
            "KL is many times larger, the cloud visibly blurred.\n"
            "- Set **T = 0.25**: the start $\\mathcal N(0, I)$ is not $p_T$. The first point of the KL chart "
            "is already above the grey band, and the verdict asks for a longer T.\n"
            "- Set **λ = 0** and trace a few particles: the paths become smooth curves, and at this h the "
            "final KL is smaller than with λ = 1. Both reach the data only as h → 0.\n"
            "- Choose the **sampler DPM-Solver++(2M)** at the default h: the final KL falls to less than "
            "half of Euler–Maruyama's, and moving λ changes nothing. The verdict still says off: even steps "
            "are too coarse near $t = 0$ for every sampler (lesson 7 tries grids that crowd steps there)."
        )

lesson_view("backward")
