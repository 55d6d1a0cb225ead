"""Shared Streamlit pieces for the lessons: the controls, their URL state, and cached engine calls.

The look of every control is fixed here, so a setting has the same name, range and widget on every
page. A page's settings live in its URL (query parameters): opening a shared link restores them, and
a value that is not allowed falls back to the default with a visible note.
"""

from __future__ import annotations

import gc
import io
import logging
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from lessons import chart, figures, render, simulate, user_data
from lessons.settings import (
    OPTIONS,
    SEED_MAX,
    Settings,
    format_value,
    parse_query,
    share_url,
    to_query,
)

LOG = logging.getLogger("langevin_lab")
HALF_STEPS = {"forward": "Forward half", "backward": "Backward half", "both": "Both halves"}
OWN_DATA_LESSONS = (
    ("lessons/langevin.py", "1 · Langevin dynamics"),
    ("lessons/forward.py", "2 · Forward diffusion"),
    ("lessons/splitting.py", "3 · Splitting a step"),
    ("lessons/backward.py", "4 · Backward diffusion"),
    ("lessons/duality.py", "5 · Duality"),
    ("lessons/learning.py", "6 · Learning the score"),
)
DRIFT_LABELS = {
    "forward": "forward drift −x",
    "backward": "backward drift x + (1+λ)s_t",
    "langevin": "Langevin drift (1+λ)s_t (their sum)",
}
CACHE_ENTRIES = 24
TRAINED_MODELS = 8  # trained score networks kept for all sessions (newest first out when full)
Result = TypeVar("Result")


def controls(page: str, names: tuple[str, ...], defaults: Settings) -> Settings:
    """Draw the controls ``names`` (seeded from the URL on the page's first run) and return them."""
    if st.session_state.get("_url_page") != page:
        settings, notes = parse_query(st.query_params.to_dict(), defaults)
        for name in names:
            st.session_state[name] = getattr(settings, name)
        if settings.points:  # a shared link brings its own data along
            st.session_state["own_data"] = (settings.points, settings.bandwidth)
        st.session_state["_url_page"], st.session_state["_url_notes"] = page, notes
    for note in st.session_state.pop("_url_notes", []):  # shown once, gone at the next interaction
        st.info(note, icon=":material/link_off:")
    for name in names:
        _widget(name)
    settings = Settings(**{**vars(defaults), **{name: st.session_state[name] for name in names}})
    if settings.dataset == "custom" and "own_data" in st.session_state:
        points, bandwidth = st.session_state["own_data"]
        settings = replace(settings, points=points, bandwidth=bandwidth)
    st.query_params.from_dict(to_query(settings, url_names(settings, names)))
    return settings


def url_names(settings: Settings, names: tuple[str, ...]) -> tuple[str, ...]:
    """The settings a link carries: the page's controls, plus own data when it is in use."""
    return (*names, "points", "bandwidth") if settings.dataset == "custom" and settings.points else names


PRESENTER_CSS = """<style>
.stMainBlockContainer { font-size: 1.3rem; }
.stMainBlockContainer h1 { font-size: 2.6rem; }
.stMainBlockContainer label p { font-size: 1.15rem; }
</style>"""


def presenter_toggle() -> None:
    """A sidebar switch for projectors: larger type and markers, prose hidden (kept across pages)."""
    st.sidebar.toggle("Presenter mode", key="presenter", help="Larger type and markers, no prose.")
    if presenting():
        st.html(PRESENTER_CSS)


def presenting() -> bool:
    """Whether presenter mode is on."""
    return bool(st.session_state.get("presenter", False))


def show(figure: go.Figure, key: str) -> None:
    """Draw a figure (larger type and markers in presenter mode)."""
    if presenting():
        figure.update_layout(font={"size": 18})
        figure.update_traces(marker={"size": 7}, selector={"meta": figures.CLOUD})
        for slider in figure.layout.sliders:  # the larger Play/Pause buttons need more room
            slider.update(x=0.42, len=0.58)
    chart.plotly_chart(figure, key=key)


