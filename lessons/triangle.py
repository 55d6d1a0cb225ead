"""The home page's picture: a p_t cloud, the same particles after one exact forward step, and after the
exact backward step that follows, with its figure and caption. Pure: no Streamlit (``engine_cache``
caches the clouds).

Forward: the exact OU transition over h, x_{t+h} = e^{−h} x_t + √(1 − e^{−2h}) ξ (MATH §2).
Backward: every particle drawn from the exact posterior p(x_t | x_{t+h}) of the mixture (MATH §9,
``core.posterior``), which returns p_{t+h} to p_t at any h. One Euler–Maruyama backward half (lesson 3's
step) would not at this h: it lands near p_{t+h} (KL ≈ 0.05 nats to p_{t+h}, 0.3 to p_t).
"""

from __future__ import annotations

import numpy as np
import torch

from core import divergence, posterior, sde
from lessons import noise_bands, simulate, still_figures
from lessons.settings import Settings
from lessons.simulate import density_image

DATASET, TIME, STEP, PARTICLES = "two_moons", 0.05, 0.2, 700
SETTINGS = Settings(dataset=DATASET)  # the data, for the cached noise bands
Clouds = tuple[np.ndarray, ...]  # cloud, after forward, after backward (N, 2) each; densities of p_t and
# p_{t+h} (G, G); kl (3, 2) of each cloud to (p_t, p_{t+h}); bands (2, 2) of (mean, upper) for each


def triangle_clouds(seed: int = 0) -> Clouds:
    """The picture's clouds (N, 2), densities (G, G), and their KL readouts (MATH §10) with the bands of
    exact clouds of the same size: two moons, t = 0.05, h = 0.2."""
    data, generator = simulate.dataset(SETTINGS), torch.Generator().manual_seed(seed)
    exact = (data.diffused(TIME), data.diffused(TIME + STEP))
    cloud = exact[0].sample(PARTICLES, generator)  # (N, 2)
    after_forward = sde.forward(cloud, t_end=STEP, num_steps=1, exact=True, generator=generator).final
    after_backward = posterior.sample_posterior(data, TIME, STEP, after_forward, generator)
    clouds = (cloud, after_forward, after_backward)
    kl = np.array([[divergence.kl_to_exact(points, p) for p in exact] for points in clouds])  # (3, 2)
    bands = np.array([noise_bands.kl_band(SETTINGS, t, PARTICLES) for t in (TIME, TIME + STEP)])  # (2, 2)
    densities = tuple(density_image(p) for p in exact)
    return (*(points.numpy() for points in clouds), *densities, kl, bands)


def triangle_figure(clouds: Clouds) -> dict:
    """The home page's forward + backward = identity picture from ``triangle_clouds()``."""
    return still_figures.split_triangle(*clouds[:5], extent=simulate.EXTENT, grid=simulate.GRID)


def triangle_caption(clouds: Clouds) -> str:
    """What the picture shows, with the KL of each cloud measured on its own particles."""
    start, _, back, *_, kl, bands = clouds
    moved = float(np.median(np.linalg.norm(back - start, axis=1)))
    return (
        f"A cloud of {PARTICLES} particles drawn from $p_t$ (two moons at t = {TIME}); the same particles "
        f"after one exact step of the OU process over h = {STEP}, now distributed as $p_{{t+h}}$; then each "
        "particle drawn afresh from the exact backward step $p(x_t \\mid x_{t+h})$ (Bayes' rule on the "
        f"mixture): back at $p_t$, though the particles have moved (median {moved:.2f}). KL in nats to "
        f"$p_t$: first cloud {kl[0, 0]:.2f}, second {kl[1, 0]:.2f}, third {kl[2, 0]:.2f}; to $p_{{t+h}}$: "
        f"{kl[0, 1]:.2f}, {kl[1, 1]:.2f}, {kl[2, 1]:.2f} (clouds drawn from $p_t$ or $p_{{t+h}}$ themselves "
        f"read up to {bands[0, 1]:.2f} and {bands[1, 1]:.2f}). Grey lines are contours of the exact density."
    )
