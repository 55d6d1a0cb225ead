"""Pictures drawn on the server (lessons/render.py): where the dots go, the density, the axes, the
title and label (in a font that has their Greek), PNG metadata, GIF frames; and the download
buttons' weak hold on a session's data (lessons/downloads.py)."""

from __future__ import annotations

import gc
import io
import weakref

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from lessons import downloads, render

EXTENT = 3.5
ORANGE = (0xD5, 0x5E, 0x00)


def picture(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_a_png_frame_puts_each_particle_where_the_axes_say():
    xs = np.array([[0.0, 0.0], [-3.0, 3.0], [2.0, -1.0]], dtype=np.float32)
    image = picture(render.png_bytes([render.Panel(xs, "#D55E00")], extent=EXTENT, title="a title"))
    assert image.size == (render.SIZE, render.SIZE) == (800, 800)
    layout = render.layout(1, "a title")
    for px, py in np.round(layout.pixels(0, xs, EXTENT)).astype(int):
        assert image.getpixel((int(px), int(py))) == ORANGE
    left, top = layout.corners[0]
    centre = layout.pixels(0, np.zeros((1, 2)), EXTENT)[0]
    assert abs(centre[0] - (left + (layout.side - 1) / 2)) < 1e-9  # x = 0 mid-panel, y = 3 near the top
    assert layout.pixels(0, xs[1:2], EXTENT)[0, 1] < centre[1]
    assert image.getpixel((left + 5, top + layout.side - 5)) == (255, 255, 255)  # no dot, no density


def test_the_axes_are_drawn_in_the_margins_with_ticks_at_every_integer():
    image = picture(render.png_bytes([render.Panel(np.zeros((0, 2)), "#000000")], extent=EXTENT))
    layout = render.layout(1)
    left, top = layout.corners[0]
    bottom = top + layout.side
    grey = np.asarray(image.convert("L"))
    assert (grey[top:bottom, : left - 2] < 160).any(), "tick labels left of the panel"
    assert (grey[bottom + 2 :, left : left + layout.side] < 160).any(), "tick labels below the panel"
    ticks = layout.pixels(0, np.column_stack([np.arange(-3, 4), np.zeros(7)]), EXTENT)[:, 0]
    for px in np.round(ticks).astype(int):  # a tick mark below the frame at x = −3, …, 3
        assert grey[bottom + 3, px] < 200, px


def test_the_density_darkens_the_background_where_it_is_high():
    density = np.zeros((8, 8), dtype=np.uint8)
    density[:4] = 255  # rows are y from −extent up: the lower half of the plane is dense
    image = picture(
        render.png_bytes([render.Panel(np.zeros((0, 2)), "#000000")], extent=EXTENT, density=density)
    )
    left, top = render.layout(1).corners[0]
    side = render.layout(1).side
    low, high = (
        image.convert("L").getpixel((left + 10, top + side - 10)),
        image.convert("L").getpixel((left + 10, top + 10)),
    )
    assert low < high == 255


def test_the_png_carries_its_title_and_label_and_the_font_has_their_greek():
    png = render.png_bytes(
        [render.Panel(np.zeros((1, 2)), "#009E73")], extent=EXTENT, title="1 · Langevin", label="τ = 10.00"
    )
    assert Image.open(io.BytesIO(png)).text == {
        "Title": "1 · Langevin",
        "Label": "τ = 10.00",
        "Software": "Langevin Lab",
    }
    font = render._fonts()["text"]
    assert render._has_glyphs(font, render.TEXT_NEEDS), "τ, λ, σ₀ and t′ would be drawn as boxes"
    assert font.size >= 18


def test_a_long_title_wraps_between_settings_and_fits():
    title = "1 · Langevin dynamics · Standard Gaussian N(0, I), start: box, N = 10,000, h = 0.05, 1,000 steps"
    lines = render.layout(1, title).title_lines
    font = render._fonts()["title"]
    assert len(lines) == 2
    assert all(font.getlength(line) <= render.SIZE - 2 * render.LEFT for line in lines)
    for setting in ("1 · Langevin dynamics", "Standard Gaussian N(0, I)", "N = 10,000", "1,000 steps"):
        assert any(setting in line for line in lines), setting  # never cut in two


def test_panels_side_by_side_each_get_a_column_and_a_title():
    rng = np.random.default_rng(0)
    panels = [
        render.Panel(rng.normal(size=(30, 2)), colour, name)
        for colour, name in [("#0072B2", "a"), ("#D55E00", "b")]
    ]
    image = picture(render.png_bytes(panels, extent=EXTENT, title="two"))
    assert image.size == (2 * render.SIZE, render.SIZE)
    layout = render.layout(2, "two", panel_titles=True)
    for index, panel in enumerate(panels):
        px, py = np.round(layout.pixels(index, panel.xs[:1], EXTENT)[0]).astype(int)
        assert image.getpixel((int(px), int(py))) == Image.new("RGB", (1, 1), panel.colour).getpixel((0, 0))


def test_a_gif_has_one_picture_per_frame_in_the_exact_colours():
    xs = np.random.default_rng(0).normal(size=(5, 50, 2)).astype(np.float32)
    gif = Image.open(
        io.BytesIO(
            render.gif_bytes(
                [render.Panel(xs, "#0072B2")], [f"t = {k}" for k in range(5)], extent=EXTENT, title="a"
            )
        )
    )
    assert gif.n_frames == 5 and gif.size == (render.SIZE, render.SIZE)
    layout = render.layout(1, "a")
    gif.seek(3)
    px, py = np.round(layout.pixels(0, xs[3, :1], EXTENT)[0]).astype(int)
    assert gif.convert("RGB").getpixel((int(px), int(py))) == (0x00, 0x72, 0xB2)


def small_downloads() -> downloads._Downloads:
    xs = np.random.default_rng(1).normal(size=(3, 20, 2)).astype(np.float32)
    figure = go.Figure(go.Scatter(x=xs[-1, :, 0], y=xs[-1, :, 1]))
    clip = downloads.Clip(
        title="a run",
        labels=("t = 0.00", "t = 0.50", "t = 1.00"),
        clouds=(downloads.Cloud("cloud", xs, "#0072B2"),),
        density=None,
        columns=(("t", np.array([0.0, 0.5, 1.0])),),
    )
    return downloads._Downloads(figure, clip)


def test_the_trajectories_csv_has_a_row_per_particle_and_frame():
    rows = downloads.trajectories_csv(small_downloads().clip).strip().split("\n")
    assert rows[0] == "frame,t,particle,x,y" and len(rows) == 1 + 3 * 20
    assert rows[-1].startswith("2,1.0000,19,")


def test_each_download_button_makes_its_file_from_the_view_its_session_holds():
    owned = small_downloads()
    view = weakref.ref(owned)
    html = downloads._deferred(view, downloads._figure_html)()
    csv = downloads._deferred(view, downloads._trajectories)()
    png = downloads._deferred(view, downloads._last_frame)()
    gif = downloads._deferred(view, downloads._animation)()
    assert "<html>" in html and "plotly" in html
    assert len(csv.strip().split("\n")) == 1 + 3 * 20
    assert Image.open(io.BytesIO(png)).size == (render.SIZE, render.SIZE)
    assert Image.open(io.BytesIO(png)).text["Label"] == "t = 1.00"
    assert Image.open(io.BytesIO(gif)).n_frames == 3


def test_a_download_button_keeps_nothing_alive_once_its_session_dropped_the_view():
    owned = small_downloads()
    view = weakref.ref(owned)
    make_csv = downloads._deferred(view, downloads._trajectories)  # Streamlit keeps this after the session
    make_gif = downloads._deferred(view, downloads._animation)
    del owned
    gc.collect()
    assert view() is None
    assert make_csv() == "" and make_gif() == ""
