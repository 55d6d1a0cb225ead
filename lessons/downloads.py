"""The "Share or download" box under each lesson view: a link to the exact setup on screen, and the
figure, trajectories, last frame and animation as files (made on the server when a button is pressed).
"""

from __future__ import annotations

import io
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import plotly.io as pio
import streamlit as st

from lessons import render, simulate
from lessons.lesson_figures import time_labels
from lessons.settings import Settings, share_url, to_query
from lessons.url_state import url_names


@dataclass(frozen=True)
class _Downloads:
    """What the download buttons of the view on screen turn into files: the figure, and the run as
    ``clip`` = (times (F,), xs (F, N, 2), density, colour) or None."""

    figure: dict
    clip: tuple[np.ndarray, np.ndarray, np.ndarray | None, str] | None


def share_and_download(
    page: str,
    settings: Settings,
    names: tuple[str, ...],
    figure: dict | None,
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
    return pio.to_html(downloads.figure, include_plotlyjs=True)


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
