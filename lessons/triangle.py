"""The home page's picture: a p_t cloud, the same particles after one forward step, and after the
backward step that follows, with its figure. Pure: no Streamlit (``engine_cache`` caches the clouds).
"""

from __future__ import annotations

import numpy as np
import torch

from core import datasets, sde
from lessons import simulate, still_figures
from lessons.simulate import density_image


def triangle_clouds() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The home page's picture: a p_t cloud, after one forward half, after the backward half too;
    with the densities of p_t and p_{t+h}. t = 0.05, h = 0.2 on two moons, λ = 1."""
    data, t, h = datasets.make("two_moons"), 0.05, 0.2
    generator = torch.Generator().manual_seed(0)
    cloud = data.diffused(t).sample(700, generator)
    after_forward, after_backward = sde.split_step(data.marginal_score, cloud, t, h, 1.0, generator)
    return (
        cloud.numpy(),
        after_forward.numpy(),
        after_backward.numpy(),
        density_image(data.diffused(t)),
        density_image(data.diffused(t + h)),
    )


def triangle_figure(clouds: tuple[np.ndarray, ...]) -> dict:
    """The home page's forward + backward = identity picture from ``triangle_clouds()``."""
    return still_figures.split_triangle(*clouds, extent=simulate.EXTENT, grid=simulate.GRID)
