"""Lesson 6's model: a score network trained chunk by chunk by denoising score matching (MATH §7),
the floor of its loss, and the learned score against the exact one (fields, and samples generated
with both)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from core import divergence, samplers, score_net, sde, time_grids
from lessons import noise_bands
from lessons.settings import Settings
from lessons.simulate import (
    ARROW_GRID,
    GRID,
    arrow_origins,
    dataset,
    density_image,
    marginal_densities,
    num_frames,
)

TRAIN_BATCH = 512  # denoising score matching: batch size and Adam learning rate (see bench/train.py)
TRAIN_LR = 3e-3
TRAIN_CHUNK = 100  # steps between two progress updates (and chances to stop)
FLOOR_SAMPLES, FLOOR_TIMES = 20_000, 50  # Monte-Carlo draws of the exact score's denoising loss
LEARNED_T_END, LEARNED_STEPS = 4.0, 100  # the backward run that compares learned and exact scores,
# on a grid even in log-SNR down to t_min, then Tweedie's jump to t = 0: with the exact score its clouds
# read as exact ones, so what the learned score reads beyond them is the network's own error
LEARNED_GRID = time_grids.TimeGrid("log_snr", time_grids.DEFAULT_T_MIN, denoise=True)


@dataclass(frozen=True)
class TrainedScore:
    """Snapshots (step, weights) of a score network s_θ during training — after few, more and all
    steps — and the loss (S,) at every step; ``stopped`` when training was cut short."""

    config: score_net.ScoreNetConfig
    snapshots: tuple[tuple[int, dict[str, torch.Tensor]], ...]
    losses: np.ndarray
    stopped: bool = False

    def model(self, index: int = -1) -> score_net.ScoreNet:
        """The network as it was at snapshot ``index`` (the last one by default)."""
        model = score_net.ScoreNet(self.config)
        model.load_state_dict(self.snapshots[index][1])
        return model.eval()


def snapshot_steps(steps: int) -> tuple[int, ...]:
    """The steps kept as snapshots: few (S/20), more (S/4) and all (S)."""
    return tuple(sorted({max(1, steps // 20), max(1, steps // 4), steps}))


@dataclass
class TrainingJob:
    """Training under way, advanced a chunk at a time so that the app can draw progress and stop
    between chunks: the network, its random stream, the snapshots so far and the loss per step."""

    settings: Settings
    model: score_net.ScoreNet
    generator: torch.Generator
    snapshots: list[tuple[int, dict[str, torch.Tensor]]]
    losses: list[float]

    @property
    def done(self) -> bool:
        """Whether every requested step has been taken."""
        return len(self.losses) >= self.settings.train_steps


def start_training(settings: Settings) -> TrainingJob:
    """A fresh network (initialised from the seed) with no step taken."""
    generator = torch.Generator().manual_seed(settings.seed)
    return TrainingJob(settings, score_net.ScoreNet(generator=generator), generator, [], [])


def advance_training(job: TrainingJob) -> None:
    """Train the next TRAIN_CHUNK steps (fewer at the end) by denoising score matching (MATH §7),
    keeping a snapshot of the weights at each of ``snapshot_steps``. Each chunk is one Adam run with
    its own cosine learning-rate cycle."""
    done, marks = len(job.losses), snapshot_steps(job.settings.train_steps)

    def keep_snapshots(step: int, _: float) -> None:
        if done + step in marks:
            job.snapshots.append((done + step, {k: v.clone() for k, v in job.model.state_dict().items()}))

    _, losses = score_net.train(
        dataset(job.settings),
        steps=min(TRAIN_CHUNK, job.settings.train_steps - done),
        batch_size=TRAIN_BATCH,
        lr=TRAIN_LR,
        generator=job.generator,
        callback=keep_snapshots,
        model=job.model,
    )
    job.losses.extend(losses)


def finish_training(job: TrainingJob) -> TrainedScore:
    """The job's result; stopped early when it has not taken every step (its last state is kept)."""
    snapshots = list(job.snapshots)
    if not snapshots or snapshots[-1][0] != len(job.losses):
        snapshots.append((len(job.losses), {k: v.clone() for k, v in job.model.state_dict().items()}))
    losses = np.array(job.losses, dtype=np.float32)
    return TrainedScore(job.model.config, tuple(snapshots), losses, stopped=not job.done)


def exact_score_loss(settings: Settings) -> float:
    """The denoising loss E‖σ_t s(x_t, t) + ε‖² of the exact score (MATH §7), with log t uniform on
    [t_min, t_max] as in training: the floor no network can go below, since the loss is
    E‖σ_t (s_θ − s)‖² plus this. Stratified: one random t in each of FLOOR_TIMES equal slices of log t,
    FLOOR_SAMPLES / FLOOR_TIMES draws of (x₀, ε) at each (an unbiased estimate)."""
    config, data = score_net.ScoreNetConfig(), dataset(settings)
    generator = torch.Generator().manual_seed(settings.seed)
    per_time = FLOOR_SAMPLES // FLOOR_TIMES
    slices = (torch.arange(FLOOR_TIMES) + torch.rand(FLOOR_TIMES, generator=generator)) / FLOOR_TIMES
    losses = []
    for t in (config.t_min * (config.t_max / config.t_min) ** slices).tolist():
        sigma = math.sqrt(-math.expm1(-2 * t))
        eps = torch.randn(per_time, 2, generator=generator)  # (n, 2)
        xt = math.exp(-t) * data.sample(per_time, generator) + sigma * eps  # (n, 2)
        losses.append((sigma * data.marginal_score(xt, t) + eps).square().sum(-1).mean())
    return float(torch.stack(losses).mean())