def guarded(compute: Callable[[Settings], Result], settings: Settings) -> Result | None:
    """Run a cached simulation; show a plain-words message instead of any error."""
    try:
        return compute(settings)
    except ValueError as error:
        st.warning(str(error), icon=":material/tune:")
    except Exception:
        LOG.exception("simulation failed for %s", settings)
        st.error(
            "Something went wrong with this simulation. Try other settings; the details are in the server log."
        )
    return None


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Simulating the particles…")
def langevin(settings: Settings) -> simulate.Run:
    """Cached ``simulate.langevin_run``."""
    return simulate.langevin_run(settings)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Simulating the particles…")
def forward(settings: Settings) -> simulate.Run:
    """Cached ``simulate.forward_run``."""
    return simulate.forward_run(settings)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Simulating the particles…")
def backward(settings: Settings) -> simulate.Run:
    """Cached ``simulate.backward_run``."""
    return simulate.backward_run(settings)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Simulating the particles…")
def split(settings: Settings) -> simulate.SplitRun:
    """Cached ``simulate.split_run``."""
    return simulate.split_run(settings)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Simulating both processes…")
def duality(settings: Settings) -> simulate.DualityRun:
    """Cached ``simulate.duality_run``."""
    return simulate.duality_run(settings)


@st.cache_resource(show_spinner=False)
def freeze_imported_objects() -> None:
    """Once per server: move the objects of the loaded libraries out of the garbage collector's sight.

    Streamlit runs a full collection after every rerun; it scanned the ≈ 220,000 objects of torch,
    plotly and Streamlit each time (≈ 60 ms per slider move). Frozen, they are still freed by
    reference counting; only what reruns create is scanned.
    """
    gc.freeze()


@st.cache_data(max_entries=1, show_spinner=False)
def triangle_figure() -> go.Figure:
    """The home page's forward + backward = identity picture (the same for everyone; each session gets
    its own copy, which presenter mode may restyle)."""
    return figures.split_triangle(*simulate.triangle_clouds(), extent=simulate.EXTENT, grid=simulate.GRID)


def cloud_figure(
    run: simulate.Run,
    settings: Settings,
    *,
    title: str,
    colour: str,
    backward_time: bool = False,
    symbol: str = "t",
) -> go.Figure:
    """The animated cloud of one run, labelled by t (and t′ = T − t for backward runs)."""
    panel = figures.Panel(
        title=title,
        xs=run.xs,
        colour=colour,
        density=run.density if settings.show_density else None,
        arrows=run.arrows,
        arrow_origins=simulate.arrow_origins() if run.arrows is not None else None,
        traced=simulate.TRACED if settings.show_paths else 0,
    )
    return figures.cloud_animation(
        [panel],
        time_labels(run.times, settings.t_end if backward_time else None, symbol),
        extent=simulate.EXTENT,
        grid=simulate.GRID,
    )


def time_labels(times: np.ndarray, t_end: float | None = None, symbol: str = "t") -> list[str]:
    """Slider labels "t = 1.20", or "t = 1.20 · t′ = 2.80" on backward runs (t′ = T − t)."""
    if t_end is None:
        return [f"{symbol} = {t:.2f}" for t in times]
    return [f"t = {t:.2f} · t′ = {t_end - t:.2f}" for t in times]


def readouts(run: simulate.Run, *, time_title: str, colour: str) -> None:
    """The distance of every frame to the exact marginal, and the run's numeric readouts."""
    if run.divergence:
        st.error(run.divergence, icon=":material/warning:")
    chart = figures.line_chart(
        run.times,
        {"cloud vs exact p_t": (run.distances, colour)},
        x_title=time_title,
        y_title="sliced Wasserstein",
        reference=("two exact samples", run.noise_floor),
    )
    show(chart, "distance_chart")
    st.caption(
        f"Distance of the cloud (up to {simulate.DISTANCE_PARTICLES:,} of its particles) to as many "
        "fresh exact samples at each frame; the dashed line is the distance between two independent "
        "exact samples of that size, what 'no difference' looks like."
    )
    _verdict(run)
    for label, value in run.readouts:
        st.markdown(f"**{label}:** `{value}`")


