"""Engine calls cached for every session: one entry point per kind of run, keyed by the simulation
settings only (``settings.simulation_settings``), so that a display toggle never simulates again.

Each session's simulations run on one torch thread (app.py), so that many students share a server.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import numpy as np
import streamlit as st

from lessons import registry, simulate, triangle
from lessons.settings import Settings, simulation_settings

LOG = logging.getLogger("langevin_lab")
CACHE_ENTRIES = 24
Result = TypeVar("Result")


def lesson_run(page: registry.Page, settings: Settings) -> object | None:
    """The page's engine run for ``settings`` (cached), or None after a plain-words message."""
    return guarded(lambda chosen: _run(page.name, simulation_settings(chosen)), settings)


def lesson_fit(page: registry.Page, settings: Settings) -> object | None:
    """How far the page's run is from the exact answer (cached apart from the run, so the chart is
    on screen before it is measured), or None after a plain-words message."""
    return guarded(lambda chosen: _fit(page.name, simulation_settings(chosen)), settings)


def guarded(compute: Callable[[Settings], Result], settings: Settings) -> Result | None:
    """Run a simulation; show a plain-words message instead of any error."""
    try:
        return compute(settings)
    except ValueError as error:
        st.warning(str(error), icon=":material/tune:")
    except Exception:
        LOG.exception("simulation failed for dataset %s", settings.dataset)
        st.error(
            "Something went wrong with this simulation. Try other settings; the details are in the server log."
        )
    return None


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Simulating the particles…")
def _run(page_name: str, settings: Settings) -> object:
    """``registry.page(page_name).run(settings)``, for simulation settings only."""
    return registry.page(page_name).run(settings)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Measuring the distance to the exact distribution…")
def _fit(page_name: str, settings: Settings) -> object:
    """The page's ``measure`` of its cached run, for simulation settings only."""
    return registry.page(page_name).measure(_run(page_name, settings), settings)


def field_arrows(settings: Settings, times: np.ndarray) -> np.ndarray:
    """``simulate.field_arrows``: the chosen field at each frame's time (F, M, 2), cached by what it
    depends on only (the data, the field, λ and the times)."""
    return _field_arrows(replace(simulate.data_only(settings), field=settings.field, lam=settings.lam), times)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Drawing the arrows…")
def _field_arrows(settings: Settings, times: np.ndarray) -> np.ndarray:
    return simulate.field_arrows(settings, times)


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
