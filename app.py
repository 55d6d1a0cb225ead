"""Langevin Lab: an interactive classroom visualizer of diffusion models. Run with `make run`."""

import streamlit as st
import torch

from lessons import chart, controls

LESSONS = [
    ("lessons/langevin.py", "1 · Langevin dynamics", ":material/all_inclusive:", "langevin"),
    ("lessons/forward.py", "2 · Forward diffusion", ":material/trending_flat:", "forward"),
    ("lessons/splitting.py", "3 · Splitting a step", ":material/call_split:", "splitting"),
    ("lessons/backward.py", "4 · Backward diffusion", ":material/undo:", "backward"),
    ("lessons/duality.py", "5 · Duality", ":material/compare_arrows:", "duality"),
    ("lessons/learning.py", "6 · Learning the score", ":material/neurology:", "learning"),
]


def main() -> None:
    """Page setup and navigation: a Home page, then the lessons in order."""
    torch.set_num_threads(1)  # one core per session: many students share the server
    controls.freeze_imported_objects()
    st.set_page_config(page_title="Langevin Lab", page_icon=":material/grain:", layout="wide")
    controls.presenter_toggle()
    with st.sidebar:
        chart.preload_plotly_js()  # plotly.js loads while the page's script simulates
    home = st.Page("lessons/home.py", title="Home", icon=":material/home:", default=True)
    lessons = [st.Page(path, title=title, icon=icon, url_path=url) for path, title, icon, url in LESSONS]
    own_data = st.Page(
        "lessons/own_data.py", title="Your own data", icon=":material/draw:", url_path="own-data"
    )
    st.navigation({"Langevin Lab": [home], "Lessons": lessons, "Explore": [own_data]}).run()


if __name__ == "__main__":
    main()
