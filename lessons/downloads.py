"""The "Share or download" box under each lesson view: a link to the exact setup on screen, and the
figure, trajectories, last frame, animation and trained network as files (made on the server when a
button is pressed).

A run becomes files through its ``Clip``: its clouds with the frame labels and the title the app
shows, in the order the pictures play them. ``run_clip``, ``split_clip`` and ``duality_clip`` build
the clip of each lesson layout.
"""

from __future__ import annotations

import io
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import plotly.io as pio
import streamlit as st

from core import score_net
from lessons import render, simulate
from lessons.figures import COLOURS
from lessons.lesson_figures import SPLIT_COLOURS, time_labels
from lessons.registry import Page
from lessons.settings import DATASET_LABELS, METHOD_LABELS, START_LABELS, Settings, share_url, to_query
from lessons.url_state import url_names

if TYPE_CHECKING:  # the runs' types only: building a clip needs none of the lesson models
    from lessons.duality_model import DualityRun
    from lessons.score_learning import TrainedScore
    from lessons.splitting_model import SplitRun


@dataclass(frozen=True)
class Cloud:
    """One cloud of a clip: frames ``xs`` (F, N, 2) in ``colour``; ``name`` in the CSV's name column.
    When ``pictured``, it has a panel in the pictures, with ``title`` above it (its name when there
    are panels side by side, else nothing unless given)."""

    name: str
    xs: np.ndarray
    colour: str
    pictured: bool = True
    title: str = ""


@dataclass(frozen=True)
class Clip:
    """A run as files, its frames in the order the pictures play them.

    title        the pictures' title: the lesson and its setup
    labels       (F,) every frame's label, as the app's slider shows it
    clouds       every cloud of the run (the CSV has them all; the pictures the ``pictured`` ones, side by side)
    density      the exact p_t under the clouds: (F, G, G) per frame, (G, G) fixed, or None
    columns      the CSV's time columns: (name, (F,) value at every frame), e.g. ("t", …), ("t_prime", …)
    name_column  the CSV column naming the cloud, when there are several ("cloud", "panel")
    csv_stem     what the CSV file name says it holds, after the page's name ("" for nothing more)
    picture_stem the same for the PNG and the GIF
    """

    title: str
    labels: tuple[str, ...]
    clouds: tuple[Cloud, ...]
    density: np.ndarray | None
    columns: tuple[tuple[str, np.ndarray], ...]
    name_column: str = "cloud"
    csv_stem: str = ""
    picture_stem: str = ""

    @property
    def pictured(self) -> tuple[Cloud, ...]:
        return tuple(cloud for cloud in self.clouds if cloud.pictured)


def run_clip(page: Page, settings: Settings, run: simulate.Run) -> Clip:
    """A one-cloud lesson's run (Langevin, forward, backward), labelled as the app labels it: τ on
    Langevin dynamics, t and t′ = T − t on the backward run."""
    backward = page.counts_down
    labels = time_labels(run.times, settings.t_end if backward else None, page.time_symbol)
    title = title_line(page, settings)
    if run.divergence:
        title += f" · blew up after frame {len(run.times) - 1}"
    if page.time_symbol == "τ":
        columns = (("tau", run.times),)
    elif backward:
        columns = (("t", run.times), ("t_prime", settings.t_end - run.times))
    else:
        columns = (("t", run.times),)
    return Clip(
        title=title,
        labels=tuple(labels),
        clouds=(Cloud(page.cloud_label(settings), run.xs, page.colour),),
        density=run.density if settings.show_density else None,
        columns=columns,
    )


def split_clip(page: Page, settings: Settings, run: SplitRun) -> Clip:
    """The splitting lesson's three panels (forward halves only, backward halves only, both), all
    three in the CSV and side by side in the pictures, labelled by the split steps taken."""
    frames = len(next(iter(run.panels.values())))
    labels = [f"{k} steps of h = {settings.step_size:g} at t = {settings.time:g}" for k in range(frames)]
    clouds = tuple(
        Cloud(name, xs, colour) for (name, xs), colour in zip(run.panels.items(), SPLIT_COLOURS, strict=True)
    )
    return Clip(
        title=title_line(page, settings),
        labels=tuple(labels),
        clouds=clouds,
        density=run.density,
        columns=(("steps", np.arange(frames)), ("t", np.full(frames, settings.time))),
        name_column="panel",
        csv_stem="three-panels",
        picture_stem="three-panels",
    )


