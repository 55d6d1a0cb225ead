"""The step-size sweep on a lesson page (MATH §11): a switch, then the chart of the final cloud's
error against h with a one-line caption, drawn after the main chart; each run of the sweep is cached
for every session.

It is part of the lesson view's fragment, not a fragment of its own: when a held arrow key queues
reruns of the view, Streamlit drops the view's unsent elements but keeps a nested fragment's, and the
browser, handed an element after a gap, went blank ("Bad delta path index").
"""

from __future__ import annotations

import streamlit as st

from lessons import engine_cache, sweep_figures
from lessons import step_sweep as model
from lessons.presenter import show
from lessons.registry import Page
from lessons.settings import Settings, simulation_settings

# Off: a cold sweep costs 0.2–2 s of CPU at the defaults, and a run in progress delays the next move.
SHOWN_BY_DEFAULT = False
EXACT_FORWARD = (
    "Step-size sweep: the exact transition has no step-size error — every h gives the exact p_T, "
    "so there is nothing to sweep (choose Euler–Maruyama to see one)."
)


def step_sweep(page: Page, settings: Settings) -> None:
    """The sweep of ``page`` at ``settings`` behind a switch; nothing on a page where h does not matter."""
    if page.name not in model.SWEPT_PAGES:
        return
    if page.name == "forward" and settings.method == "exact":
        st.caption(EXACT_FORWARD)
        return
    shown = st.toggle(
        "Step-size sweep: how much worse is this h?",
        value=SHOWN_BY_DEFAULT,
        key=f"_step_sweep_{page.name}",
        help="Runs this page again at the slider's step sizes around this one (same total time; on the "
        "splitting lesson the same number of steps), then shows the final cloud's error against h. "
        "Takes a few seconds the first time.",
    )
    if shown:
        engine_cache.guarded(lambda chosen: _draw(page, chosen), settings)


def _draw(page: Page, settings: Settings) -> None:
    """Refuse in one line when too costly; else measure each h (progress bar), then chart and caption."""
    settings = simulation_settings(settings)
    cost = model.cost(page.name, settings)
    if cost > model.COST_BUDGET:
        st.caption(
            f"Step-size sweep skipped: it would take about {model.seconds(cost):.0f} s of the server "
            "at these settings. A shorter total time, a larger h or fewer own points brings it back."
        )
        return
    points = model.point_settings(page.name, settings)
    bar = st.progress(0.0)
    measured = []
    for index, point in enumerate(points):
        bar.progress(index / len(points), text=f"Sweeping the step size: {index + 1} of {len(points)}")
        measured.append(_measure(page.name, point))
    bar.empty()
    sweep = model.assemble(page.name, settings, tuple(measured))
    show(sweep_chart(sweep, page.colour), f"step_sweep_{page.name}")
    st.caption(caption(page.name, sweep))


@st.cache_data(max_entries=256, show_spinner=False)
def _measure(page_name: str, point: Settings) -> model.SweepPoint:
    """``model.measure``, cached per (page, simulation settings of the run) for every session."""
    return engine_cache.on_a_core(lambda: model.measure(page_name, point))


def sweep_chart(sweep: model.Sweep, colour: str) -> dict:
    """The sweep's chart in ``colour``, its closed form drawn where there is one."""
    closed = (sweep.closed_step_sizes, sweep.closed_errors) if len(sweep.closed_step_sizes) else None
    return sweep_figures.sweep_figure(
        sweep.step_sizes,
        sweep.errors,
        sweep.blew_up,
        band=sweep.band,
        current=sweep.current,
        colour=colour,
        closed=closed,
    )


def caption(page_name: str, sweep: model.Sweep) -> str:
    """What the sweep chart shows, how its numbers are made, and what the band means."""
    closed = f" Dashed: closed form, {sweep.closed_note}." if sweep.closed_note else ""
    held = "same number of steps" if page_name == "splitting" else "same total time"
    which = " started from the forward run's own endpoints" if page_name == "duality" else ""
    return (
        f"The final cloud{which}: its error in nats (KL to the exact final distribution, {sweep.size:,} particles, "
        f"minus what an exact cloud of that size reads) at each step size h, {held}, log axes; "
        "dotted: this h. Grey: sampling noise, where exact clouds land; errors too small to see sit at "
        f"its foot.{closed}"
    )
