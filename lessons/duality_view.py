"""Lesson 5's part of the lesson view: the cached duality run, its two panels, share/download, then its
readouts (measured after the panels are on screen, cached apart): KL to the exact p_t with a verdict,
distances to own and random partners, the forward cloud against N(0, I), and the grid picture."""

from __future__ import annotations

import streamlit as st

from lessons import (
    downloads,
    duality_figures,
    duality_model,
    engine_cache,
    noise_bands,
    readouts,
    simulate,
    sweep_view,
)
from lessons.grid_picture import GridPicture, grid_picture
from lessons.presenter import presenting, show
from lessons.registry import Page
from lessons.settings import Settings, simulation_settings

RETURNED, FROM_NOISE = duality_model.KL_NAMES[1:]
GRID_EXTENT = 3.0  # half-width of the grid picture's small cells: N(0, I) fits, the clouds are larger


def duality_layout(page: Page, settings: Settings) -> None:
    run = engine_cache.lesson_run(page, settings)
    if run is None:
        return
    if run.divergence:
        st.error(run.divergence, icon=readouts.DIVERGED_ICON)
        return
    figure = duality_figures.duality_figure(run, settings)
    show(figure, "cloud")
    downloads.share_and_download(
        page.name, settings, page.controls, figure, downloads.duality_clip(page, settings, run)
    )
    measured = engine_cache.guarded(lambda chosen: _measured(simulation_settings(chosen), run), settings)
    if measured is None:
        return
    show(duality_figures.kl_figure(measured), "distance_chart")
    _say(kl_caption(settings.particles))
    said_kind, said = verdict(measured)
    getattr(st, said_kind)(said)
    sweep_view.step_sweep(page, settings)
    show(duality_figures.partner_figure(run, measured), "partner_chart")
    _say(partner_caption(measured))
    st.subheader("Does the forward process reach N(0, I)?", anchor=False)
    show(duality_figures.convergence_figure(run, measured), "convergence_chart")
    _say(convergence_caption(measured, settings.t_end))
    st.subheader("The grid picture", anchor=False)
    picture = engine_cache.guarded(lambda chosen: _grid(simulation_settings(chosen)), settings)
    if picture is None:
        return
    show(duality_figures.grid_figure(picture, extent=GRID_EXTENT, grid=simulate.GRID), "grid_picture")
    _say(grid_caption(picture))


@st.cache_data(
    max_entries=engine_cache.CACHE_ENTRIES, show_spinner="Measuring the distance to the exact p_t…"
)
def _measured(settings: Settings, _run: duality_model.DualityRun) -> duality_model.DualityReadouts:
    """``duality_model.measure`` of the run, keyed by the simulation settings that made it."""
    return engine_cache.on_a_core(lambda: duality_model.measure(_run, settings))


@st.cache_data(max_entries=engine_cache.CACHE_ENTRIES, show_spinner="Drawing the grid picture…")
def _grid(settings: Settings) -> GridPicture:
    return engine_cache.on_a_core(lambda: grid_picture(settings))


def _say(text: str) -> None:
    if not presenting():  # presenter mode: figures only
        st.caption(text)


def kl_caption(particles: int) -> str:
    """How the KL chart is made and what its band means."""
    return (
        f"KL divergence in nats of each cloud (its first {noise_bands.kl_size(particles):,} particles) from the "
        "exact $p_t$ at its time, minus what a cloud drawn from $p_t$ itself reads at that size, so 0 is as "
        "good as exact. Grey: the sampling-noise band, where 99.5 % of exact clouds land. The backward run "
        "from the forward endpoints starts exactly at $p_T$; the one from N(0, I) (not drawn above) starts "
        "wherever N(0, I) differs from $p_T$."
    )


def verdict(measured: duality_model.DualityReadouts) -> tuple[str, str]:
    """("success" | "warning", words) on the backward cloud from x_T where it ends (t = 0), and on
    the start N(0, I) against p_T."""
    end, margin = float(measured.kl[RETURNED][0]), float(measured.margin[0])
    start, start_margin = float(measured.kl[FROM_NOISE][-1]), float(measured.margin[-1])
    numbers = f"KL {end:.3f} nats (sampling noise ±{margin:.3f})"
    if end <= margin:
        said = f"Back at t = 0, the backward cloud from the forward endpoints matches $p_0$: {numbers}."
    else:
        said = (
            f"Back at t = 0, the backward cloud from the forward endpoints is off $p_0$: {numbers}. It started "
            "exactly at $p_T$ with the exact score, so this is the backward step's own discretisation "
            "error: a smaller step size h brings it closer."
        )
    if start > start_margin:
        said += (
            f" N(0, I) is not $p_T$ at this T (KL {start:.3f} nats at t = T): the run from noise starts off, "
            "and a longer T brings it closer."
        )
    return ("success" if end <= margin else "warning"), said


def partner_caption(measured: duality_model.DualityReadouts) -> str:
    """The distances at t = 0: where backward particles land against their own forward start."""
    own, other = (float(values[0]) for values in measured.partner.values())
    return (
        "Backward particle i starts at t = T exactly where forward particle i ended (distance 0). At t = 0 "
        f"it lands {own:.2f} on average from forward particle i's own start, and {other:.2f} from a random "
        f"forward particle's start (ratio {own / other:.2f}). A ratio near 1: the backward path does not "
        "retrace the forward one; the two runs share their distributions, not their particles."
    )


def convergence_caption(measured: duality_model.DualityReadouts, t_end: float) -> str:
    """What the convergence chart shows, with its numbers at T."""
    result = measured.convergence
    closed, cloud = result.covariance_gap
    return (
        "KL in nats of $p_t$ from N(0, I). Its mean and covariance relax in closed form, "
        "$m_t = e^{-t} m_0$ and $\\Sigma_t = e^{-2t}\\Sigma_0 + (1 - e^{-2t}) I$; the green line is the KL "
        "that those two moments alone carry, a lower bound of the whole. At "
        f"T = {t_end:g}: exact {max(result.exact[-1], 0.0):.3f} nats, moments alone {max(result.moments[-1], 0.0):.3f}; largest "
        f"entry of |Cov − I| {closed:.3f} in closed form ($e^{{-2T}}$ max|Σ₀ − I|), {cloud:.3f} measured on "
        "the forward cloud."
    )


def grid_caption(picture: GridPicture) -> str:
    """How the grid picture's cells are made."""
    return (
        f"{picture.clouds.shape[2]} particles per cell. Columns: the forward times t. Top row: exact forward "
        "steps, one column to the right each. Each column, downwards: a Langevin-type step for that column's "
        "$p_t$ (a forward step and its exact backward step), which moves the particles and leaves $p_t$ "
        "unchanged. Bottom row: exact backward steps, drawn from $p(x_t \\mid x_{t+h})$, one column to the "
        "left each. Every cloud of a column follows the same $p_t$; no two cells hold the same particles."
    )
