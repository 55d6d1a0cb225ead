"""Lesson 7's layout (MATH §9): the race of the samplers, each run cached for every session, drawn
as the error-against-budget chart, the clouds side by side (animated as they spend the budget) and a
line of numbers per cloud; then the denoiser view (lessons/denoiser_view.py).

Each run is its own cache entry, keyed by the data, the particles, the seed and the run itself, so
a new budget, grid or sampler only runs what is not there yet (with a progress bar).
"""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from core.time_grids import GRIDS
from lessons import denoiser_view, downloads, engine_cache, figures, sampler_figures, simulate
from lessons import sampler_model as model
from lessons.figures import COLOURS
from lessons.presenter import PROJECTOR_FONT, presenting, show
from lessons.registry import Page
from lessons.settings import GRID_LABELS, SAMPLER_LABELS, Settings

OTHER_GRID_DASHES = ("dash", "dot")  # the chosen samplers on the two grids not chosen
LEGEND_STYLES = {"solid": "solid", "dash": "dashed", "dot": "dotted"}  # plotly's dashes as CSS borders
CACHE_ENTRIES = 4096  # ≈ 4 kB per run at 500 particles
ANIMATION_ENTRIES = 256  # ≈ 84 kB per animated run at 500 particles (21 frames)


def samplers_layout(page: Page, settings: Settings) -> None:
    """The race at ``settings``: chart and caption, clouds, their numbers, the share box."""
    measured = engine_cache.guarded(_race, settings)
    if measured is None:
        return
    margin = model.margin(settings)
    lines = [_line(settings, key, runs) for key, runs in model.lines(settings, measured).items()]
    st.html(legend_html(sampler_figures.legend_entries(lines, band=margin), large=presenting()))
    ladder = (1, *model.LADDER)
    show(
        sampler_figures.race_figure(lines, band=margin, budget=settings.evaluations, ladder=ladder),
        "sampler_race",
    )
    st.caption(caption(settings))
    shown = model.panels(settings, measured)
    density = simulate.density_image(simulate.dataset(settings))  # (G, G): p₀
    figure = _clouds_chart(settings, shown, density)
    if figure is None:
        return
    show(figure, "cloud")
    for run in shown:
        st.markdown(readout(run, margin))
    denoiser_view.denoiser_panel(settings, density)
    downloads.share_and_download(page.name, settings, page.controls, figure)


def _race(settings: Settings) -> tuple[model.Measured, ...]:
    """Every run of ``model.race_specs``, cached one by one, with a progress bar while they run."""
    refused = model.refusal(settings)  # also the plain-words ValueError of data that cannot be used
    if refused:
        raise ValueError(refused)
    specs, key = model.race_specs(settings), model.run_settings(settings)
    bar = st.progress(0.0)
    try:
        measured = []
        for index, spec in enumerate(specs):
            bar.progress(index / len(specs), text=f"Racing the samplers: run {index + 1} of {len(specs)}")
            measured.append(_measured(key, spec))
    finally:  # also when every core is busy (engine_cache waits, then races again) or the run is stopped
        bar.empty()
    return tuple(measured)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _measured(key: Settings, spec: model.RunSpec) -> model.Measured:
    """``model.measure`` on one of the server's cores (``engine_cache.on_a_core``), cached per (data,
    particles, seed, run) for every session."""
    return engine_cache.on_a_core(lambda: model.measure(key, spec))


def legend_html(entries: list[tuple[str, str, str]], *, large: bool = False) -> str:
    """The chart's legend as text that wraps between entries, and within an entry longer than the
    line: a short line in each entry's colour and dash (a grey block for the band) before its label;
    ``large`` for presenter mode (the charts' projector size)."""
    items = []
    for label, colour, dash in entries:
        mark = (
            f"height:0.7em;background:{colour}"
            if dash == "band"
            else f"border-top:3px {LEGEND_STYLES[dash]} {colour}"
        )
        items.append(
            '<span style="display:inline-block;max-width:100%;margin-right:1.1em">'
            f'<span style="display:inline-block;width:1.6em;margin-right:0.35em;vertical-align:middle;{mark}">'
            f"</span>{html.escape(label)}</span>"
        )
    size = f"{PROJECTOR_FONT['size']}px" if large else "0.85rem"
    return f'<div class="lab-legend" style="line-height:1.7;font-size:{size}">{" ".join(items)}</div>'