def _verdict(run: simulate.Run) -> None:
    """Say in words whether the final cloud matches the exact distribution, within sampling noise."""
    final, floor = float(run.distances[-1]), run.noise_floor
    if final <= 2 * floor + 0.03:
        st.success(
            f"The final cloud matches the exact distribution: distance {final:.3f}, sampling noise {floor:.3f}."
        )
    else:
        st.warning(
            f"The final cloud is off: distance {final:.3f} against sampling noise {floor:.3f}. "
            "A smaller step size h (or, going backward, a longer total time T) brings it closer."
        )


def _widget(name: str) -> None:
    option = OPTIONS[name]
    label, show = option.label, (lambda value: format_value(name, value))
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


def stepped_cloud(run: simulate.SplitRun, settings: Settings) -> np.ndarray:
    """The splitting lesson's cloud after the halves the student applied with the buttons; (N, 2)."""
    state = st.session_state.get("split_state")
    if state is None or state["settings"] != settings:
        state = {"settings": settings, "cloud": run.cloud, "applied": []}
    buttons = st.columns(4)
    for column, (which, label) in zip(buttons, HALF_STEPS.items(), strict=False):
        if column.button(label, key=f"half_{which}", width="stretch"):
            seed = settings.seed * 1000 + len(state["applied"]) + 1
            state = {**state, "cloud": simulate.half_step(settings, state["cloud"], which, seed)}
            state["applied"] = [*state["applied"], which]
    if buttons[3].button("Reset", key="half_reset", width="stretch"):
        state = {"settings": settings, "cloud": run.cloud, "applied": []}
    st.session_state["split_state"] = state
    applied = ", ".join(state["applied"]) or "none yet"
    st.caption(f"Halves applied to this cloud: {applied}. Arrows: the three drifts at time t (scaled).")
    return state["cloud"]


def drift_figure(run: simulate.SplitRun, settings: Settings, cloud: np.ndarray) -> go.Figure:
    """The cloud with forward, backward and Langevin drift arrows on a few of its particles."""
    vectors = simulate.drifts_for(settings, cloud)
    drifts = {DRIFT_LABELS[name]: (vectors[name], figures.COLOURS[name]) for name in DRIFT_LABELS}
    return figures.drift_arrows(
        cloud, drifts, extent=simulate.EXTENT, grid=simulate.GRID, density=run.density
    )


def split_animation(run: simulate.SplitRun, settings: Settings) -> go.Figure:
    """Three panels under repeated forward halves, backward halves, and both."""
    colours = [figures.COLOURS["forward"], figures.COLOURS["backward"], figures.COLOURS["langevin"]]
    panels = [
        figures.Panel(title=name, xs=xs, colour=colour, density=run.density)
        for (name, xs), colour in zip(run.panels.items(), colours, strict=True)
    ]
    labels = [
        f"{k} steps of h = {settings.step_size:g} at t = {settings.time:g}" for k in range(len(panels[0].xs))
    ]
    return figures.cloud_animation(panels, labels, extent=simulate.EXTENT, grid=simulate.GRID, height=420)


def split_readouts(run: simulate.SplitRun, settings: Settings) -> None:
    """Distance of each repeated-halves cloud to p_t after every step."""
    colours = [figures.COLOURS["forward"], figures.COLOURS["backward"], figures.COLOURS["langevin"]]
    steps = np.arange(len(next(iter(run.distances.values()))))
    series = {
        name: (values, colour) for (name, values), colour in zip(run.distances.items(), colours, strict=True)
    }
    chart = figures.line_chart(
        steps,
        series,
        x_title="split steps taken",
        y_title="sliced Wasserstein to p_t",
        reference=("two exact samples", run.noise_floor),
    )
    show(chart, "distance_chart")


