"""Lesson 5 — Forward–backward duality (MATH.md §6)."""

import streamlit as st

from lessons.presenter import presenting
from lessons.view import lesson_view

st.title("5 · Forward–backward duality")
if not presenting():  # presenter mode: figures only
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
            "- Follow the traced particles: the yellow paths on the left and right have nothing in common.\n"
            "- Set **T = 0.5**: the backward start is no longer $p_T$ and the two columns disagree, most at "
            "large $t$."
        )

lesson_view("duality")
