"""Server-side pictures of a run, without a browser: PNG of one frame, animated GIF of all (Pillow).

Arrays in, bytes out. A picture is SIZE pixels tall: a title (the lesson and its setup), the frame's
label, and one or more square panels side by side (a column SIZE wide each), each spanning
[−extent, extent]² like the figures, with ticks and labels at the integer coordinates. In a panel,
its cloud xs (N, 2) is drawn as dots over the exact density (G, G) uint8 (rows = y), shaded grey.

Text is set in the app's own font (Source Sans, shipped with Streamlit), which has the Greek and
the primes of the labels (τ, λ, σ₀, t′); Pillow's built-in font has none of them.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

SIZE = 800  # pixels: the picture's height, and the width of each panel's column
DOT = 2  # dot radius in pixels, 1 above DENSE_CLOUD particles (where dots of 2 merge into a blot)
DENSE_CLOUD = 2000
GIF_FRAME_MS = 80
PX = {"title": 24, "text": 20, "tick": 17}  # font sizes
LEFT, RIGHT, BOTTOM, TOP = 56, 28, 40, 14  # margins round the panels, in pixels (ticks go left and below)
INK, SOFT_INK, GRID_INK, FRAME_INK = "#222222", "#444444", "#e2e2e2", "#888888"
TEXT_NEEDS = "τλσθ′−·₀²"  # characters the labels use that a font must have
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class Panel:
    """One panel: the cloud ``xs`` (N, 2), or (F, N, 2) for an animation, in ``colour``; ``title``
    is written above it (nothing when empty)."""

    xs: np.ndarray
    colour: str
    title: str = ""


@dataclass(frozen=True)
class Layout:
    """Where everything goes in a picture of ``count`` panels: ``width`` × SIZE pixels; the title's
    lines and the rows of the label and of the panel titles (their top y); each panel's plot area
    at ``corners`` (left, top), ``side`` pixels square."""

    width: int
    title_lines: tuple[str, ...]
    title_rows: tuple[int, ...]
    label_row: int
    panel_title_row: int | None
    corners: tuple[tuple[int, int], ...]
    side: int

    def pixels(self, panel: int, xs: np.ndarray, extent: float) -> np.ndarray:
        """Image coordinates (N, 2) of the points xs (N, 2) in panel ``panel`` (y grows downwards)."""
        left, top = self.corners[panel]
        scale = (self.side - 1) / (2 * extent)
        return np.column_stack([left + (xs[:, 0] + extent) * scale, top + (extent - xs[:, 1]) * scale])


def layout(count: int, title: str = "", panel_titles: bool = False) -> Layout:
    """The layout of a picture of ``count`` panels; a long title is wrapped onto more lines."""
    width = count * SIZE
    lines = _wrap(title, _font(PX["title"], bold=True), width - 2 * LEFT) if title else ()
    y, title_rows = TOP, []
    for _ in lines:
        title_rows.append(y)
        y += round(PX["title"] * 1.3)
    label_row, y = y, y + round(PX["text"] * 1.4)
    panel_title_row = None
    if panel_titles:
        panel_title_row, y = y, y + round(PX["text"] * 1.4)
    top = y + 6
    side = min(SIZE - top - BOTTOM, SIZE - LEFT - RIGHT)
    pad = (SIZE - LEFT - RIGHT - side) // 2
    corners = tuple((column * SIZE + LEFT + pad, top) for column in range(count))
    return Layout(width, lines, tuple(title_rows), label_row, panel_title_row, corners, side)


def frame_image(
    panels: Sequence[Panel],
    *,
    extent: float,
    density: np.ndarray | None = None,
    title: str = "",
    label: str = "",
) -> Image.Image:
    """One frame: each panel's dots xs (N, 2) over the grey density, axes, title and label."""
    frame = _Frame(panels, extent, title)
    return frame.draw([panel.xs for panel in panels], density, label)


def png_bytes(
    panels: Sequence[Panel],
    *,
    extent: float,
    density: np.ndarray | None = None,
    title: str = "",
    label: str = "",
) -> bytes:
    """A PNG of one frame, with its title and label also as text in the file ("Title", "Label")."""
    info = PngImagePlugin.PngInfo()
    for key, value in (("Title", title), ("Label", label), ("Software", "Langevin Lab")):
        info.add_itxt(key, value)
    buffer = io.BytesIO()
    image = frame_image(panels, extent=extent, density=density, title=title, label=label)
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def gif_bytes(
    panels: Sequence[Panel],
    labels: Sequence[str],
    *,
    extent: float,
    density: np.ndarray | None = None,
    title: str = "",
) -> bytes:
    """An animated GIF of the panels' frames xs (F, N, 2), labelled by ``labels`` (F,); density
    (F, G, G) per frame, (G, G) fixed, or None. Every frame shares one palette (greys and the
    clouds' colours), so the file stays small and the colours exact."""
    frame = _Frame(panels, extent, title)
    palette = _palette([panel.colour for panel in panels])
    frames = [
        frame.draw([panel.xs[k] for panel in panels], _at(density, k), labels[k]).quantize(
            palette=palette, dither=Image.Dither.NONE
        )
        for k in range(len(labels))
    ]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=GIF_FRAME_MS,
        loop=0,
        comment=title.encode(),
    )
    return buffer.getvalue()


