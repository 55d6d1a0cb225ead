"""Lesson 3 — Splitting one Langevin step into a forward and a backward step (MATH.md §4)."""

import streamlit as st

from lessons.presenter import presenting
from lessons.view import lesson_view

st.title("3 · Splitting one Langevin step in two")
if not presenting():  # presenter mode: figures only
    st.markdown(
        "Fix a time $t$ and run Langevin dynamics for $p_t$, a little faster than usual (rate $1+\\lambda$). "
        "It changes nothing about $p_t$. Now cut its drift into two pieces, and its noise into two "
        "independent pieces of variance 2 and $2\\lambda$:"
    )
    st.latex(
        r"\underbrace{(1+\lambda)\,s_t(x)}_{\text{Langevin}} \;=\; \underbrace{-x}_{\text{forward}}"
        r" \;+\; \underbrace{x + (1+\lambda)\,s_t(x)}_{\text{backward}}"
    )
    st.markdown(
        "The forward piece is one step of the OU process: it moves $p_t$ to $p_{t+h}$. The whole step moves "
        "nothing, so the backward piece *must* carry $p_{t+h}$ back to $p_t$; this is why the backward half "
        "uses the score of $p_{t+h}$. That backward piece, on its own, is the backward diffusion of lesson 4."
    )
    with st.expander("Try this", expanded=True):
        st.markdown(
            "- Press **Forward half** five times: the cloud moves on to $p_{t+5h}$, a little nearer noise "
            "(the caption below the buttons keeps its time τ). Then **Backward half** five times: it comes "
            "back to $p_t$, each backward half using the score of the cloud's own time.\n"
            "- Press Play under the three panels: with both halves the cloud stays at $p_t$ (its KL stays in "
            "the grey band); the forward half alone carries it off towards noise. The backward half alone "
            "drifts far less, here too little for the KL to see.\n"
            "- Move **t** close to 0: the backward arrows grow long against the forward ones, because the "
            "score of a sharp distribution is steep."
        )

lesson_view("splitting")
