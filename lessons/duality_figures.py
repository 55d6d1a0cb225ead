"""Lesson 5's charts: the forward and backward clouds side by side, and their distances over t.
Pure: a DualityRun and view settings in, plotly.js figure dicts out, no Streamlit.
"""

from __future__ import annotations

from lessons import duality_model, figures, simulate, still_figures
from lessons.lesson_figures import time_labels, trail
from lessons.settings import Settings


def duality_figure(run: duality_model.DualityRun, settings: Settings) -> dict:
    """Forward cloud at t beside backward cloud at t′ = T − t, one frame per t."""
    density = run.density if settings.show_density else None
    paths = {"traced": simulate.TRACED if settings.show_paths else 0, "tail": trail(settings)}
    panels = [
        figures.Panel("forward, from the data", run.forward, figures.COLOURS["forward"], density, **paths),
        figures.Panel("backward, from N(0, I)", run.backward, figures.COLOURS["backward"], density, **paths),
    ]
    return figures.cloud_animation(
        panels, time_labels(run.times, settings.t_end), extent=simulate.EXTENT, grid=simulate.GRID, height=480
    )


def duality_distances(run: duality_model.DualityRun) -> dict:
    """Distances between the two clouds, and of the backward cloud to the exact p_t, over t."""
    colours = [figures.COLOURS["langevin"], figures.COLOURS["backward"]]
    series = {
        name: (values, colour) for (name, values), colour in zip(run.distances.items(), colours, strict=True)
    }
    return still_figures.line_chart(
        run.times,
        series,
        x_title="forward time t",
        y_title="sliced Wasserstein",
        reference=("two exact samples", run.noise_floor),
    )