def duality_figure(run: simulate.DualityRun, settings: Settings) -> go.Figure:
    """Forward cloud at t beside backward cloud at t′ = T − t, one frame per t."""
    density = run.density if settings.show_density else None
    traced = simulate.TRACED if settings.show_paths else 0
    panels = [
        figures.Panel(
            "forward, from the data", run.forward, figures.COLOURS["forward"], density, traced=traced
        ),
        figures.Panel(
            "backward, from N(0, I)", run.backward, figures.COLOURS["backward"], density, traced=traced
        ),
    ]
    return figures.cloud_animation(
        panels, time_labels(run.times, settings.t_end), extent=simulate.EXTENT, grid=simulate.GRID, height=480
    )


def duality_readouts(run: simulate.DualityRun) -> None:
    """Distances between the two clouds, and of the backward cloud to the exact p_t, over t."""
    colours = [figures.COLOURS["langevin"], figures.COLOURS["backward"]]
    series = {
        name: (values, colour) for (name, values), colour in zip(run.distances.items(), colours, strict=True)
    }
    chart = figures.line_chart(
        run.times,
        series,
        x_title="forward time t",
        y_title="sliced Wasserstein",
        reference=("two exact samples", run.noise_floor),
    )
    show(chart, "distance_chart")


@st.cache_resource
def _model_store() -> OrderedDict[tuple, simulate.TrainedScore]:
    """Trained score networks, shared by every session, keyed by (dataset, steps, seed)."""
    return OrderedDict()


def _training_key(settings: Settings) -> tuple:
    return (settings.dataset, settings.train_steps, settings.seed)


def _remember(key: tuple, trained: simulate.TrainedScore) -> None:
    store = _model_store()
    store[key] = trained
    store.move_to_end(key)
    while len(store) > TRAINED_MODELS:
        store.popitem(last=False)


def trained_score(settings: Settings) -> simulate.TrainedScore | None:
    """The network trained for these settings, if any."""
    return _model_store().get(_training_key(settings))


def training(settings: Settings) -> simulate.TrainedScore | None:
    """The Train button and, while training runs, one chunk per rerun with a progress bar, a live
    loss curve and a Stop button; returns the finished (or stopped) network, else the stored one."""
    job = st.session_state.get("training_job")
    if job is not None and _training_key(job.settings) != _training_key(settings):
        job = st.session_state["training_job"] = None  # the student changed the setup: abandon it
    if st.button("Train the network", key="train", icon=":material/model_training:", type="primary"):
        job = st.session_state["training_job"] = simulate.start_training(settings)
    if job is None:
        return trained_score(settings)
    stop = st.empty()
    if not stop.button("Stop training", key="stop_training", icon=":material/stop:"):
        simulate.advance_training(job)
        if not job.done:
            steps, done = settings.train_steps, len(job.losses)
            st.progress(done / steps, text=f"Step {done:,} of {steps:,} · loss {job.losses[-1]:.3f}")
            show(loss_figure(np.array(job.losses)), "live_loss")
            st.rerun()
    stop.empty()
    st.session_state["training_job"] = None
    _remember(_training_key(settings), simulate.finish_training(job))
    return trained_score(settings)


def loss_figure(losses: np.ndarray) -> go.Figure:
    """The denoising loss per step, with a running mean over 50 steps."""
    steps = np.arange(1, len(losses) + 1)
    window = min(50, len(losses))
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    series = {
        "loss": (losses, figures.COLOURS["reference"]),
        "mean of 50": (np.r_[np.full(window - 1, np.nan), smooth], figures.COLOURS["backward"]),
    }
    return figures.line_chart(steps, series, x_title="training step", y_title="‖σ_t s_θ + ε‖²")


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Generating with the exact and the learned score…")
def learned(settings: Settings, training: tuple) -> simulate.LearnedRun:
    """Cached ``simulate.learned_run`` for the stored network ``training`` = (key, steps trained)."""
    return simulate.learned_run(settings, _model_store()[training[0]])


