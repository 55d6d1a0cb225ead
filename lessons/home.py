"""Home — what Langevin Lab teaches, and the one picture behind it."""

import streamlit as st

from lessons import engine_cache, registry, triangle
from lessons.presenter import presenting, show

# One line per page under its link (the registry's titles name them; this says what each shows).
DESCRIPTIONS = {
    "langevin": "Langevin dynamics leaves its target unchanged: particles move, the distribution does not.",
    "forward": "The forward (Ornstein–Uhlenbeck) process turns data into Gaussian noise.",
    "splitting": "One Langevin step splits into a forward step and a backward step.",
    "backward": "The backward process, driven by the score, turns noise back into data.",
    "duality": "Forward and backward are dual: run back from p_T, the cloud matches the forward one at every time.",
    "learning": "A small network learns the score from examples alone (denoising score matching), trained live.",
    "samplers": "Which sampler, how many steps: DDPM, DDIM, Heun, DPM-Solver and others measured against the exact answer.",
    "own-data": "Draw or upload your own points and use them as the dataset of every lesson.",
}

st.title("Langevin Lab")
if not presenting():  # presenter mode: figures only
    st.markdown(
        "Diffusion models turn noise into data. This lab shows, with a cloud of particles in the plane, "
        "why that works, and every number it shows is computed against an exact answer: each dataset here "
        "is a Gaussian mixture, so its density and score are known at every time."
    )
    st.latex(
        r"\text{forward step} \;+\; \text{backward step} \;=\; \text{one Langevin step} \;=\; \text{identity on } p_t"
    )
clouds = engine_cache.triangle_clouds()
show(triangle.triangle_figure(clouds), "triangle")
st.caption(triangle.triangle_caption(clouds))
st.subheader("The lessons", anchor=False)
for page in (*registry.LESSONS, registry.OWN_DATA):  # in order, then own data
    st.page_link(page.script, label=page.title, icon=page.icon)
    if not presenting():
        st.caption(DESCRIPTIONS.get(page.name, ""))
if not presenting():
    st.markdown(
        "Every setting lives in the page's address: copy it to share an exact setup. Bring **your own "
        "data** (drawn or uploaded) to any lesson."
    )