def _line(settings: Settings, key: tuple[str, str], runs: tuple[model.Measured, ...]) -> sampler_figures.Line:
    """A chart line: the sampler's colour; solid on the chosen grid, dashed or dotted on the others,
    grey and dashed for the exact posterior, whose legend entry gives no fitted slope."""
    sampler, grid = key
    evaluations = np.array([run.evaluations for run in runs], dtype=float)  # (B,)
    errors = np.array([run.excess for run in runs])  # (B,)
    if sampler == model.FLOOR:
        name = f"{model.FLOOR_LABEL} (the floor)"
        return sampler_figures.Line(name, evaluations, errors, COLOURS["reference"], "dash", fitted=False)
    others = [name for name in GRIDS if name != settings.grid]
    dash = "solid" if grid == settings.grid else OTHER_GRID_DASHES[others.index(grid)]
    name, colour = model.label(sampler, grid), sampler_colour(sampler)
    return sampler_figures.Line(name, evaluations, errors, colour, dash)


def _clouds_chart(settings: Settings, shown: tuple[model.Measured, ...], density: np.ndarray) -> dict | None:
    """The clouds side by side over p₀'s ``density`` image, titled by sampler and budget, animated as
    they spend the budget (``model.animate``: the same runs, every step kept); None when the server
    could not run them (``engine_cache.guarded`` said why)."""
    specs = tuple(run.spec for run in shown)
    clouds = engine_cache.guarded(lambda chosen: _animations(chosen, specs), settings)
    if clouds is None:
        return None
    panels = [
        figures.Panel(_panel_title(run), xs, _colour(run), density)
        for run, xs in zip(shown, clouds, strict=True)
    ]
    labels = [
        f"{spent} of {settings.evaluations} score evaluations spent"
        for spent in model.allowances(settings.evaluations)
    ]
    return figures.cloud_animation(panels, labels, extent=simulate.EXTENT, grid=simulate.GRID, height=420)


def _animations(settings: Settings, specs: tuple[model.RunSpec, ...]) -> tuple[np.ndarray, ...]:
    """``model.animate`` of each of ``specs`` at the settings' budget, cached one by one."""
    key = model.run_settings(settings)
    return tuple(_animated(key, spec, settings.evaluations) for spec in specs)


@st.cache_data(max_entries=ANIMATION_ENTRIES, show_spinner=False)
def _animated(key: Settings, spec: model.RunSpec, budget: int) -> np.ndarray:
    """``model.animate`` on one of the server's cores, cached per (data, particles, seed, run, budget)."""
    return engine_cache.on_a_core(lambda: model.animate(key, spec, budget))


def _colour(run: model.Measured) -> str:
    return COLOURS["reference"] if run.spec.sampler == model.FLOOR else sampler_colour(run.spec.sampler)


def _panel_title(run: model.Measured) -> str:
    """The sampler's name without its gloss, and what it spent: "DDIM · 50 eval."."""
    return f"{model.label(run.spec.sampler).split(' (')[0]} · {run.evaluations} eval."


def sampler_colour(sampler: str) -> str:
    """The colour of a score-only sampler on every chart of the page."""
    return sampler_figures.SAMPLER_COLOURS[list(SAMPLER_LABELS).index(sampler)]


def readout(run: model.Measured, margin: float) -> str:
    """One line per cloud: what ran, what it spent, and how far its cloud is from p₀."""
    grid = "" if run.spec.sampler == model.FLOOR else f", grid {GRID_LABELS[run.spec.grid]}"
    spent = f"{_count(run.steps, 'step')}, {_count(run.evaluations, 'score evaluation')}"
    if run.blew_up:
        return f"**{model.label(run.spec.sampler)}**{grid}: {spent}; the particles blew up."
    verdict = "within sampling noise of p₀" if run.excess <= margin else "off"
    return (
        f"**{model.label(run.spec.sampler)}**{grid}: {spent}; KL to p₀ `{run.excess:.3f}` nats, {verdict} "
        f"(noise up to {margin:.3f})."
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def caption(settings: Settings) -> str:
    """What the chart shows and how its numbers are made."""
    return (
        f"KL divergence in nats of each sampler's final cloud ({settings.particles:,} particles, all from the "
        f"same N(0, I) draw at T = {model.T_END:g}, exact score) from p₀, minus what an exact cloud of that "
        f"size reads, against the score evaluations it spent; log axes, dotted: your budget. Solid: the "
        f"{GRID_LABELS[settings.grid]} grid; dashed and dotted: your two samplers on the other grids. "
        "Grey: sampling noise, where exact clouds land; errors too small to see sit at its foot. Each "
        "slope is the least-squares line through a line's points above twice the noise (at least three): "
        "a slope of −k means the error falls like 1/nᵏ in the evaluations n."
    )
