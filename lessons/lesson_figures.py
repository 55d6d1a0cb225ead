"""Each lesson's charts, assembled from its run and its view settings: the one place that turns a
registry page's run into the figures on screen (the drawing itself is in ``lessons/figures.py``).
Pure: arrays and settings in, plotly.js figure dicts out, no Streamlit.
"""

from __future__ import annotations

import numpy as np

from lessons import figures, readout_figures, score_learning, simulate, splitting_model, still_figures
from lessons.registry import Page
from lessons.settings import Settings

DRIFT_LABELS = {
    "forward": "forward drift −x",
    "backward": "backward drift x + (1+λ)s_t",
    "langevin": "Langevin drift (1+λ)s_t (their sum)",
}
TAIL_FRAMES = 8  # frames of a traced particle's recent path shown by default (longer ones tangle)
SPLIT_COLOURS = (figures.COLOURS["forward"], figures.COLOURS["backward"], figures.COLOURS["langevin"])


def cloud_figure(page: Page, run: simulate.Run, settings: Settings, arrows: np.ndarray | None) -> dict:
    """The animated cloud of a one-cloud lesson, labelled by t (and t′ = T − t for backward runs);
    ``arrows`` (F, M, 2) display-scaled, or None."""
    title = page.cloud_label(settings)
    if run.divergence:
        title += f" · blew up after frame {len(run.times) - 1}: the frames before it"
    panel = figures.Panel(
        title=title,
        xs=run.xs,
        colour=page.colour,
        density=run.density if settings.show_density else None,
        arrows=arrows,
        arrow_origins=simulate.arrow_origins() if arrows is not None else None,
        traced=simulate.TRACED if settings.show_paths else 0,
        tail=trail(settings),
    )
    backward_end = settings.t_end if page.counts_down else None
    return figures.cloud_animation(
        [panel],
        time_labels(run.times, backward_end, page.time_symbol),
        extent=simulate.EXTENT,
        grid=simulate.GRID,
    )


def trail(settings: Settings) -> int | None:
    """How much of each traced path to draw: the last TAIL_FRAMES frames, or all (None)."""
    return TAIL_FRAMES if settings.trail == "tail" else None


def time_labels(times: np.ndarray, t_end: float | None = None, symbol: str = "t") -> list[str]:
    """Slider labels "t = 1.20", or "t = 1.20 · t′ = 2.80" on backward runs (t′ = T − t)."""
    if t_end is None:
        return [f"{symbol} = {t:.2f}" for t in times]
    return [f"t = {t:.2f} · t′ = {t_end - t:.2f}" for t in times]


def drift_figure(run: splitting_model.SplitRun, settings: Settings, cloud: np.ndarray) -> dict:
    """The cloud (N, 2) with forward, backward and Langevin drift arrows on a few of its particles."""
    vectors = splitting_model.drifts_for(settings, cloud)
    drifts = {DRIFT_LABELS[name]: (vectors[name], figures.COLOURS[name]) for name in DRIFT_LABELS}
    return still_figures.drift_arrows(
        cloud, drifts, extent=simulate.EXTENT, grid=simulate.GRID, density=run.density
    )


def drift_legend() -> list[tuple[str, str, str]]:
    """The drift figure's legend entries (label, colour, kind)."""
    return still_figures.drift_legend({label: figures.COLOURS[name] for name, label in DRIFT_LABELS.items()})


def split_animation(run: splitting_model.SplitRun, settings: Settings) -> dict:
    """Three panels under repeated forward halves, backward halves, and both."""
    panels = [
        figures.Panel(title=name, xs=xs, colour=colour, density=run.density)
        for (name, xs), colour in zip(run.panels.items(), SPLIT_COLOURS, strict=True)
    ]
    labels = [
        f"{k} steps of h = {settings.step_size:g} at t = {settings.time:g}" for k in range(len(panels[0].xs))
    ]
    return figures.cloud_animation(panels, labels, extent=simulate.EXTENT, grid=simulate.GRID, height=420)


def split_distances(measured: splitting_model.HalvesFit) -> dict:
    """KL of each repeated-halves cloud to p_t after the split steps, over its noise band."""
    series = {
        name: (values, colour)
        for (name, values), colour in zip(measured.excess.items(), SPLIT_COLOURS, strict=True)
    }
    margin = np.full(len(measured.steps), measured.margin)
    return readout_figures.kl_chart(measured.steps, series, margin, x_title="split steps taken")


LOSS_WINDOW = 50  # steps in the loss chart's running mean, at most a fifth of the steps so far


def loss_figure(losses: np.ndarray, floor: float | None = None) -> dict:
    """The denoising loss per step (S,), its running mean, and the exact score's loss ``floor`` as a
    dashed level (no network can go below it)."""
    steps = np.arange(1, len(losses) + 1)
    window = max(1, min(LOSS_WINDOW, len(losses) // 5))
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    series = {
        "loss": (losses, figures.COLOURS["reference"]),
        f"mean of {window} steps": (np.r_[np.full(window - 1, np.nan), smooth], figures.COLOURS["backward"]),
    }
    reference = None if floor is None else ("the exact score's loss: the floor", floor)
    return still_figures.line_chart(
        steps, series, x_title="training step", y_title="denoising loss", reference=reference
    )


def field_comparison(fields: score_learning.FieldComparison) -> dict:
    """The learned field against the exact one at t, and where the error matters."""
    return still_figures.field_comparison(
        simulate.arrow_origins(),
        fields.exact,
        fields.learned,
        fields.weighted_error,
        fields.density,
        extent=simulate.EXTENT,
        grid=simulate.GRID,
    )


def learned_figure(run: score_learning.LearnedRun) -> dict:
    """Backward clouds with the exact score and with the learned score, animated together."""
    panels = [
        figures.Panel("exact score", run.exact, figures.COLOURS["langevin"], run.density),
        figures.Panel("learned score s_θ", run.learned, figures.COLOURS["backward"], run.density),
    ]
    labels = time_labels(run.times, score_learning.LEARNED_T_END)
    return figures.cloud_animation(panels, labels, extent=simulate.EXTENT, grid=simulate.GRID, height=460)


def snapshot_row(run: score_learning.LearnedRun, earlier: tuple[tuple[int, np.ndarray, float], ...]) -> dict:
    """The final cloud after every training snapshot, side by side, with its KL to the data: the
    ``earlier`` snapshots' clouds, then ``run``'s learned one."""
    snapshots = (*earlier, (run.steps, run.learned[-1], run.learned_kl))
    return still_figures.cloud_row(
        [cloud for _, cloud, _ in snapshots],
        [f"after {step:,} steps: KL {kl:.2f} nats" for step, _, kl in snapshots],
        figures.COLOURS["backward"],
        extent=simulate.EXTENT,
        grid=simulate.GRID,
        density=run.density[-1],
    )