def learning_views(settings: Settings, trained: simulate.TrainedScore) -> None:
    """The learned field against the exact one at t, then samples generated with both scores."""
    fields = simulate.compare_fields(settings, trained)
    origins = simulate.arrow_origins()
    show(
        figures.field_comparison(
            origins,
            fields.exact,
            fields.learned,
            fields.weighted_error,
            fields.density,
            extent=simulate.EXTENT,
            grid=simulate.GRID,
        ),
        "fields",
    )
    st.caption(
        f"At t = {settings.time:g}: relative error E‖s_θ − s‖² / E‖s‖² over samples of p_t = "
        f"{fields.relative_error:.3f}. The right panel is bright only where the network is wrong *and* "
        "p_t has mass: errors where there is no data barely matter."
    )
    run = learned(settings, (_training_key(settings), len(trained.losses)))
    show(learned_figure(run, settings), "cloud")
    st.markdown(
        f"**Distance to the data (SW):** exact score `{run.exact_distance:.3f}`, learned score "
        f"`{run.snapshot_clouds[-1][2]:.3f}`; two data samples differ by `{run.noise_floor:.3f}`."
    )
    clouds = [cloud for _, cloud, _ in run.snapshot_clouds]
    titles = [f"after {step:,} steps: SW {distance:.3f}" for step, _, distance in run.snapshot_clouds]
    show(
        figures.cloud_row(
            clouds,
            titles,
            figures.COLOURS["backward"],
            extent=simulate.EXTENT,
            grid=simulate.GRID,
            density=run.density[-1],
        ),
        "snapshots",
    )


def learned_figure(run: simulate.LearnedRun, settings: Settings) -> go.Figure:
    """Backward clouds with the exact score and with the learned score, animated together."""
    panels = [
        figures.Panel("exact score", run.exact, figures.COLOURS["langevin"], run.density),
        figures.Panel("learned score s_θ", run.learned, figures.COLOURS["backward"], run.density),
    ]
    labels = time_labels(run.times, simulate.LEARNED_T_END)
    return figures.cloud_animation(panels, labels, extent=simulate.EXTENT, grid=simulate.GRID, height=460)


@dataclass(frozen=True)
class _Downloads:
    """What the download buttons of the view on screen turn into files: the figure, and the run as
    ``clip`` = (times (F,), xs (F, N, 2), density, colour) or None."""

    figure: go.Figure
    clip: tuple[np.ndarray, np.ndarray, np.ndarray | None, str] | None


def share_and_download(
    page: str,
    settings: Settings,
    names: tuple[str, ...],
    figure: go.Figure | None,
    clip: tuple[np.ndarray, np.ndarray, np.ndarray | None, str] | None = None,
) -> None:
    """A link to this exact setup, and downloads: given ``figure``, the figure as a standalone HTML
    file (plotly.js inside, works offline) and, given ``clip`` = (times (F,), xs (F, N, 2), density, colour), the
    trajectories as CSV, the last frame as PNG and the animation as GIF (drawn on the server).

    The files are made only when a button is pressed. Streamlit keeps those deferred callables for
    as long as the server runs once a closed tab's session has expired, so they hold only a weak
    reference to the view's data; the session owns it (one slot, replaced by every view).
    """
    with st.expander("Share or download", icon=":material/share:"):
        st.caption("Link to this setup (copy button on the right):")
        query = to_query(settings, url_names(settings, names))
        st.code(share_url(st.context.url or "", page, query), language=None, wrap_lines=True)
        if figure is None:
            return
        st.session_state["_downloads"] = owned = _Downloads(figure, clip)
        view = weakref.ref(owned)
        downloads = [("Figure (HTML)", _deferred(view, _figure_html), "html", "text/html")]
        if clip is not None:
            downloads += [
                ("Trajectories (CSV)", _deferred(view, _trajectories), "csv", "text/csv"),
                ("Last frame (PNG)", _deferred(view, _last_frame), "png", "image/png"),
                ("Animation (GIF)", _deferred(view, _animation), "gif", "image/gif"),
            ]
        for column, (label, data, ending, mime) in zip(st.columns(len(downloads)), downloads, strict=True):
            column.download_button(
                label,
                data=data,
                file_name=f"langevin-lab-{page}.{ending}",
                mime=mime,
                on_click="ignore",
                icon=":material/download:",
                key=f"download_{ending}",
                width="stretch",
            )


