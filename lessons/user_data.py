"""A student's own 2D data: CSV parsing, drawing, and a compact URL form (no Streamlit here).

Own data are centred and scaled like the presets (``core.datasets.standardize``), kept to at most
``MAX_POINTS`` points (more are subsampled, with a note), and written into the page address as
base64url-encoded int16 coordinates in thousandths, so that a link carries the data with it.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import io
import unicodedata

import numpy as np
import torch

from core import datasets
from core.mixture import GaussianMixture

MIN_POINTS, MAX_POINTS = 5, 300
MAX_UPLOAD_MB = 1  # largest CSV file read; .streamlit/config.toml's server.maxUploadSize is the same
MAX_BYTES = MAX_UPLOAD_MB * 1024 * 1024  # Streamlit's megabyte
SAME_POINT = 1e-9  # points whose range is below this fraction of their size are one point, rounded
BYTE_ORDER_MARKS = (  # UTF-32's before UTF-16's: they begin alike
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
NOT_TEXT = "The file is not text: expected a CSV file with columns x,y (a spreadsheet must be saved as CSV)."
BANDWIDTHS = (0.05, 0.1, 0.15, 0.2, 0.3)  # σ₀ choices, in units of the data's unit spread
SCALE = 1000  # URL coordinates are int16 thousandths: |x| ≤ 32.767 after standardizing


def parse_csv(content: bytes) -> tuple[np.ndarray, list[str]]:
    """Points (M, 2) from the first two numeric columns of a CSV (a header line is allowed), and notes.

    Raises ValueError with a one-line message saying what was wrong and what is expected.
    """
    if len(content) > MAX_BYTES:
        raise ValueError(f"The file is {len(content) / 2**20:.1f} MB; the limit is {MAX_UPLOAD_MB} MB.")
    text, notes = decoded_text(content)
    rows = [line for line in text.splitlines() if line.strip()]
    if rows and not _numeric(rows[0]):
        rows = rows[1:]  # a header
    if not rows:
        raise ValueError("The file holds no rows of numbers: expected lines like 0.5,-1.2.")
    try:
        table = np.loadtxt(io.StringIO("\n".join(rows)), delimiter=",", ndmin=2, dtype=np.float64)
    except ValueError as error:
        raise ValueError("Every row must hold numbers separated by commas, e.g. 0.5,-1.2.") from error
    if table.shape[1] < 2:
        raise ValueError("Expected two columns, x and y; found one.")
    points, more_notes = checked_points(table[:, :2])
    return points, notes + more_notes


def decoded_text(content: bytes) -> tuple[str, list[str]]:
    """The text of a file and, when its encoding had to be guessed, a note naming it.

    UTF-8, UTF-16 or UTF-32 with a byte-order mark; UTF-16 without one (told by the zero byte of
    every ASCII character, after it in little-endian order, before it in big-endian); UTF-8; else
    Windows-1252 or Latin-1, which the note names. Raises ValueError with NOT_TEXT when the bytes
    are no text in these encodings, or hold control characters (a binary file).
    """
    text, guessed = _decoded(content)
    if any(unicodedata.category(char) == "Cc" and char not in "\t\n\r\f\v" for char in text):
        raise ValueError(NOT_TEXT)
    return text, [f"The file is not UTF-8: it was read as {guessed}."] if guessed else []


def _decoded(content: bytes) -> tuple[str, str]:
    """The text of ``content``, and its encoding's name when that was a guess ("" if not)."""
    codec = next((codec for mark, codec in BYTE_ORDER_MARKS if content.startswith(mark)), None)
    if codec is None and b"\x00" in content and len(content) % 2 == 0:
        codec = "utf-16-le" if content[1::2].count(0) > content[0::2].count(0) else "utf-16-be"
    if codec is not None:  # told by the file itself: no other reading
        try:
            return content.decode(codec), ""
        except UnicodeDecodeError as error:
            raise ValueError(NOT_TEXT) from error
    for guess, name in (("utf-8", ""), ("cp1252", "Windows-1252 (Latin-1)")):
        try:
            return content.decode(guess), name
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1"), "Latin-1"  # every byte is a Latin-1 character


