"""Downloads drawn on the server: PNG and GIF pictures of a run, and the trajectories as CSV."""

from __future__ import annotations

import gc
import io
import weakref

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from lessons import downloads, render

EXTENT = 3.5


def test_a_png_frame_puts_each_particle_where_the_axes_say():
    xs = np.array([[0.0, 0.0], [-3.0, 3.0]], dtype=np.float32)
    image = Image.open(io.BytesIO(render.png_bytes(xs, "#D55E00", extent=EXTENT))).convert("RGB")
    assert image.size == (render.SIZE, render.SIZE)
    centre = render.SIZE // 2
    assert image.getpixel((centre, centre)) == (0xD5, 0x5E, 0x00)
    corner = round((-3.0 + EXTENT) / (2 * EXTENT) * (render.SIZE - 1))  # x = −3 on the left, y = 3 at the top
    assert image.getpixel((corner, corner)) == (0xD5, 0x5E, 0x00)
    assert image.getpixel((render.SIZE - 5, render.SIZE - 5)) == (255, 255, 255)


def test_the_density_darkens_the_background_where_it_is_high():
    density = np.zeros((8, 8), dtype=np.uint8)
    density[:4] = 255  # rows are y from −extent up: the lower half of the plane is dense
    image = Image.open(
        io.BytesIO(render.png_bytes(np.zeros((0, 2)), "#000000", extent=EXTENT, density=density))
    )
    assert image.convert("L").getpixel((10, render.SIZE - 10)) < image.convert("L").getpixel((10, 10))


def test_a_gif_has_one_picture_per_frame():
    xs = np.random.default_rng(0).normal(size=(5, 50, 2)).astype(np.float32)
    gif = Image.open(
        io.BytesIO(render.gif_bytes(xs, "#0072B2", [f"t = {k}" for k in range(5)], extent=EXTENT))
    )
    assert gif.n_frames == 5


def test_the_trajectories_csv_has_a_row_per_particle_and_frame():
    xs = np.arange(3 * 4 * 2, dtype=np.float32).reshape(3, 4, 2)
    rows = downloads.trajectories_csv(np.array([0.0, 0.5, 1.0]), xs).strip().split("\n")
    assert rows[0] == "frame,t,particle,x,y" and len(rows) == 1 + 3 * 4
    assert rows[-1] == "2,1.0000,3,22.00000,23.00000"


def small_downloads() -> downloads._Downloads:
    xs = np.random.default_rng(1).normal(size=(3, 20, 2)).astype(np.float32)
    figure = go.Figure(go.Scatter(x=xs[-1, :, 0], y=xs[-1, :, 1]))
    return downloads._Downloads(figure, (np.array([0.0, 0.5, 1.0]), xs, None, "#0072B2"))


def test_each_download_button_makes_its_file_from_the_view_its_session_holds():
    owned = small_downloads()
    view = weakref.ref(owned)
    html = downloads._deferred(view, downloads._figure_html)()
    csv = downloads._deferred(view, downloads._trajectories)()
    png = downloads._deferred(view, downloads._last_frame)()
    assert "<html>" in html and "plotly" in html
    assert len(csv.strip().split("\n")) == 1 + 3 * 20
    assert Image.open(io.BytesIO(png)).size == (render.SIZE, render.SIZE)


def test_a_download_button_keeps_nothing_alive_once_its_session_dropped_the_view():
    owned = small_downloads()
    view = weakref.ref(owned)
    make_csv = downloads._deferred(view, downloads._trajectories)  # Streamlit keeps this after the session
    del owned
    gc.collect()
    assert view() is None
    assert make_csv() == ""
