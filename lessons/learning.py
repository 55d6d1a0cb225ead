"""Lesson 6 — Learning the score: a small network trained live and compared with the truth (MATH.md §7)."""

import streamlit as st

from lessons.presenter import presenting
from lessons.view import lesson_view

st.title("6 · Learning the score")
if not presenting():  # presenter mode: figures only
    st.markdown(
        "Every lesson so far used the exact score $\\nabla \\log p_t$. A real diffusion model never has it: "
        "it only has examples of the data. It learns the score with a neural network $s_\\theta(x, t)$ "
        "by a trick called *denoising score matching*: blur a data point to time $t$, and ask the network "
        "which way the noise came from."
    )
    st.latex(
        r"x_t = e^{-t}x_0 + \sigma_t\,\varepsilon,\quad \sigma_t = \sqrt{1-e^{-2t}},\qquad"
        r"\mathcal L(\theta) = \mathbb E_{x_0,\,t,\,\varepsilon}\,\big\|\sigma_t\, s_\theta(x_t, t) + \varepsilon\big\|^2"
    )
    st.markdown(
        "The loss is smallest when $s_\\theta$ is the true score of $p_t$, yet it never needs that score. "
        "Here every dataset has an exact score, so we can see where the network is right, where it is "
        "wrong, and whether it matters. The network is a small MLP (about 12,000 weights) trained on this "
        "server's processor, which every student shares: 2,000 steps need a few seconds of it, and the "
        "wait is several times longer when many students are training or simulating at once. The "
        "progress bar shows how far it is, and Stop keeps what was learned so far. A network someone "
        "has trained on a preset with the same steps and seed is shown to everyone without training "
        "again. The loss never reaches zero: "
        "even the exact score has a loss (the dashed line), because the noise ε cannot be told exactly "
        "from $x_t$."
    )
    with st.expander("Try this", expanded=True):
        st.markdown(
            "- Train with **50 steps**, then **2000**: compare the snapshot clouds at the bottom and their KL "
            "to the data; the samples sharpen as the score improves.\n"
            "- Move **t** towards 0: the learned arrows disagree most far from the data, but the error map "
            "stays dark there, because $p_t$ has no mass to be misled.\n"
            "- Try the **Spiral**: after the same 2000 steps its relative error (under the arrows) is larger "
            "than on two moons. Thin structures are harder to learn."
        )

lesson_view("learning")
