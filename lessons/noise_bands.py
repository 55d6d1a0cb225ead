"""The sampling-noise band of every KL readout (MATH §10): what KL(cloud ‖ p_t) reads on clouds drawn
from p_t itself, at the same number of particles. No Streamlit here.

A band depends on the data, the time t and the cloud's size N only (not on the seed, h or λ), so it is
computed once per server for each (data, t, N) and kept. An animation's frames sit at many times; their
band is measured at ``band_times`` (dense near t = 0, where p_t changes fastest) and joined by straight
lines in t, so a new T costs a handful of bands, not one per frame.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from core import divergence
from lessons.settings import Settings
from lessons.simulate import data_only, dataset

BAND_REPEATS = 16  # exact clouds per band (MATH §10)
BAND_LEVEL = 0.995  # an exact cloud reads "off" with probability ≈ 0.5 %: the verdict is right on exact runs
BAND_FRACTIONS = (
    0.0,
    1 / 64,
    1 / 16,
    1 / 8,
    1 / 4,
    1 / 2,
    1.0,
)  # of T: where an animation's band is measured
KL_PARTICLES = 1000  # particles of a cloud in its KL readout: a cloud's particles are exchangeable, so its
# first ones are a fair sample, and the neighbour search grows like N log N


def kl_size(particles: int) -> int:
    """N of the KL readout for a cloud of ``particles``: all of them, at most KL_PARTICLES."""
    return min(particles, KL_PARTICLES)


def kl_band(settings: Settings, t: float, size: int) -> divergence.KLBand:
    """``divergence.kl_noise_band`` of p_t for the settings' data at N = ``size``, cached per server."""
    return _kl_band(data_only(settings), round(float(t), 6), size)


@functools.lru_cache(maxsize=1024)
def _kl_band(data: Settings, t: float, size: int) -> divergence.KLBand:
    generator = torch.Generator().manual_seed(size)  # one fixed set of exact clouds per (data, t, N)
    exact = dataset(data).diffused(t)
    return divergence.kl_noise_band(exact, size, repeats=BAND_REPEATS, level=BAND_LEVEL, generator=generator)


def band_times(t_end: float) -> np.ndarray:
    """The times in [0, T] at which an animation's band is measured: BAND_FRACTIONS × T;  -> (B,)."""
    return np.array(BAND_FRACTIONS) * t_end


def kl_bands(settings: Settings, times: np.ndarray, size: int) -> np.ndarray:
    """(mean, upper) of the band at each frame time in ``times`` (F,), measured at ``band_times``
    of the largest time and interpolated linearly in t;  -> (F, 2)."""
    grid = np.unique(band_times(float(np.max(times))))
    measured = np.array([kl_band(settings, t, size) for t in grid])  # (B, 2)
    return np.stack([np.interp(times, grid, measured[:, column]) for column in range(2)], axis=1)


def width_band(settings: Settings, t: float, size: int) -> tuple[float, float]:
    """``divergence.width_noise_band`` of p_t for the settings' data at N = ``size``, cached per server."""
    return _width_band(data_only(settings), round(float(t), 6), size)


@functools.lru_cache(maxsize=1024)
def _width_band(data: Settings, t: float, size: int) -> tuple[float, float]:
    generator = torch.Generator().manual_seed(size)
    exact = dataset(data).diffused(t)
    return divergence.width_noise_band(
        exact, size, repeats=BAND_REPEATS, level=BAND_LEVEL, generator=generator
    )