class _Frame:
    """The parts of a picture that every frame shares (white canvas, titles, tick labels), drawn
    once; ``draw`` adds a frame's density, grid, dots and label."""

    def __init__(self, panels: Sequence[Panel], extent: float, title: str) -> None:
        self.fonts = _fonts()
        self.extent = extent
        self.colours = [panel.colour for panel in panels]
        self.layout = layout(len(panels), title, any(panel.title for panel in panels))
        self.ticks = np.arange(math.ceil(-extent), math.floor(extent) + 1)
        at_ticks = np.column_stack([self.ticks, self.ticks])
        self.tick_pixels = [  # (T, 2): the pixel columns and rows of x = tick and of y = tick, per panel
            np.round(self.layout.pixels(index, at_ticks, extent)).astype(int) for index in range(len(panels))
        ]
        self.base = Image.new("RGB", (self.layout.width, SIZE), "white")
        draw = ImageDraw.Draw(self.base)
        centre = self.layout.width / 2
        for line, row in zip(self.layout.title_lines, self.layout.title_rows, strict=True):
            draw.text((centre, row), line, fill=INK, font=self.fonts["title"], anchor="ma")
        for index, panel in enumerate(panels):
            self._axes(draw, index)
            if panel.title and self.layout.panel_title_row is not None:
                left, _ = self.layout.corners[index]
                draw.text(
                    (left + self.layout.side / 2, self.layout.panel_title_row),
                    panel.title,
                    fill=INK,
                    font=self.fonts["text"],
                    anchor="ma",
                )

    def _axes(self, draw: ImageDraw.ImageDraw, index: int) -> None:
        """Tick marks and their labels below and left of panel ``index``."""
        left, top = self.layout.corners[index]
        right, bottom = left + self.layout.side - 1, top + self.layout.side - 1
        for tick, (px, py) in zip(self.ticks, self.tick_pixels[index], strict=True):
            text = f"{tick:d}".replace("-", "−")
            draw.line((px, bottom, px, bottom + 6), fill=FRAME_INK, width=1)
            draw.text((px, bottom + 9), text, fill=SOFT_INK, font=self.fonts["tick"], anchor="ma")
            draw.line((left - 6, py, left, py), fill=FRAME_INK, width=1)
            draw.text((left - 9, py), text, fill=SOFT_INK, font=self.fonts["tick"], anchor="rm")
        draw.text((right, bottom + 9), "x", fill=SOFT_INK, font=self.fonts["tick"], anchor="ra")
        draw.text((left - 9, top), "y", fill=SOFT_INK, font=self.fonts["tick"], anchor="rt")

    def draw(self, clouds: Sequence[np.ndarray], density: np.ndarray | None, label: str) -> Image.Image:
        """The frame with these clouds (N, 2), one per panel, over this density, with this label."""
        image = self.base.copy()
        side = self.layout.side
        shade = _shade(density, side)
        draw = ImageDraw.Draw(image)
        for index, (cloud, colour) in enumerate(zip(clouds, self.colours, strict=True)):
            left, top = self.layout.corners[index]
            if shade is not None:
                image.paste(shade, (left, top))
            for px, py in self.tick_pixels[index]:
                draw.line((px, top, px, top + side - 1), fill=GRID_INK)
                draw.line((left, py, left + side - 1, py), fill=GRID_INK)
            draw.point(
                _dot_pixels(self.layout.pixels(index, cloud, self.extent), left, top, side), fill=colour
            )
            draw.rectangle((left - 1, top - 1, left + side, top + side), outline=FRAME_INK)
        draw.text(
            (self.layout.width / 2, self.layout.label_row),
            label,
            fill=SOFT_INK,
            font=self.fonts["text"],
            anchor="ma",
        )
        return image


def _disc(radius: int) -> np.ndarray:
    """The pixel offsets (K, 2) of a round dot."""
    span = range(-radius, radius + 1)
    return np.array([(dx, dy) for dx in span for dy in span if dx * dx + dy * dy <= radius * radius + 1])


def _dot_pixels(centres: np.ndarray, left: int, top: int, side: int) -> list[int]:
    """The pixels (flat x, y list) of a dot round every finite centre (N, 2), inside the plot area."""
    disc = _disc(DOT if len(centres) <= DENSE_CLOUD else 1)
    centres = np.round(np.clip(centres[np.isfinite(centres).all(axis=1)], -1e6, 1e6)).astype(np.int64)
    pixels = (centres[None] + disc[:, None]).reshape(-1, 2)
    inside = (
        (pixels[:, 0] >= left)
        & (pixels[:, 0] < left + side)
        & (pixels[:, 1] >= top)
        & (pixels[:, 1] < top + side)
    )
    return pixels[inside].ravel().tolist()


