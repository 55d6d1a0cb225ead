"""Langevin Lab: an interactive classroom visualizer of diffusion models. Run with `make run`."""

from pathlib import Path

import streamlit as st
import torch

from lessons import chart, classroom, engine_cache, history, presenter, registry

# The favicon is a file the server sends itself (Streamlit's media endpoint): a ":material/...:" page
# icon makes the browser fetch an SVG from fonts.gstatic.com, and a classroom may have no internet.
FAVICON = Path(__file__).resolve().parent / "assets" / "favicon.png"


def main() -> None:
    """Page setup and navigation, built from the registry: a Home page, the lessons, own data."""
    torch.set_num_threads(1)  # one core per session: many students share the server
    engine_cache.freeze_imported_objects()
    st.set_page_config(page_title="Langevin Lab", page_icon=FAVICON, layout="wide")
    presenter.presenter_toggle()
    with st.sidebar:
        chart.preload_plotly_js()  # plotly.js loads while the page's script simulates
        history.one_entry_per_visit()  # Back returns to a lesson as it was left
    sections = {
        section: [
            st.Page(
                page.script,
                title=page.title,
                icon=page.icon,
                url_path=page.url_path,
                default=not page.url_path,
            )
            for page in pages
        ]
        for section, pages in registry.SECTIONS.items()
    }
    navigation = st.navigation(sections)
    classroom.class_mode(navigation.url_path or "home")
    navigation.run()
    classroom.page_drawn()


if __name__ == "__main__":
    main()
