"""A lesson's controls and their state: seeded from the page's address on arrival, kept for the
session when the student visits another page, and written back to the address after every change.

The look of every control is fixed here, so a setting has the same name, range and widget on every
page. A value in the address that is not allowed falls back to the default with a visible note.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import streamlit as st

from lessons.registry import Page
from lessons.settings import FIELD_NAMES, OPTIONS, SEED_MAX, Settings, format_value, parse_query, to_query

CLASS_PARAMS = ("class", "key")  # a class-mode room's code and teacher key stay in the address


def settings_for(page: Page) -> Settings:
    """The page's settings for this run, before its controls are drawn (``write_address`` puts them
    in the address once the page has drawn).

    On arrival the address decides; an address without any setting (a sidebar link, the Back
    button to a bare address) brings back what the student last had on this page in this session.
    After that the controls' state decides: a move has set it before the run starts, so the chart can
    be drawn before the controls (``draw_controls``), whose options never depend on other settings.
    """
    if arrived(page):
        settings, notes = arrival_settings(page, st.query_params.to_dict(), kept(page))
        for name in page.controls:
            st.session_state[name] = getattr(settings, name)
        if settings.points:  # a shared link brings its own data along
            st.session_state["own_data"] = (settings.points, settings.bandwidth)
        st.session_state["_url_page"], st.session_state["_url_notes"] = page.name, notes
        st.session_state["_visits"] = visit_number() + 1
    settings = replace(page.defaults, **{name: st.session_state[name] for name in page.controls})
    if settings.dataset == "custom" and "own_data" in st.session_state:
        points, bandwidth = st.session_state["own_data"]
        settings = replace(settings, points=points, bandwidth=bandwidth)
    st.session_state[f"_kept_{page.name}"] = settings
    # what write_address puts in the address, and what class mode broadcasts
    st.session_state["_url_written"] = to_query(settings, url_names(settings, page.controls))
    return settings


def write_address() -> None:
    """The settings ``settings_for`` read, written to the address, with a class room's parameters.

    Written after the page has drawn, not before: a page reached through the sidebar that wrote its
    address at the start of its run wrote it into the previous page's history entry (Streamlit's
    frontend had not moved to the new path yet), and Back then opened the old page with the new
    page's settings (tests/e2e/test_back_button.py).
    """
    kept_params = {name: value for name, value in st.query_params.to_dict().items() if name in CLASS_PARAMS}
    st.query_params.from_dict({**st.session_state["_url_written"], **kept_params})


def draw_controls(page: Page) -> None:
    """The page's controls, showing the state ``settings_for`` read, and its reset button; a note on
    what the address held that was ignored is shown once, gone at the next interaction."""
    for note in st.session_state.pop("_url_notes", []):
        st.info(note, icon=":material/link_off:")
    for name in page.controls:
        _widget(name, page.control_label(name))
    st.button(
        "Reset to defaults",
        key=f"_reset_{page.name}",
        icon=":material/restart_alt:",
        on_click=reset_to_defaults,
        args=(page,),
        help="Every control of this page back to where the lesson starts.",
    )


def arrived(page: Page) -> bool:
    """Whether the student has just come to ``page``: from another lesson, or from a page without
    controls (whose run dropped this page's widget state).

    The address is not compared with what this page last wrote: while an arrow key is held, a
    rerun's address lags behind the server's last write, and the controls would jump back."""
    return st.session_state.get("_url_page") != page.name or any(
        name not in st.session_state for name in page.controls
    )


def visit_number() -> int:
    """How many times the student has arrived on a lesson page in this session (``arrived``)."""
    return st.session_state.get("_visits", 0)


def arrival_settings(
    page: Page, query: dict[str, str], kept_settings: Settings | None
) -> tuple[Settings, list[str]]:
    """The settings a page opens with, and notes on what the address held that was ignored: the
    address's settings over the defaults, or, when it names none, the settings kept for the page."""
    if kept_settings is not None and not set(query) & set(FIELD_NAMES):
        return kept_settings, []
    return parse_query(query, page.defaults)


def reset_to_defaults(page: Page) -> None:
    """The Reset button's callback, run before the rerun draws the widgets: every control of ``page``
    back to its default and the settings kept for the page forgotten; the address follows when
    ``controls`` writes the (default) settings back to it."""
    for name in page.controls:
        st.session_state[name] = getattr(page.defaults, name)
    st.session_state.pop(f"_kept_{page.name}", None)
    st.session_state.pop("_url_notes", None)


def kept(page: Page) -> Settings | None:
    """What the student last had on ``page`` in this session, if anything."""
    return st.session_state.get(f"_kept_{page.name}")


def url_names(settings: Settings, names: tuple[str, ...]) -> tuple[str, ...]:
    """The settings a link carries: the page's controls, plus own data when it is in use."""
    return (*names, "points", "bandwidth") if settings.dataset == "custom" and settings.points else names


def _widget(name: str, label: str) -> None:
    option = OPTIONS[name]
    show = functools.partial(format_value, name)
    if option.widget == "selectbox":
        st.selectbox(label, option.values, format_func=show, key=name)
    elif option.widget == "segmented":
        st.segmented_control(label, option.values, format_func=show, key=name, required=True)
    elif option.widget == "toggle":
        st.toggle(label, key=name)
    elif option.widget == "seed":
        st.number_input(label, min_value=0, max_value=SEED_MAX, step=1, key=name)
    else:
        st.select_slider(label, option.values, format_func=show, key=name)