def duality_clip(page: Page, settings: Settings, run: DualityRun) -> Clip:
    """Duality in the backward run's own order (from N(0, I) at t = T to the data at t = 0): the
    pictures show the backward cloud, so the last frame is where it ends (t′ = T); the CSV has both
    clouds at every frame, with t and t′ = T − t."""
    order = slice(None, None, -1)  # DualityRun's frames are at increasing t
    times = run.times[order]
    density = run.density[order] if settings.show_density else None
    return Clip(
        title=title_line(page, settings),
        labels=tuple(time_labels(run.times, settings.t_end)[order]),
        clouds=(
            Cloud("forward", run.forward[order], COLOURS["forward"], pictured=False),
            Cloud(
                "backward",
                run.backward[order],
                page.colour,
                title="backward, from the forward run's endpoints x_T",
            ),
        ),
        density=density,
        columns=(("t", times), ("t_prime", settings.t_end - times)),
        csv_stem="forward-and-backward",
        picture_stem="backward",
    )


SETUP = {  # how each control appears in a picture's title
    "dataset": lambda s: "your own data" if s.dataset == "custom" else DATASET_LABELS[s.dataset],
    "start": lambda s: f"start: {START_LABELS[s.start]}",
    "method": lambda s: f"{METHOD_LABELS[s.method]} steps",
    "particles": lambda s: f"N = {s.particles:,}",
    "step_size": lambda s: f"h = {s.step_size:g}",
    "num_steps": lambda s: f"{s.num_steps:,} steps",
    "t_end": lambda s: f"T = {s.t_end:g}",
    "time": lambda s: f"t = {s.time:g}",
    "lam": lambda s: f"λ = {s.lam:g}",
    "train_steps": lambda s: f"{s.train_steps:,} training steps",
}


def title_line(page: Page, settings: Settings) -> str:
    """The lesson and its setup, e.g. "4 · Backward diffusion · Two moons, N = 1,000, h = 0.02, T = 4, λ = 1"."""
    setup = ", ".join(SETUP[name](settings) for name in page.controls if name in SETUP)
    return f"{page.title} · {setup}" if setup else page.title


@dataclass(frozen=True)
class _Downloads:
    """What the download buttons of the view on screen turn into files: the figure (or None), the
    run as a ``Clip`` (or None), the trained network (or None)."""

    figure: dict | None
    clip: Clip | None
    trained: TrainedScore | None = None


def share_and_download(
    page: str,
    settings: Settings,
    names: tuple[str, ...],
    figure: dict | None,
    clip: Clip | None = None,
    *,
    trained: TrainedScore | None = None,
) -> None:
    """A link to this exact setup, and downloads: given ``figure``, the figure as a standalone HTML
    file (plotly.js inside, works offline); given ``clip``, the trajectories as CSV, the last frame as
    PNG and the animation as GIF (drawn on the server); given ``trained``, the network's weights.

    The files are made only when a button is pressed. Streamlit keeps those deferred callables for
    as long as the server runs once a closed tab's session has expired, so they hold only a weak
    reference to the view's data; the session owns it (one slot, replaced by every view).
    """
    with st.expander("Share or download", icon=":material/share:"):
        st.caption("Link to this setup (copy button on the right):")
        query = to_query(settings, url_names(settings, names))
        st.code(share_url(st.context.url or "", page, query), language=None, wrap_lines=True)
        files = file_names(page, settings, figure, clip, trained)
        if not files:
            return
        st.session_state["_downloads"] = owned = _Downloads(figure, clip, trained)
        view = weakref.ref(owned)
        for column, (kind, name) in zip(st.columns(len(files)), files.items(), strict=True):
            label, make, mime = _KINDS[kind]
            column.download_button(
                label,
                data=_deferred(view, make),
                file_name=name,
                mime=mime,
                on_click="ignore",
                icon=":material/download:",
                key=f"download_{kind}",
                width="stretch",
            )


def file_names(
    page: str,
    settings: Settings,
    figure: dict | None,
    clip: Clip | None,
    trained: TrainedScore | None,
) -> dict[str, str]:
    """The files on offer, by kind (html, csv, png, gif, pt), and the name each is saved under."""
    names = {}
    if figure is not None:
        names["html"] = f"langevin-lab-{page}-figure.html"
    if clip is not None:
        csv, picture = (f"{page}-{stem}" if stem else page for stem in (clip.csv_stem, clip.picture_stem))
        names["csv"] = f"langevin-lab-{csv}-trajectories.csv"
        names["png"] = f"langevin-lab-{picture}-last-frame.png"
        names["gif"] = f"langevin-lab-{picture}-animation.gif"
    if trained is not None:
        steps = trained.snapshots[-1][0]
        names["pt"] = f"langevin-lab-{page}-score-net-{settings.dataset}-{steps}-steps.pt"
    return names


def _deferred(
    view: weakref.ref[_Downloads], make: Callable[[_Downloads], str | bytes]
) -> Callable[[], str | bytes]:
    """The file ``make`` builds from the view, if its session still exists (else an empty file)."""
    return lambda: "" if (downloads := view()) is None else make(downloads)