def _deferred(
    view: weakref.ref[_Downloads], make: Callable[[_Downloads], str | bytes]
) -> Callable[[], str | bytes]:
    """The file ``make`` builds from the view, if its session still exists (else an empty file)."""
    return lambda: "" if (downloads := view()) is None else make(downloads)


def _figure_html(downloads: _Downloads) -> str:
    return downloads.figure.to_html(include_plotlyjs=True)


def _trajectories(downloads: _Downloads) -> str:
    times, xs, _, _ = downloads.clip
    return trajectories_csv(times, xs)


def _last_frame(downloads: _Downloads) -> bytes:
    times, xs, density, colour = downloads.clip
    return last_frame_png(xs[-1], colour, _last(density), time_labels(times)[-1])


def _animation(downloads: _Downloads) -> bytes:
    times, xs, density, colour = downloads.clip
    return animation_gif(xs, colour, time_labels(times), density)


@st.cache_data(max_entries=8, show_spinner="Drawing the animation…")
def animation_gif(xs: np.ndarray, colour: str, labels: list[str], density: np.ndarray | None) -> bytes:
    """Cached ``render.gif_bytes`` of a run."""
    return render.gif_bytes(xs, colour, labels, extent=simulate.EXTENT, density=density)


def last_frame_png(cloud: np.ndarray, colour: str, density: np.ndarray | None, label: str) -> bytes:
    """``render.png_bytes`` of the last frame."""
    return render.png_bytes(cloud, colour, extent=simulate.EXTENT, density=density, label=label)


def _last(density: np.ndarray | None) -> np.ndarray | None:
    return density[-1] if density is not None and density.ndim == 3 else density


def trajectories_csv(times: np.ndarray, xs: np.ndarray) -> str:
    """One row per particle and frame: frame, t, particle, x, y;  times (F,), xs (F, N, 2)."""
    frames, count = xs.shape[:2]
    table = np.column_stack(
        [
            np.repeat(np.arange(frames), count),
            np.repeat(times, count),
            np.tile(np.arange(count), frames),
            xs.reshape(-1, 2),
        ]
    )
    buffer = io.StringIO()
    np.savetxt(
        buffer,
        table,
        fmt=["%d", "%.4f", "%d", "%.5f", "%.5f"],
        delimiter=",",
        header="frame,t,particle,x,y",
        comments="",
    )
    return buffer.getvalue()


def use_own_data(csv: bytes | None, drawn: np.ndarray, bandwidth: float) -> None:
    """Check the uploaded (else drawn) points, preview their density, and offer them to every lesson."""
    if csv is None and not len(drawn):
        st.info(f"Draw or upload at least {user_data.MIN_POINTS} points to see their density here.")
        return
    try:
        points, notes = user_data.parse_csv(csv) if csv is not None else user_data.checked_points(drawn)
    except ValueError as error:
        st.warning(str(error), icon=":material/rule:")
        return
    for note in notes:
        st.info(note, icon=":material/filter_alt:")
    encoded = user_data.encode(user_data.standardized(points, bandwidth))
    preview = user_data.mixture(encoded, bandwidth)
    density = simulate.density_image(preview)
    show(
        figures.cloud_row(
            [user_data.decode(encoded)],
            [f"{len(points)} points, σ₀ = {bandwidth:g}"],
            figures.COLOURS["data"],
            extent=simulate.EXTENT,
            grid=simulate.GRID,
            density=density,
            height=420,
        ),
        "own_preview",
    )
    if st.button(
        "Use these data in every lesson", key="use_own_data", type="primary", icon=":material/check:"
    ):
        st.session_state["own_data"] = (encoded, bandwidth)
    if st.session_state.get("own_data") == (encoded, bandwidth):
        st.success("In use: choose **Your own data** as the dataset on any lesson, or follow a link below.")
        query = {"dataset": "custom", "points": encoded, "bandwidth": f"{bandwidth:g}"}
        columns = st.columns(3)
        for index, (path, title) in enumerate(OWN_DATA_LESSONS):
            columns[index % 3].page_link(path, label=title, query_params=query)
