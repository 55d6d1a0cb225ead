"""Lesson 5's model (MATH §6): the forward cloud from the data, and the backward run started from the
forward run's own endpoints x_T, at the same forward times t; a second backward run from N(0, I);
then (``measure``) their KL to the exact p_t with its noise band (MATH §10), how far each backward
particle is from its own forward partner against an unrelated one, and the forward cloud's divergence
from N(0, I). No Streamlit here.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from core import divergence, sde
from core.mixture import GaussianMixture
from lessons import noise_bands
from lessons.settings import Settings
from lessons.simulate import (
    backward_trajectory,
    data_only,
    dataset,
    density_image,
    marginal_densities,
    num_frames,
    steps_for,
)

KL_FRAMES = 11  # frames whose KL is estimated: 9 evenly spaced and 2 next to t = 0
EXACT_DRAWS = 4000  # exact draws of p_t behind the Monte Carlo KL(p_t ‖ N(0, I))
KL_NAMES = ("forward", "backward from the forward endpoints", "backward from N(0, I)")


@dataclass(frozen=True)
class Convergence:
    """KL(p_t ‖ N(0, I)) in nats: ``measured`` (M,) from the forward cloud at the measured frames (minus
    the estimator's bias on exact p_t clouds); at every frame (F,), ``exact`` by Monte Carlo on p_t's own
    density and ``moments`` the
    closed-form part KL(N(m_t, Σ_t) ‖ N(0, I)) carried by the mean e^{−t} m₀ and covariance
    e^{−2t} Σ₀ + (1 − e^{−2t}) I, a lower bound of the exact value. covariance_gap: the largest
    |Cov − I| entry at T, closed form e^{−2T} max|Σ₀ − I| and measured on the forward cloud."""

    measured: np.ndarray
    exact: np.ndarray
    moments: np.ndarray
    covariance_gap: tuple[float, float]


@dataclass(frozen=True)
class DualityRun:
    """times (F,) forward times t of the frames; forward (F, N, 2) from the data; backward (F, N, 2)
    started from the forward run's endpoints at T, exactly p_T, so backward particle i starts where
    forward particle i ended; from_noise (F, N, 2) the same backward process started from N(0, I);
    both backward runs re-ordered by t; density (F, G, G) of p_t."""

    times: np.ndarray
    forward: np.ndarray
    backward: np.ndarray
    from_noise: np.ndarray
    density: np.ndarray
    divergence: str | None


@dataclass(frozen=True)
class DualityReadouts:
    """What lesson 5 measures on a DualityRun. kl_times (M,) the measured frames' times; kl[name] (M,)
    KL(cloud ‖ p_t) minus its bias on exact clouds of the same size, for each of KL_NAMES; margin (M,)
    the noise band's half-width (exact clouds read below it); partner[name] (F,) the mean distance
    from backward particle i to forward particle i ("own partner") and to a random other one ("random
    partner"); convergence: the forward cloud against N(0, I)."""

    kl_times: np.ndarray
    kl: dict[str, np.ndarray]
    margin: np.ndarray
    partner: dict[str, np.ndarray]
    convergence: Convergence


def duality_run(settings: Settings) -> DualityRun:
    """MATH §6: the forward run, the backward run from its endpoints x_T, and one from N(0, I)."""
    data = dataset(settings)
    generator = torch.Generator().manual_seed(settings.seed)
    steps = steps_for(settings)
    frames = aligned_frames(steps, num_frames(2 * settings.particles))
    forward = sde.forward(
        data.sample(settings.particles, generator),
        t_end=settings.t_end,
        num_steps=steps,
        exact=True,
        generator=generator,
        num_frames=frames,
    )
    starts = torch.cat([forward.final, torch.randn(settings.particles, 2, generator=generator)])  # (2N, 2)
    both = backward_trajectory(data, starts, settings, frames, generator)  # one run: one score call a step
    times = forward.times.numpy()
    if both.divergence:
        empty = forward.xs.numpy()[:0]
        return DualityRun(
            times, forward.xs.numpy(), empty, empty, density_image(data), both.divergence.message
        )
    returned, from_noise = both.xs.flip(0).split(settings.particles, dim=1)  # frames at increasing t
    return DualityRun(
        times=times,
        forward=forward.xs.numpy(),
        backward=returned.numpy(),
        from_noise=from_noise.numpy(),
        density=marginal_densities(settings, times),
        divergence=None,
    )


def measure(run: DualityRun, settings: Settings) -> DualityReadouts:
    """The readouts of a run that did not blow up, at ``kl_frames`` of its frames."""
    data, measured = dataset(settings), kl_frames(len(run.times))
    times = run.times[measured]
    bands = noise_bands.kl_bands(settings, times, noise_bands.kl_size(settings.particles))  # (M, 2)
    clouds = (run.forward, run.backward, run.from_noise)
    forward, backward = torch.from_numpy(run.forward), torch.from_numpy(run.backward)
    return DualityReadouts(
        kl_times=times,
        kl={
            name: _kl(xs[measured], data, times) - bands[:, 0]
            for name, xs in zip(KL_NAMES, clouds, strict=True)
        },
        margin=bands[:, 1] - bands[:, 0],
        partner=partner_distances(forward, backward, torch.Generator().manual_seed(settings.seed)),
        convergence=convergence(settings, forward[measured], bands, run.times),
    )


def aligned_frames(steps: int, wanted: int) -> int:
    """A number of frames F that divides the S steps evenly, so that the forward run keeps steps k S / F
    and the backward run steps S − k S / F, at the same times t = k T / F, with no rounding between
    them: the F nearest ``wanted`` within a quarter of it (S = 200 and 40 wanted: 40, not 50), else the
    most at most a quarter above it (S = 125 and 20 wanted: 25, not 5)."""
    divisors = [count for count in range(1, min(steps, wanted + wanted // 4) + 1) if steps % count == 0]
    near = [count for count in divisors if count >= wanted - wanted // 4]
    return min(near, key=lambda count: (abs(count - wanted), count)) if near else max(divisors)


def kl_frames(count: int) -> np.ndarray:
    """Indices of KL_FRAMES − 2 evenly spaced frames of ``count`` (first and last included) and of the
    two after the first, where p_t changes fastest and a backward step's error shows."""
    even = np.linspace(0, count - 1, min(count, KL_FRAMES - 2)).round().astype(int)
    return np.unique(np.concatenate([even, np.arange(min(count, 3))]))


def partner_distances(forward: torch.Tensor, backward: torch.Tensor, generator: torch.Generator) -> dict:
    """Mean ‖b_i − f_i‖ (own partner) and ‖b_i − f_π(i)‖ for a random permutation π (random partner) at
    every frame;  forward, backward (F, N, 2) -> two (F,)."""
    pairing = torch.randperm(forward.shape[1], generator=generator)  # (N,)
    return {
        "own partner": (backward - forward).norm(dim=-1).mean(1).numpy(),
        "random partner": (backward - forward[:, pairing]).norm(dim=-1).mean(1).numpy(),
    }


def convergence(
    settings: Settings, forward: torch.Tensor, bands: np.ndarray, times: np.ndarray
) -> Convergence:
    """The forward cloud's measured frames (M, N, 2) against N(0, I), their bias from ``bands`` (M, 2);
    the exact and moment values at every frame time ``times`` (F,) (``Convergence``)."""
    size, data = noise_bands.kl_size(forward.shape[1]), dataset(settings)
    noise = standard_normal()
    measured = [divergence.kl_to_exact(frame[:size], noise) for frame in forward]
    closed = math.exp(-2.0 * times[-1]) * float((data.cov() - torch.eye(2)).abs().max())
    return Convergence(
        measured=np.array(measured) - bands[:, 0],
        exact=exact_kl_to_noise(settings, tuple(times.tolist())),
        moments=moment_kl_to_noise(data, times),
        covariance_gap=(closed, float((torch.cov(forward[-1].T) - torch.eye(2)).abs().max())),
    )


def moment_kl_to_noise(data: GaussianMixture, times: np.ndarray) -> np.ndarray:
    """KL(N(m_t, Σ_t) ‖ N(0, I)) = ½ (tr Σ_t + ‖m_t‖² − 2 − log det Σ_t) with m_t = e^{−t} m₀ and
    Σ_t = e^{−2t} Σ₀ + (1 − e^{−2t}) I (MATH §2);  times (M,) -> (M,)."""
    mean, cov = data.mean().double().numpy(), data.cov().double().numpy()
    decay = np.exp(-2.0 * times)[:, None, None]
    covs = decay * cov + (1.0 - decay) * np.eye(2)  # (M, 2, 2)
    means = np.exp(-times)[:, None] * mean  # (M, 2)
    traces = np.trace(covs, axis1=1, axis2=2)
    return 0.5 * (traces + (means**2).sum(1) - 2.0 - np.log(np.linalg.det(covs)))


def exact_kl_to_noise(settings: Settings, times: tuple[float, ...]) -> np.ndarray:
    """KL(p_t ‖ N(0, I)) = E_{p_t}[log p_t − log N(0, I)] by Monte Carlo on EXACT_DRAWS exact draws,
    cached per (data, times);  -> (M,)."""
    return _exact_kl_to_noise(data_only(settings), times)


@functools.lru_cache(maxsize=128)
def _exact_kl_to_noise(data_settings: Settings, times: tuple[float, ...]) -> np.ndarray:
    data, noise = dataset(data_settings), standard_normal()
    draws = data.sample_diffused(times, EXACT_DRAWS, torch.Generator().manual_seed(EXACT_DRAWS))
    return np.array(
        [
            float((data.diffused(t).log_prob(x) - noise.log_prob(x)).double().mean())
            for t, x in zip(times, draws, strict=True)
        ]
    )


def standard_normal() -> GaussianMixture:
    """N(0, I) as a one-component mixture."""
    return GaussianMixture(torch.ones(1), torch.zeros(1, 2), torch.eye(2)[None])


def _kl(frames: np.ndarray, data: GaussianMixture, times: np.ndarray) -> np.ndarray:
    """KL(frame ‖ p_t) of the first ``kl_size`` particles of each frame (M, N, 2);  -> (M,)."""
    size = noise_bands.kl_size(frames.shape[1])
    return divergence.kl_to_exact_frames(torch.from_numpy(frames[:, :size]), data, times.tolist())
