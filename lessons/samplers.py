"""Lesson 7 — Samplers and step counts: the backward process discretised many ways, raced at equal
budgets of score evaluations against the exact p₀ (MATH §9)."""

import streamlit as st

from lessons.presenter import presenting
from lessons.view import lesson_view

st.title("7 · Samplers and step counts")
if not presenting():  # presenter mode: figures only
    st.markdown(
        "Lesson 4 ran the backward process with the plainest rule there is: small equal steps of "
        "Euler–Maruyama. Every step costs one call of the score, and in a real diffusion model that call is "
        "a large network, so the question that matters is how close to the data a sampler gets for a given "
        "number of **score evaluations**. Here the score is exact, so every sampler below is judged against "
        "the true $p_0$, and any error left is the discretisation's own. Each step goes from a noisier time "
        "$s$ to a cleaner time $t < s$, and most rules are built from the same denoiser, Tweedie's formula:"
    )
    st.latex(
        r"D_s(y) = \mathbb E[x_0 \mid x_s = y] = \frac{y + \sigma_s^2\, s_s(y)}{\alpha_s},"
        r"\qquad \alpha_s = e^{-s},\; \sigma_s^2 = 1 - e^{-2s}"
    )
    st.markdown(
        "- **Euler–Maruyama** (lesson 4, $\\lambda = 1$) and **Euler on the probability-flow ODE** "
        "($\\lambda = 0$): follow the drift in a straight line for the whole step, with or without noise.\n"
        "- **DDPM** (ancestral sampling): the step's mean is exactly $\\mathbb E[x_t \\mid x_s]$ given the "
        "score at $s$, then fresh noise of the right size is added.\n"
        "- **DDIM**: deterministic; it jumps to the denoised guess and puts back just the noise that $x_t$ "
        "should still carry. The ODE's linear part is solved exactly, only the denoiser is held fixed.\n"
        "- **Heun**: a second-order ODE step; try DDIM's move, evaluate the score where it lands, then take "
        "the average of both slopes. Two evaluations per step.\n"
        "- **DPM-Solver++(2M)**: second order for one evaluation per step, by remembering the previous "
        "step's denoiser and extrapolating how it changes.\n"
        "- **Predictor–corrector**: before each DDPM step, a Langevin step at fixed time $s$ (lesson 1 "
        "applied to $p_s$) pulls the cloud back onto $p_s$ without moving in time. One more evaluation "
        "per step.\n"
        "- **Exact posterior**: a mixture lets us draw $x_t \\sim p(x_t \\mid x_s)$ in closed form, so it "
        "has no discretisation error at all, even in one step. It needs the data itself, not a score: "
        "it is the floor the others are measured to, not a sampler one could train."
    )
    st.markdown(
        "**Why the time grid matters.** $p_t$ changes slowly at large $t$, where it is almost "
        "$\\mathcal N(0, I)$, and very fast near $t = 0$, where the fine structure of the data appears. "
        "Equal steps in $t$ waste evaluations on the boring end and stride over the important one. The "
        "**log-SNR** grid spaces the steps equally in $\\log(\\alpha_t^2/\\sigma_t^2)$ and **Karras**'s grid "
        "in a power of $\\sigma_t/\\alpha_t$; both crowd the steps near the data, stop at a small "
        "$t_{\\min}$ and finish with one Tweedie jump $x \\leftarrow D_{t_{\\min}}(x)$."
    )
    st.markdown(
        "**What the denoiser sees.** The panel under the race joins a few hundred exact draws "
        "$x_t \\sim p_t$, at the **Time t** of the controls, to their predictions $D_t(x_t)$: the average "
        "of the clean points, each weighted by how likely it was to become $x_t$. At large $t$ the noise "
        "hides where a particle came from and every prediction falls near the data's mean, a blur that on "
        "two moons lies off the data; at small $t$ each prediction lands on the data."
    )
    with st.expander("Try this", expanded=True):
        st.markdown(
            "- At the defaults (50 evaluations, **uniform** grid) both clouds read off. Switch the **time "
            "grid** to **log-SNR**: with the same budget both come within sampling noise.\n"
            "- On the log-SNR grid lower the **budget to 10**: Euler–Maruyama reads off, DPM-Solver++(2M) "
            "stays several times closer.\n"
            "- Choose **DDIM** and **Euler (probability-flow ODE)** on the uniform grid: both follow the same "
            "ODE without noise, yet DDIM's KL is at least a quarter lower than Euler's.\n"
            "- Look at the **exact posterior** panel: one step, one evaluation, and it is within sampling "
            "noise of $p_0$.\n"
            "- Set **Time t** to **2** and look at the denoiser panel: the predictions huddle near the data's "
            "mean, under a fifth as wide as the data, and almost none lie on it. Then set it to **0.05**: "
            "they spread over nine tenths as wide as the data, and nearly all lie on it."
        )

lesson_view("samplers")
