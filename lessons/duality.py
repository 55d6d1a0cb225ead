"""Lesson 5 — Forward–backward duality (MATH.md §6)."""

import streamlit as st

from lessons.presenter import presenting
from lessons.view import lesson_view

st.title("5 · Forward–backward duality")
if not presenting():  # presenter mode: figures only
    st.markdown(
        "Picture a grid: columns are forward times $t$, and within a column, Langevin steps for $p_t$ shuffle "
        "particles without changing their distribution. Forward steps move one column to the right, "
        "backward steps one column to the left (the grid picture at the bottom of the page draws it). Start "
        "the backward process at $p_T$ and its cloud at backward time $t'$ is distributed exactly like the "
        "forward cloud at $t = T - t'$:"
    )
    st.latex(r"q_0 = p_T \quad\Longrightarrow\quad q_{t'} = p_{T-t'} \quad \text{for every } t' \in [0, T]")
    st.markdown(
        "Here the backward run starts from the forward run's own endpoints, so its start is exactly $p_T$ "
        "and backward particle $i$ starts where forward particle $i$ ended. The two runs share their "
        "*distributions*, not their particles: a backward path does not retrace its forward partner. A "
        "second backward run starts from N(0, I), as a generator must; it is measured, not drawn. Both "
        "clouds are shown at the same forward time $t$."
    )
    with st.expander("Try this", expanded=True):
        st.markdown(
            "- At the defaults, the blue forward line of the KL chart stays in the grey band at every $t$; "
            "the vermillion backward line leaves it near $t = 0$, where the backward step's own error "
            "shows. Set **h = 0.005**: it stays in the band down to $t = 0$.\n"
            "- Follow the traced particles: each yellow path on the right starts where one on the left "
            "ended, then goes its own way. In the partner chart, at $t = 0$ a backward particle is as far "
            "from its own partner's start as from a random particle's (ratio near 1).\n"
            "- Set **T = 0.5**: that ratio drops well below 1. Over a short time a backward particle has "
            "not forgotten where it began, though it still does not retrace the forward path.\n"
            "- Choose **Two tilted modes** and **T = 0.25**: N(0, I) is not $p_T$ there. The purple line "
            "(the run from N(0, I)) starts above the band at $t = T$ and the verdict says so, while the "
            "run from the forward endpoints starts inside it.\n"
            "- In the N(0, I) chart, on eight Gaussians the green line is 0 at every $t$: these data have "
            "mean 0 and covariance $I$ from the start, so all of their divergence from N(0, I) is in the "
            "shape. On two tilted modes the mean and covariance carry part of it."
        )

lesson_view("duality")
