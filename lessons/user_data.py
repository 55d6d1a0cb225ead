"""A student's own 2D data: CSV parsing, drawing, and a compact URL form (no Streamlit here).

Own data are centred and scaled like the presets (``core.datasets.standardize``), kept to at most
``MAX_POINTS`` points (more are subsampled, with a note), and written into the page address as
base64url-encoded int16 coordinates in thousandths, so that a link carries the data with it.
"""

from __future__ import annotations

import base64
import binascii
import io

import numpy as np
import torch

from core import datasets
from core.mixture import GaussianMixture

MIN_POINTS, MAX_POINTS = 5, 300
MAX_BYTES = 1_000_000  # largest CSV file read
BANDWIDTHS = (0.05, 0.1, 0.15, 0.2, 0.3)  # σ₀ choices, in units of the data's unit spread
SCALE = 1000  # URL coordinates are int16 thousandths: |x| ≤ 32.767 after standardizing


def parse_csv(content: bytes) -> tuple[np.ndarray, list[str]]:
    """Points (M, 2) from the first two numeric columns of a CSV (a header line is allowed), and notes.

    Raises ValueError with a one-line message saying what was wrong and what is expected.
    """
    if len(content) > MAX_BYTES:
        raise ValueError(f"The file is {len(content) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError("The file is not text: expected a CSV with columns x,y.") from error
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
    return checked_points(table[:, :2])


def checked_points(points: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Finite points (M, 2) with MIN_POINTS ≤ M, subsampled (evenly, reproducibly) to MAX_POINTS."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if not np.isfinite(points).all():
        raise ValueError("Some values are not finite numbers (NaN or infinity): remove those rows.")
    if len(points) < MIN_POINTS:
        raise ValueError(f"Only {len(points)} points: at least {MIN_POINTS} are needed.")
    if np.ptp(points, axis=0).max() == 0:
        raise ValueError("All points are the same point: the data need some spread.")
    notes = []
    if len(points) > MAX_POINTS:
        notes.append(f"{len(points):,} points: an evenly spread subset of {MAX_POINTS} is used.")
        points = points[np.linspace(0, len(points) - 1, MAX_POINTS).round().astype(int)]
    return points, notes


def standardized(points: np.ndarray, bandwidth: float) -> np.ndarray:
    """Centred and scaled so that the KDE with this bandwidth has unit spread, like the presets."""
    return datasets.standardize(torch.as_tensor(points, dtype=torch.float32), bandwidth).numpy()


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
