"""Home — what Langevin Lab teaches, and the one picture behind it."""

import streamlit as st

from lessons import engine_cache, lesson_figures
from lessons.presenter import presenting, show

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
show(lesson_figures.triangle_figure(engine_cache.triangle_clouds()), "triangle")
st.caption(
    "A cloud drawn from $p_t$ (two moons at t = 0.05), the same particles after one forward step of the OU "
    "process (now distributed as $p_{t+h}$, h = 0.2), and after the backward step that follows: back at "
    "$p_t$, though every particle has moved. Grey lines are contours of the exact density."
)
st.markdown(
    "**The lessons**, in order: (1) Langevin dynamics leaves its target unchanged; (2) the forward "
    "process turns data into Gaussian noise; (3) one Langevin step splits into a forward and a backward "
    "step; (4) the backward process turns noise into data; (5) forward and backward are dual; (6) a "
    "small network learns the score. Bring **your own data** (drawn or uploaded) to any lesson. Every "
    "setting lives in the page's address: copy it to share an exact setup."
)
