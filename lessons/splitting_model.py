"""Lesson 3's model: one Langevin step for p_t split into a forward and a backward half (MATH §4),
the three drifts on a few particles and the cloud under repeated halves."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core import divergence, sde
from core.mixture import GaussianMixture
from lessons import fit, noise_bands
from lessons.settings import Settings
from lessons.simulate import EXTENT, dataset, density_image, num_frames

ARROWS_PER_CLOUD = 12  # particles that carry drift arrows in the splitting lesson (more is unreadable)
DRIFT_DISPLAY = 0.45  # median drawn drift length, in data units


@dataclass(frozen=True)
class SplitRun:
    """One split step at a time t.  cloud (N, 2) ~ p_t; panels: xs (F, N, 2) of repeated forward
    halves, backward halves, and both."""

    cloud: np.ndarray
    density: np.ndarray
    panels: dict[str, np.ndarray]


@dataclass(frozen=True)
class HalvesFit:
    """KL of each panel's cloud to p_t after ``steps`` (F,) split steps, minus the estimate's bias
    on exact clouds (excess[name] (F,), nats), and the sampling-noise margin of that KL."""

    steps: np.ndarray
    excess: dict[str, np.ndarray]
    margin: float


def split_run(settings: Settings) -> SplitRun:
    """Drifts of MATH §4 at time t, and the cloud under repeated forward, backward and full split steps."""
    data = dataset(settings)
    generator = torch.Generator().manual_seed(settings.seed)
    p_t = data.diffused(settings.time)
    cloud = p_t.sample(settings.particles, generator)
    panels = _repeated_halves(data, cloud, settings, generator)
    return SplitRun(
        cloud=cloud.numpy(),
        density=density_image(p_t),
        panels={name: xs.numpy() for name, xs in panels.items()},
    )


def measure_halves(run: SplitRun, settings: Settings) -> HalvesFit:
    """KL(cloud ‖ p_t) of every panel at ``fit.measured_frames``, against the band of p_t (MATH §10)."""
    p_t = dataset(settings).diffused(settings.time)
    size = noise_bands.kl_size(settings.particles)
    band = noise_bands.kl_band(settings, settings.time, size)
    steps = fit.measured_frames(len(next(iter(run.panels.values()))))
    excess = {
        name: np.array([divergence.kl_to_exact(torch.from_numpy(xs[k, :size]), p_t) for k in steps])
        - band.mean
        for name, xs in run.panels.items()
    }
    return HalvesFit(steps=steps, excess=excess, margin=band.upper - band.mean)


def drifts_for(settings: Settings, cloud: np.ndarray) -> dict[str, np.ndarray]:
    """The three drifts of MATH §4 at time t for the first ARROWS_PER_CLOUD particles, display-scaled."""
    data = dataset(settings)
    x = torch.from_numpy(cloud[:ARROWS_PER_CLOUD])
    forward_drift, backward_drift, langevin_drift = sde.split_drifts(
        data.marginal_score, x, settings.time, settings.lam
    )
    scale = DRIFT_DISPLAY / float(torch.cat([forward_drift, backward_drift]).norm(dim=-1).median())
    return {
        "forward": (scale * forward_drift).numpy(),
        "backward": (scale * backward_drift).numpy(),
        "langevin": (scale * langevin_drift).numpy(),
    }


def half_step(settings: Settings, cloud: np.ndarray, which: str, seed: int, time: float) -> np.ndarray:
    """Apply one forward half (p_τ → p_{τ+h}), one backward half (p_τ → p_{τ−h}, with the score of
    p_τ) or both (a full split step at τ) to a cloud (N, 2) distributed as p_τ, τ = ``time``."""
    data = dataset(settings)
    generator = torch.Generator().manual_seed(seed)
    x, h, lam = torch.from_numpy(cloud), settings.step_size, settings.lam
    if which == "forward":
        return sde.forward_half(x, h, generator).numpy()
    if which == "backward":
        return sde.backward_half(data.marginal_score, x, time - h, h, lam, generator).numpy()
    return sde.split_step(data.marginal_score, x, time, h, lam, generator)[1].numpy()


def time_after(time: float, which: str, step_size: float) -> float:
    """The time τ of the cloud's law p_τ after a half: +h forward, −h backward, unchanged for both."""
    return time + {"forward": step_size, "backward": -step_size, "both": 0.0}[which]


def _repeated_halves(
    data: GaussianMixture, cloud: torch.Tensor, settings: Settings, generator: torch.Generator
) -> dict[str, torch.Tensor]:
    """Frames (F, N, 2) of a p_t cloud under repeated forward halves, backward halves, and both."""
    current = {"forward half only": cloud, "backward half only": cloud, "forward + backward": cloud}
    frames = {name: [cloud] for name in current}
    score, t, h, lam = data.marginal_score, settings.time, settings.step_size, settings.lam
    for _ in range(num_frames(settings.particles * len(current))):
        current["forward half only"] = sde.forward_half(current["forward half only"], h, generator)
        current["backward half only"] = sde.backward_half(
            score, current["backward half only"], t, h, lam, generator
        )
        current["forward + backward"] = sde.split_step(
            score, current["forward + backward"], t, h, lam, generator
        )[1]
        for name, x in current.items():
            frames[name].append(x.clamp(-EXTENT * 3, EXTENT * 3))
    return {name: torch.stack(xs) for name, xs in frames.items()}