def _figure_html(downloads: _Downloads) -> str:
    return pio.to_html(downloads.figure, include_plotlyjs=True)


def _trajectories(downloads: _Downloads) -> str:
    return trajectories_csv(downloads.clip)


def _last_frame(downloads: _Downloads) -> bytes:
    return last_frame_png(downloads.clip)


def _animation(downloads: _Downloads) -> bytes:
    return animation_gif(downloads.clip)


def _weights(downloads: _Downloads) -> bytes:
    return trained_weights(downloads.trained)


_KINDS = {  # kind: (button label, file maker, MIME type)
    "html": ("Figure (HTML)", _figure_html, "text/html"),
    "csv": ("Trajectories (CSV)", _trajectories, "text/csv"),
    "png": ("Last frame (PNG)", _last_frame, "image/png"),
    "gif": ("Animation (GIF)", _animation, "image/gif"),
    "pt": ("Trained network (PyTorch)", _weights, "application/octet-stream"),
}


def last_frame_png(clip: Clip) -> bytes:
    """``render.png_bytes`` of the clip's last frame, with its title and label."""
    panels = [render.Panel(cloud.xs[-1], cloud.colour, _panel_title(clip, cloud)) for cloud in clip.pictured]
    return render.png_bytes(
        panels, extent=simulate.EXTENT, density=_last(clip.density), title=clip.title, label=clip.labels[-1]
    )


@st.cache_data(max_entries=8, show_spinner="Drawing the animation…")
def animation_gif(clip: Clip) -> bytes:
    """``render.gif_bytes`` of the clip (cached: a second press does not draw it again)."""
    panels = [render.Panel(cloud.xs, cloud.colour, _panel_title(clip, cloud)) for cloud in clip.pictured]
    return render.gif_bytes(
        panels, list(clip.labels), extent=simulate.EXTENT, density=clip.density, title=clip.title
    )


def _panel_title(clip: Clip, cloud: Cloud) -> str:
    """A panel's title: its cloud's own, else, side by side, its cloud's name."""
    return cloud.title or (cloud.name if len(clip.pictured) > 1 else "")


def _last(density: np.ndarray | None) -> np.ndarray | None:
    return density[-1] if density is not None and density.ndim == 3 else density


def trajectories_csv(clip: Clip) -> str:
    """One row per cloud, frame and particle: [name,] frame, the time columns, particle, x, y.
    The name column (``clip.name_column``) is there when the clip has more than one cloud."""
    named = len(clip.clouds) > 1
    header = [clip.name_column] if named else []
    header += ["frame", *(name for name, _ in clip.columns), "particle", "x", "y"]
    buffer = io.StringIO()
    buffer.write(",".join(header) + "\n")
    for cloud in clip.clouds:
        frames, count = cloud.xs.shape[:2]
        table = np.column_stack(
            [
                np.repeat(np.arange(frames), count),
                *(np.repeat(values, count) for _, values in clip.columns),
                np.tile(np.arange(count), frames),
                cloud.xs.reshape(-1, 2),
            ]
        )
        times = ["%d" if np.issubdtype(values.dtype, np.integer) else "%.4f" for _, values in clip.columns]
        fmt = ",".join(["%d", *times, "%d", "%.5f", "%.5f"])
        np.savetxt(buffer, table, fmt=f"{cloud.name},{fmt}" if named else fmt)
    return buffer.getvalue()


def trained_weights(trained: TrainedScore) -> bytes:
    """The network after its last training step as ``score_net.save`` writes it: torch.save of
    {"config": its ScoreNetConfig as a dict, "state_dict": its weights}. Read it back with
    ``score_net.load(file)``, or ``torch.load(file, weights_only=True)`` and
    ``ScoreNet(ScoreNetConfig(**saved["config"])).load_state_dict(saved["state_dict"])``."""
    buffer = io.BytesIO()
    score_net.save(trained.model(), buffer)
    return buffer.getvalue()


def own_data_csv(points: np.ndarray) -> str:
    """Own data points (M, 2) as a CSV of x,y rows, the form the "Your own data" page reads back."""
    buffer = io.StringIO()
    np.savetxt(
        buffer,
        np.asarray(points, dtype=np.float64).reshape(-1, 2),
        fmt="%.5f",
        delimiter=",",
        header="x,y",
        comments="",
    )
    return buffer.getvalue()


def own_data_download(points: np.ndarray) -> None:
    """A button that saves own data points (M, 2) as ``own_data_csv`` (small: made at once)."""
    st.download_button(
        "Your points (CSV)",
        data=own_data_csv(points),
        file_name="langevin-lab-own-data-points.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="download_own_data",
    )
