"""Lesson 5's grid picture (MATH §6): columns are forward times t_0 < t_1 < … < t_C−1 = T, rows are
what moves a cloud. No Streamlit here.

Row 0, forward steps: a cloud of p_{t_0}, carried one column right at a time by the exact OU
transition over t_{j+1} − t_j.  Row 1, Langevin dynamics at a fixed time: each cloud of row 0 after
one Langevin-type step for its own p_{t_j}, made of a forward step over δ and the exact backward step
over δ (MATH §4 with both halves exact, so p_{t_j} is unchanged at any δ).  Row 2, backward steps:
the last cloud of row 1 after one more such step, then carried one column left at a time by exact
draws from p(x_{t_j} | x_{t_{j+1}}) (``core.posterior``). Every cell's cloud is distributed as its
column's p_t; within a column the particles are different ones.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch

from core import posterior, sde
from core.mixture import GaussianMixture
from lessons.settings import Settings
from lessons.simulate import dataset, density_image

COLUMN_FRACTIONS = (0.0, 1 / 16, 1 / 4, 1.0)  # of T: the columns' times, dense near t = 0
ROWS = ("forward steps →", "Langevin at fixed t ↓", "← backward steps")
CELL_PARTICLES = 200
LANGEVIN_STEP = 0.3  # δ of one row step: a visible shuffle; any δ leaves p_t unchanged


@dataclass(frozen=True)
class GridPicture:
    """times (C,) of the columns; clouds (R, C, n, 2) float32, row by row; densities (C, G, G) uint8."""

    times: np.ndarray
    clouds: np.ndarray
    densities: np.ndarray


def grid_picture(settings: Settings) -> GridPicture:
    """The picture for the settings' data, total time T and seed."""
    data = dataset(settings)
    generator = torch.Generator().manual_seed(settings.seed)
    times = [fraction * settings.t_end for fraction in COLUMN_FRACTIONS]
    forward = [data.diffused(times[0]).sample(CELL_PARTICLES, generator)]
    for start, end in itertools.pairwise(times):
        forward.append(_ou_step(forward[-1], end - start, generator))
    langevin = [_langevin_step(data, t, cloud, generator) for t, cloud in zip(times, forward, strict=True)]
    backward = [_langevin_step(data, times[-1], langevin[-1], generator)]
    for start, end in reversed(list(itertools.pairwise(times))):
        backward.insert(0, posterior.sample_posterior(data, start, end - start, backward[0], generator))
    clouds = torch.stack([torch.stack(row) for row in (forward, langevin, backward)])  # (R, C, n, 2)
    return GridPicture(
        times=np.array(times),
        clouds=clouds.numpy(),
        densities=np.stack([density_image(data.diffused(t)) for t in times]),
    )


def _ou_step(x: torch.Tensor, h: float, generator: torch.Generator) -> torch.Tensor:
    """The exact OU transition over h (MATH §2);  x (n, 2) -> (n, 2)."""
    return sde.forward(x, t_end=h, num_steps=1, exact=True, generator=generator).final


def _langevin_step(
    data: GaussianMixture, t: float, x: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """Forward over δ, then the exact backward step over δ: p_t in, p_t out;  x (n, 2) -> (n, 2)."""
    moved = _ou_step(x, LANGEVIN_STEP, generator)
    return posterior.sample_posterior(data, t, LANGEVIN_STEP, moved, generator)
