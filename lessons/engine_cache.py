"""Engine calls cached for every session: one entry point per kind of run, keyed by the simulation
settings only (``settings.simulation_settings``), so that a display toggle never simulates again.

Each session's simulations run on one torch thread (app.py), so that many students share a server:
a run is costed before it starts and refused in words above the work budget (``work_budget``); at
most one run per core computes at once, others wait with "Waiting for the server"; a run whose session
is gone or has asked for a newer rerun stops (``scheduler``). A cache hit needs no core.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import numpy as np
import streamlit as st

from lessons import registry, scheduler, simulate, triangle, work_budget
from lessons.settings import Settings, simulation_settings

LOG = logging.getLogger("langevin_lab")
CACHE_ENTRIES = 24
WAITING = "Waiting for the server: every processor core is busy with other students' simulations"
Result = TypeVar("Result")


def lesson_run(page: registry.Page, settings: Settings) -> object | None:
    """The page's engine run for ``settings`` (cached), or None after a plain-words message; a run
    over the work budget is refused before any step runs."""
    return guarded(
        lambda chosen: _run(page.name, simulation_settings(within_budget(page.name, chosen))), settings
    )


def within_budget(page_name: str, settings: Settings) -> Settings:
    """``settings``, or ValueError with the work budget's plain-words refusal (shown by ``guarded``)."""
    refusal = work_budget.refusal(page_name, settings)
    if refusal is not None:
        raise ValueError(refusal)
    return settings


def on_a_core(compute: Callable[[], Result]) -> Result:
    """``compute()`` (an engine call inside a cached function) on one of the server's cores, stopped
    when its session is gone or superseded; ``scheduler.MustWait`` when every core is busy, which
    ``guarded`` turns into a visible wait."""
    return scheduler.SERVER_CORES.run(compute, scheduler.streamlit_check)


def lesson_fit(page: registry.Page, settings: Settings) -> object | None:
    """How far the page's run is from the exact answer (cached apart from the run, so the chart is
    on screen before it is measured), or None after a plain-words message."""
    return guarded(lambda chosen: _fit(page.name, simulation_settings(chosen)), settings)


def guarded(compute: Callable[[Settings], Result], settings: Settings) -> Result | None:
    """Run a simulation, waiting visibly for a core when all are busy; show a plain-words message
    instead of any error."""
    try:
        return _when_a_core_is_free(compute, settings)
    except ValueError as error:
        st.warning(str(error), icon=":material/tune:")
    except Exception:
        LOG.exception("simulation failed for dataset %s", settings.dataset)
        st.error(
            "Something went wrong with this simulation. Try other settings; the details are in the server log."
        )
    return None


def _when_a_core_is_free(compute: Callable[[Settings], Result], settings: Settings) -> Result:
    """``compute(settings)``; when it finds every core busy, wait in line for one under a spinner that
    says how many runs were ahead when the wait began, then again. (A spinner is drawn apart from the
    page's elements, so the view keeps its place whether or not it waited.)"""
    try:
        return compute(settings)
    except scheduler.MustWait:
        ahead = scheduler.SERVER_CORES.waiting
        with st.spinner(waiting_text(ahead)), scheduler.SERVER_CORES.holding(scheduler.streamlit_check):
            return compute(settings)


def waiting_text(ahead: int) -> str:
    """What a run waiting for a core says, with the ``ahead`` runs queued before it."""
    where = "yours is next" if ahead == 0 else f"{ahead} run{'s' if ahead > 1 else ''} ahead of yours"
    return f"{WAITING} ({where})…"


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Simulating the particles…")
def _run(page_name: str, settings: Settings) -> object:
    """``registry.page(page_name).run(settings)``, for simulation settings only."""
    return on_a_core(lambda: registry.page(page_name).run(settings))


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Measuring the distance to the exact distribution…")
def _fit(page_name: str, settings: Settings) -> object:
    """The page's ``measure`` of its cached run, for simulation settings only."""
    run = _run(page_name, settings)
    return on_a_core(lambda: registry.page(page_name).measure(run, settings))


def field_arrows(settings: Settings, times: np.ndarray) -> np.ndarray:
    """``simulate.field_arrows``: the chosen field at each frame's time (F, M, 2), cached by what it
    depends on only (the data, the field, λ and the times)."""
    key = replace(simulate.data_only(settings), field=settings.field, lam=settings.lam)
    return _when_a_core_is_free(lambda chosen: _field_arrows(chosen, times), key)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Drawing the arrows…")
def _field_arrows(settings: Settings, times: np.ndarray) -> np.ndarray:
    return on_a_core(lambda: simulate.field_arrows(settings, times))


@st.cache_data(max_entries=1, show_spinner=False)
def triangle_clouds() -> tuple[np.ndarray, ...]:
    """Cached ``triangle.triangle_clouds`` (the home page's picture is the same for everyone)."""
    return triangle.triangle_clouds()


@st.cache_resource(show_spinner=False)
def freeze_imported_objects() -> None:
    """Once per server: move the objects of the loaded libraries out of the garbage collector's sight.

    Streamlit runs a full collection after every rerun; it scanned the ≈ 220,000 objects of torch,
    plotly and Streamlit each time. Frozen, they are still freed by reference counting; only what
    reruns create is scanned.
    """
    gc.freeze()