def train_score(settings: Settings) -> TrainedScore:
    """Train s_θ for settings.train_steps steps, chunk after chunk, as the app does."""
    job = start_training(settings)
    while not job.done:
        advance_training(job)
    return finish_training(job)


@dataclass(frozen=True)
class FieldComparison:
    """At ``time`` t: the exact score and s_θ at arrow_origins() (M, 2), display-scaled alike; the
    error ‖s_θ − s‖ on GRID weighted by p_t (G, G); the density (G, G) uint8; the p_t-weighted
    relative error E‖s_θ − s‖² / E‖s‖² over samples of p_t."""

    exact: np.ndarray
    learned: np.ndarray
    weighted_error: np.ndarray
    density: np.ndarray
    relative_error: float
    time: float


def compared_time(settings: Settings, trained: TrainedScore) -> float:
    """The time the fields are compared at: settings.time, or the network's t_min when that is
    larger (the network clamps every time to [t_min, t_max], so below t_min it answers for t_min)."""
    return max(settings.time, trained.config.t_min)


def compare_fields(settings: Settings, trained: TrainedScore) -> FieldComparison:
    """The learned score against the exact one, both at ``compared_time`` (settings.time unless it
    is below the network's t_min)."""
    time = compared_time(settings, trained)
    p_t, model = dataset(settings).diffused(time), trained.model()
    origins = torch.from_numpy(arrow_origins())
    exact, learned = p_t.score(origins), _learned_score(model, origins, time)
    scale = 0.9 * float(ARROW_GRID[1] - ARROW_GRID[0]) / float(exact.norm(dim=-1).quantile(0.9))
    xx, yy = np.meshgrid(GRID, GRID)
    grid = torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], -1))
    error = (_learned_score(model, grid, time) - p_t.score(grid)).norm(dim=-1)  # (G²,)
    weight = torch.exp(p_t.log_prob(grid) - p_t.log_prob(grid).max())
    samples = p_t.sample(2000, torch.Generator().manual_seed(settings.seed))
    true_scores = p_t.score(samples)
    gap = (_learned_score(model, samples, time) - true_scores).square().sum(-1).mean()
    return FieldComparison(
        exact=(scale * exact).clamp(-3, 3).numpy(),
        learned=(scale * learned).clamp(-3, 3).numpy(),
        weighted_error=(error * weight).reshape(len(GRID), len(GRID)).numpy(),
        density=density_image(p_t),
        relative_error=float(gap / true_scores.square().sum(-1).mean()),
        time=time,
    )


@dataclass(frozen=True)
class LearnedRun:
    """Backward runs from the same N(0, I) start: ``exact`` and ``learned`` (F, N, 2) at ``times`` (F,),
    ``learned`` with the network after ``steps`` training steps (its last snapshot); the final clouds'
    KL to the data (nats, the estimate's bias on exact clouds of that size removed, MATH §10);
    ``margin`` is the sampling-noise band's half-width."""

    times: np.ndarray
    exact: np.ndarray
    learned: np.ndarray
    density: np.ndarray
    steps: int
    exact_kl: float
    learned_kl: float
    margin: float


def learned_run(settings: Settings, trained: TrainedScore) -> LearnedRun:
    """Generate with the exact score and with the last snapshot of s_θ (MATH §5 with s_θ in place of
    s); the earlier snapshots are ``earlier_snapshots``, apart, so the main chart does not wait on them."""
    exact = _generate(settings, dataset(settings).marginal_score)
    learned = _generate(settings, trained.model())
    kl = _kl_to_data(settings)
    band = noise_bands.kl_band(settings, 0.0, noise_bands.kl_size(settings.particles))
    return LearnedRun(
        times=exact.times.numpy(),
        exact=exact.xs.numpy(),
        learned=learned.xs.numpy(),
        density=marginal_densities(settings, exact.times.numpy()),
        steps=trained.snapshots[-1][0],
        exact_kl=kl(exact.final),
        learned_kl=kl(learned.final),
        margin=band.upper - band.mean,
    )


def earlier_snapshots(settings: Settings, trained: TrainedScore) -> tuple[tuple[int, np.ndarray, float], ...]:
    """(step, final cloud (N, 2), KL to the data) of every snapshot but the last, generated as
    ``learned_run`` generates with the last one."""
    kl = _kl_to_data(settings)
    earlier = []
    for index, (step, _) in enumerate(trained.snapshots[:-1]):
        final = _generate(settings, trained.model(index)).final
        earlier.append((step, final.numpy(), kl(final)))
    return tuple(earlier)


def _generate(settings: Settings, score_fn: sde.TimeScoreFn) -> sde.Trajectory:
    """The backward run of lesson 6 with ``score_fn``: Euler–Maruyama (MATH §5) on LEARNED_GRID (MATH
    §9), the same start and the same noise for every score, so two runs differ only by their scores."""
    start = torch.randn(settings.particles, 2, generator=torch.Generator().manual_seed(settings.seed))
    return samplers.EulerMaruyama(grid=LEARNED_GRID).sample(
        score_fn,
        start,
        t_end=LEARNED_T_END,
        num_steps=LEARNED_STEPS,
        generator=torch.Generator().manual_seed(settings.seed + 1),
        num_frames=num_frames(2 * settings.particles),
    )


def _kl_to_data(settings: Settings) -> Callable[[torch.Tensor], float]:
    """cloud (N, 2) -> KL(cloud ‖ p₀) of its first kl_size(N) particles minus the exact-cloud bias."""
    data, size = dataset(settings), noise_bands.kl_size(settings.particles)
    bias = noise_bands.kl_band(settings, 0.0, size).mean
    return lambda cloud: divergence.kl_to_exact(cloud[:size], data) - bias


def _learned_score(model: score_net.ScoreNet, x: torch.Tensor, t: float) -> torch.Tensor:
    with torch.no_grad():
        return model(x, t)
