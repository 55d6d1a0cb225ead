"""Server-side pictures of a run, without a browser: PNG of one frame, animated GIF of all (Pillow).

Arrays in, bytes out: the cloud xs (N, 2) as dots over the exact density (G, G) uint8 (rows = y),
on a square canvas spanning [−extent, extent]² like the figures.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

SIZE = 480  # pixels per side
DOT = 2  # dot radius in pixels
GIF_FRAME_MS = 80


def frame_image(
    xs: np.ndarray, colour: str, *, extent: float, density: np.ndarray | None = None, label: str = ""
) -> Image.Image:
    """One frame: dots at xs (N, 2) in ``colour`` over the grey density, with a label at the top."""
    image = _background(density)
    draw = ImageDraw.Draw(image)
    pixels = (xs * np.array([1.0, -1.0]) + extent) / (2 * extent) * (SIZE - 1)  # y grows downwards
    for px, py in pixels[np.isfinite(pixels).all(axis=1)]:
        draw.ellipse((px - DOT, py - DOT, px + DOT, py + DOT), fill=colour)
    draw.text((8, 6), label, fill="#333333")
    return image


def png_bytes(
    xs: np.ndarray, colour: str, *, extent: float, density: np.ndarray | None = None, label: str = ""
) -> bytes:
    """A PNG of one frame."""
    buffer = io.BytesIO()
    frame_image(xs, colour, extent=extent, density=density, label=label).save(buffer, format="PNG")
    return buffer.getvalue()


def gif_bytes(
    xs: np.ndarray, colour: str, labels: list[str], *, extent: float, density: np.ndarray | None = None
) -> bytes:
    """An animated GIF of frames xs (F, N, 2); density (F, G, G) per frame, (G, G) fixed, or None."""
    frames = [
        frame_image(cloud, colour, extent=extent, density=_at(density, k), label=labels[k])
        for k, cloud in enumerate(xs)
    ]
    buffer = io.BytesIO()
    frames[0].save(
        buffer, format="GIF", save_all=True, append_images=frames[1:], duration=GIF_FRAME_MS, loop=0
    )
    return buffer.getvalue()


def _background(density: np.ndarray | None) -> Image.Image:
    """White canvas, darkened where the density is high (the figures' grey shading)."""
    if density is None:
        return Image.new("RGB", (SIZE, SIZE), "white")
    shade = 255 - (np.flipud(density).astype(np.float32) * 0.45).astype(np.uint8)  # rows: top = +y
    return Image.fromarray(shade, mode="L").resize((SIZE, SIZE), Image.Resampling.BILINEAR).convert("RGB")


def _at(density: np.ndarray | None, frame: int) -> np.ndarray | None:
    return density[frame] if density is not None and density.ndim == 3 else density
