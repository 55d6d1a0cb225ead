"""Langevin Lab: an interactive classroom visualizer of diffusion models. Run with `make run`."""

import streamlit as st
import torch

from lessons import chart, engine_cache, presenter, registry


def main() -> None:
    """Page setup and navigation, built from the registry: a Home page, the lessons, own data."""
    torch.set_num_threads(1)  # one core per session: many students share the server
    engine_cache.freeze_imported_objects()
    st.set_page_config(page_title="Langevin Lab", page_icon=":material/grain:", layout="wide")
    presenter.presenter_toggle()
    with st.sidebar:
        chart.preload_plotly_js()  # plotly.js loads while the page's script simulates
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
    st.navigation(sections).run()


if __name__ == "__main__":
    main()
