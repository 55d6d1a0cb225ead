"""Lesson 5's model: the forward cloud from the data beside the backward cloud from N(0, I), at the
same forward times t, with their distances to each other and to the exact p_t (MATH §6)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core import metrics, sde
from lessons.settings import Settings
from lessons.simulate import (
    DISTANCE_PARTICLES,
    PROJECTIONS,
    dataset,
    density_image,
    distances_to_marginal,
    marginal_densities,
    num_frames,
    sampling_noise_floor,
    steps_for,
)


@dataclass(frozen=True)
class DualityRun:
    """Forward and backward clouds at the same forward times t (F,): forward (F, N, 2) started from the
    data, backward (F, N, 2) started from N(0, I) at T (its frames re-ordered by t); their distance to
    each other and to the exact p_t at every t."""

    times: np.ndarray
    forward: np.ndarray
    backward: np.ndarray
    density: np.ndarray
    distances: dict[str, np.ndarray]
    noise_floor: float
    divergence: str | None


def duality_run(settings: Settings) -> DualityRun:
    """MATH §6: the backward cloud at t′ = T − t against the forward cloud at t, for every frame."""
    data = dataset(settings)
    generator = torch.Generator().manual_seed(settings.seed)
    steps, frames = steps_for(settings), num_frames(2 * settings.particles)
    forward = sde.forward(
        data.sample(settings.particles, generator),
        t_end=settings.t_end,
        num_steps=steps,
        exact=True,
        generator=generator,
        num_frames=frames,
    )
    backward = sde.backward(
        data.marginal_score,
        torch.randn(settings.particles, 2, generator=generator),
        t_end=settings.t_end,
        num_steps=steps,
        lam=settings.lam,
        generator=generator,
        num_frames=frames,
    )
    if backward.diverged:
        return DualityRun(
            forward.times.numpy(),
            forward.xs.numpy(),
            forward.xs.numpy()[:0],
            density_image(data),
            {},
            0.0,
            backward.divergence.message,
        )
    backward_xs = backward.xs.flip(0)  # frames at increasing t, like the forward run
    noise_floor = sampling_noise_floor(data, settings.particles, generator)  # p_0
    return DualityRun(
        times=forward.times.numpy(),
        forward=forward.xs.numpy(),
        backward=backward_xs.numpy(),
        density=marginal_densities(settings, forward.times.numpy()),
        distances={
            "forward vs backward": metrics.sliced_wasserstein_frames(
                forward.xs[:, :DISTANCE_PARTICLES],
                backward_xs[:, :DISTANCE_PARTICLES],
                num_projections=PROJECTIONS,
                generator=generator,
            ),
            "backward vs exact p_t": distances_to_marginal(
                backward_xs, data, forward.times.tolist(), generator
            ),
        },
        noise_floor=noise_floor,
        divergence=None,
    )