def checked_points(points: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Finite points (M, 2) with MIN_POINTS ≤ M, subsampled (evenly, reproducibly: ``even_subset``)
    to MAX_POINTS."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if not np.isfinite(points).all():
        raise ValueError("Some values are not finite numbers (NaN or infinity): remove those rows.")
    if len(points) < MIN_POINTS:
        raise ValueError(
            f"Only {len(points)} point{'' if len(points) == 1 else 's'}: at least {MIN_POINTS} are needed."
        )
    size, span = np.abs(points).max(), (points.max(axis=0) / 2 - points.min(axis=0) / 2).max()
    if span <= SAME_POINT * size / 2:
        raise ValueError("All points are the same point (to rounding): the data need some spread.")
    notes = []
    if len(points) > MAX_POINTS:
        notes.append(f"{len(points):,} points: an evenly spread subset of {MAX_POINTS} is used.")
        points = points[even_subset(points, MAX_POINTS)]
    return points, notes


def even_subset(points: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """Indices (count,) of an evenly spread subset of ``points`` (M, 2), in their original order.

    Stratified along a Hilbert curve: the points are ordered along the curve (neighbours on it are
    neighbours in the plane), cut into ``count`` runs of equal length, and one point is drawn at
    random (fixed ``seed``) from each run. Every region keeps its share of the points, so the density
    is kept; unlike every k-th point in a sorted order, the subset has no stripes, and unlike a plain
    random subset, no clumps or holes bigger than a run.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if count >= len(points):
        return np.arange(len(points))
    order = np.argsort(hilbert_index(points), kind="stable")
    bounds = np.arange(count + 1) * len(points) // count  # run k: positions bounds[k] to bounds[k+1]
    draws = np.random.default_rng(seed).random(count)
    positions = bounds[:-1] + (draws * np.diff(bounds)).astype(np.int64)
    return np.sort(order[positions])


def hilbert_index(points: np.ndarray, bits: int = 16) -> np.ndarray:
    """Each point's position (M,) along a Hilbert curve through the points' bounding square, on a
    2^bits × 2^bits lattice (the classic xy → d conversion, for all points at once)."""
    low = points.min(axis=0) / 2  # halves: no range overflows, even near ±1e308
    half_span = max(float((points.max(axis=0) / 2 - low).max()), 1e-300)
    side = 1 << bits
    lattice = np.clip(((points / 2 - low) / half_span * (side - 1)).round(), 0, side - 1)
    x, y = lattice.astype(np.int64).T.copy()
    index = np.zeros(len(points), dtype=np.int64)
    half = side >> 1
    while half > 0:
        rx = (x & half) > 0
        ry = (y & half) > 0
        index += half * half * ((3 * rx) ^ ry)
        flip = ~ry & rx  # rotate the quadrant so that the curve's pieces join up
        x = np.where(flip, side - 1 - x, x)
        y = np.where(flip, side - 1 - y, y)
        x, y = np.where(~ry, y, x), np.where(~ry, x, y)
        half >>= 1
    return index


def standardized(points: np.ndarray, bandwidth: float) -> np.ndarray:
    """Centred and scaled so that the KDE with this bandwidth has unit spread, like the presets.

    In float64 first, the points (M, 2) are centred on the middle of their range and divided by half
    the largest range (halves, so that nothing overflows near 1e308): points of any finite size, Unix
    times or a spread of 1e-20, reach ``datasets.standardize`` within ±1.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    low, high = points.min(axis=0), points.max(axis=0)
    middle, half_range = low / 2 + high / 2, float((high / 2 - low / 2).max())
    unit = torch.as_tensor((points - middle) / half_range, dtype=torch.float32)
    return datasets.standardize(unit, bandwidth).numpy()


def encode(points: np.ndarray) -> str:
    """URL-safe text for standardized points (M, 2)."""
    thousandths = np.clip(np.round(points * SCALE), -32767, 32767).astype("<i2")
    return base64.urlsafe_b64encode(thousandths.tobytes()).decode("ascii").rstrip("=")


def decode(text: str) -> np.ndarray | None:
    """Points (M, 2) from ``encode``'s text, or None if the text is not such a list of points."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    if not raw or len(raw) % 4:
        return None
    points = np.frombuffer(raw, dtype="<i2").reshape(-1, 2).astype(np.float32) / SCALE
    return points if MIN_POINTS <= len(points) <= MAX_POINTS else None


def mixture(text: str, bandwidth: float) -> GaussianMixture:
    """The KDE mixture of encoded own data (MATH §3); ValueError in plain words when there is none."""
    points = decode(text)
    if points is None:
        raise ValueError(
            "There is no data of your own yet: draw or upload points on the 'Your own data' page."
        )
    return datasets.from_points(torch.from_numpy(points), bandwidth)


def drawing_grid(extent: float = 3.0, count: int = 61) -> np.ndarray:
    """The canvas students select from (box, lasso or clicks): count × count points;  -> (count², 2)."""
    axis = np.linspace(-extent, extent, count)
    xx, yy = np.meshgrid(axis, axis)
    return np.stack([xx.ravel(), yy.ravel()], -1)


def _numeric(line: str) -> bool:
    try:
        [float(cell) for cell in line.split(",")]
    except ValueError:
        return False
    return True
