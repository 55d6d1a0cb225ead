"""Lesson 2 — Forward diffusion: the Ornstein–Uhlenbeck process turns data into noise (MATH.md §2)."""

import streamlit as st

from lessons.presenter import presenting
from lessons.view import lesson_view

st.title("2 · Forward diffusion: from data to noise")
if not presenting():  # presenter mode: figures only
    st.markdown(
        "Now let the particles follow Langevin dynamics for the plainest target there is, the standard "
        "Gaussian $\\mathcal N(0, I)$, whose score is simply $-x$. Whatever the data looked like, the cloud "
        "shrinks towards the origin and fills up with noise until it *is* $\\mathcal N(0, I)$. This is "
        "the Ornstein–Uhlenbeck process, the forward process of diffusion models, run in forward time $t$:"
    )
    st.latex(r"dx = -x\,dt + \sqrt{2}\,dW")
    st.markdown(
        "It can be simulated step by step (Euler–Maruyama) or jumped exactly, since every marginal is "
        "known in closed form; for a Gaussian-mixture dataset $p_t$ stays a Gaussian mixture:"
    )
    st.latex(
        r"x_t = e^{-t}x_0 + \sqrt{1-e^{-2t}}\,\varepsilon, \qquad"
        r"\text{Euler–Maruyama: } x \leftarrow (1-h)\,x + \sqrt{2h}\,\xi"
    )
    st.markdown(
        "DDPM writes the same chain as $x_k = \\sqrt{1-\\beta}\\,x_{k-1} + \\sqrt{\\beta}\\,\\varepsilon$ "
        "with $\\beta = 1 - e^{-2h}$ and $\\bar\\alpha(t) = e^{-2t}$. Means fade like $e^{-t}$, variances "
        "approach 1 like $e^{-2t}$: by $T \\approx 3$–$5$ nothing of the data is left."
    )
    with st.expander("Try this", expanded=True):
        st.markdown(
            "- Set **T = 0.5** and look at the readouts: how far is $p_T$ from $\\mathcal N(0, I)$? "
            "Now T = 4.\n"
            "- Switch to **Euler–Maruyama** and raise **h to 0.5**: the cloud ends up too wide (the variance "
            "readouts say about $1/(1-h/2) = 1.33$ instead of 1); the exact transition has no such error. "
            "At **h = 1.0** the KL verdict sees it too.\n"
            "- Turn on the arrows **forward drift −x**: the same field at every time, pointing home."
        )

lesson_view("forward")