def _shade(density: np.ndarray | None, side: int) -> Image.Image | None:
    """The density as a grey square ``side`` pixels wide: white where it is 0, darker where high."""
    if density is None:
        return None
    shade = 255 - (np.flipud(density).astype(np.float32) * 0.45).astype(np.uint8)  # rows: top = +y
    return Image.fromarray(shade, mode="L").resize((side, side), Image.Resampling.BILINEAR).convert("RGB")


def _palette(colours: Sequence[str]) -> Image.Image:
    """A palette image of greys (finest where the density shades), the text inks and the clouds' colours."""
    inks = [INK, SOFT_INK, GRID_INK, FRAME_INK, *colours]
    greys = np.r_[np.linspace(0, 120, 24), np.linspace(128, 255, 128)].round().astype(int)  # shades: 140–255
    rgb = [(v, v, v) for v in greys]
    rgb += [Image.new("RGB", (1, 1), ink).getpixel((0, 0)) for ink in inks]
    flat = [channel for colour in rgb for channel in colour]
    palette = Image.new("P", (1, 1))
    palette.putpalette(flat + flat[-3:] * (256 - len(rgb)))
    return palette


def _at(density: np.ndarray | None, frame: int) -> np.ndarray | None:
    return density[frame] if density is not None and density.ndim == 3 else density


def _wrap(text: str, font: Font, width: int) -> tuple[str, ...]:
    """``text`` in lines no wider than ``width`` pixels: broken after a " · " if that is enough (the
    lesson on one line, its setup on the next), else also after commas, else between words; never
    inside brackets, so that no setting is cut in two."""
    lines: list[str] = []
    for part in _pieces(text, (" · ",)):
        if font.getlength(part.rstrip(" ·")) <= width:
            pieces = [part]
        elif all(font.getlength(piece) <= width for piece in _pieces(part, (", ",))):
            pieces = _pieces(part, (", ",))
        else:
            pieces = [f"{word} " for word in part.split(" ")]
        for piece in pieces:
            if lines and font.getlength((lines[-1] + piece).rstrip(" ,·")) <= width:
                lines[-1] += piece
            else:
                lines.append(piece)
    return tuple(line.rstrip(" ,·") for line in lines)


def _pieces(text: str, separators: tuple[str, ...]) -> list[str]:
    """``text`` cut after every one of ``separators`` outside brackets ("N(0, I)" stays whole)."""
    pieces, depth, start = [], 0, 0
    for index, character in enumerate(text):
        depth += {"(": 1, ")": -1}.get(character, 0)
        for separator in separators:
            if depth == 0 and text.startswith(separator, index):
                pieces.append(text[start : index + len(separator)])
                start = index + len(separator)
    return [piece for piece in [*pieces, text[start:]] if piece]


def _fonts() -> dict[str, Font]:
    """The fonts of a picture, loaded afresh (a FreeType face is not shared between threads)."""
    return {
        "title": _font(PX["title"], bold=True),
        "text": _font(PX["text"]),
        "tick": _font(PX["tick"]),
    }


def _font(size: int, *, bold: bool = False) -> Font:
    source = _font_source(bold)
    if source is None:
        return ImageFont.load_default(size=size)
    font = ImageFont.truetype(source, size)
    if source.endswith(".woff2"):  # the variable Source Sans: its default weight is ExtraLight
        font.set_variation_by_name("Semibold" if bold else "Regular")
    return font


@functools.cache
def _font_source(bold: bool) -> str | None:
    """The first font file found that has every character the labels use, or None."""
    spec = importlib.util.find_spec("streamlit")  # found, not imported: this module needs no Streamlit
    media = Path(spec.origin).parent / "static" / "static" / "media" if spec and spec.origin else Path()
    candidates = [str(path) for path in sorted(media.glob("SourceSansVF-Upright*.woff2"))]
    candidates += ["DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf", "LiberationSans-Regular.ttf"]
    for candidate in candidates:
        try:
            font = ImageFont.truetype(candidate, 20)
        except OSError:
            continue
        if _has_glyphs(font, TEXT_NEEDS):
            return candidate
    return None


def _has_glyphs(font: ImageFont.FreeTypeFont, characters: str) -> bool:
    """Whether ``font`` draws every one of ``characters`` (none comes out as its "missing" box)."""
    missing = _glyph(font, "\U000f0000")  # a private-use character: no font has it
    return all(_glyph(font, character) != missing for character in characters)


def _glyph(font: ImageFont.FreeTypeFont, character: str) -> bytes:
    image = Image.new("L", (64, 64))
    ImageDraw.Draw(image).text((8, 8), character, font=font, fill=255)
    return image.tobytes()
