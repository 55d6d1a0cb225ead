"""What each lesson simulates: engine runs turned into display-ready numpy arrays (no Streamlit here).

Each ``*_run(settings)`` returns a frozen ``Run`` (or a pair for duality): frames subsampled to keep
every chart under 1 MB at the defaults, the exact density p_t on a grid (uint8), the distance of every frame to the exact
marginal, and readouts. Divergence is reported, never drawn.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from core import datasets, metrics, score_net, sde
from core.mixture import GaussianMixture
from lessons import user_data
from lessons.settings import Settings

EXTENT = 3.5  # half-width of every particle plot: N(0, I) and the unit-spread data fit inside
GRID = np.linspace(-EXTENT, EXTENT, 32, dtype=np.float32)  # density grid, both axes
ARROW_GRID = np.linspace(-EXTENT + 0.35, EXTENT - 0.35, 11, dtype=np.float32)
TRACED = 6  # particles whose paths are drawn
MAX_STEPS = 4000  # T / h beyond this is refused with a note
PROJECTIONS = 32  # sliced-Wasserstein directions for the per-frame distances
DISTANCE_PARTICLES = 1000  # particles of a cloud in its distances, as in their noise floor: a cloud's
# particles are exchangeable, so its first ones are a fair sample (and 10,000 would sort 10× longer)
ARROWS_PER_CLOUD = 12  # particles that carry drift arrows in the splitting lesson (more is unreadable)
DRIFT_DISPLAY = 0.45  # median drawn drift length, in data units


@dataclass(frozen=True)
class Run:
    """A simulated cloud ready to draw.  times (F,), xs (F, N, 2) float32, density (F, G, G) or
    (G, G) uint8, marginal_times (F,) the time of the exact marginal each frame is compared with
    (all 0 for Langevin dynamics, whose target p does not move), distances (F,) to that marginal."""

    times: np.ndarray
    xs: np.ndarray
    density: np.ndarray
    marginal_times: np.ndarray
    distances: np.ndarray
    noise_floor: float
    readouts: tuple[tuple[str, str], ...]
    divergence: str | None = None


def dataset(settings: Settings) -> GaussianMixture:
    """The chosen preset, or the student's own data (a KDE with the chosen bandwidth)."""
    if settings.dataset == "custom":
        return user_data.mixture(settings.points, settings.bandwidth)
    return datasets.make(settings.dataset)


def num_frames(particles: int) -> int:
    """Frames per animation for this many particles over all its panels: 40 at ≤ 1,000, fewer above
    (at least 20), so that a chart stays ≤ 1 MB at the defaults (≈ 15 kB per 1,000 particles per frame)."""
    return int(np.clip(40_000 // particles, 20, 40))


def steps_for(settings: Settings) -> int:
    """S = T / h, rounded; raises ValueError with a plain-words message when it is too many."""
    steps = max(1, round(settings.t_end / settings.step_size))
    if steps > MAX_STEPS:
        raise ValueError(
            f"T / h = {steps:,} steps is more than this page simulates ({MAX_STEPS:,}): "
            "raise the step size h or shorten the total time T."
        )
    return steps


METHOD_NAMES = {"exact": "exact transition", "euler": "Euler–Maruyama"}


def langevin_run(settings: Settings) -> Run:
    """ULA on the dataset p from a chosen start (MATH §1); p never changes, so neither does its density."""
    target = dataset(settings)
    generator = torch.Generator().manual_seed(settings.seed)
    start = _start_cloud(settings.start, target, settings.particles, generator)
    trajectory = sde.langevin(
        target.score,
        start,
        step_size=settings.step_size,
        num_steps=settings.num_steps,
        generator=generator,
        num_frames=num_frames(settings.particles),
    )
    readouts = _moment_readouts(trajectory.final, target) + _ula_readouts(trajectory, target, settings)
    return _package(trajectory, target, settings, generator, readouts, stationary=True)


def forward_run(settings: Settings) -> Run:
    """The OU process from data to noise (MATH §2), exact or Euler–Maruyama."""
    data = dataset(settings)
    generator = torch.Generator().manual_seed(settings.seed)
    trajectory = sde.forward(
        data.sample(settings.particles, generator),
        t_end=settings.t_end,
        num_steps=(steps := steps_for(settings)),
        exact=settings.method == "exact",
        generator=generator,
        num_frames=num_frames(settings.particles),
    )
    h, end = settings.t_end / steps, data.diffused(settings.t_end)
    readouts = (
        ("DDPM $\\beta = 1 - e^{-2h}$ of the step taken, $h = T/S$", f"{-math.expm1(-2 * h):.4f}"),
        ("$\\bar\\alpha(T) = e^{-2T}$", f"{math.exp(-2 * settings.t_end):.2e}"),
        (
            "exact $p_T$: largest $|\\mathrm{cov} - I|$",
            f"{float((end.cov() - torch.eye(2)).abs().max()):.3f}",
        ),
        *_forward_variance_readouts(trajectory, data, settings, steps),
        *_moment_readouts(trajectory.final, end),
    )
    return _package(trajectory, data, settings, generator, readouts)


def forward_variance(initial: float, t_end: float, steps: int, method: str) -> float:
    """The variance per axis at T of the chain started at variance ``initial`` (MATH §2): the exact OU
    transition gives e^{−2T} v₀ + 1 − e^{−2T}; Euler–Maruyama's x ← (1−h) x + √(2h) ξ with h = T/S gives
    (1−h)^{2S} v₀ + 2h (1 − (1−h)^{2S}) / (1 − (1−h)²), which tends to 1/(1 − h/2), not 1."""
    if method == "exact":
        decay = math.exp(-2 * t_end)
        return decay * initial + 1 - decay
    h = t_end / steps
    if h >= 2:  # |1 − h| ≥ 1: the chain's variance grows without bound
        return math.inf
    decay = (1 - h) ** (2 * steps)
    return decay * initial + 2 * h * (1 - decay) / (1 - (1 - h) ** 2)


def _forward_variance_readouts(
    trajectory: sde.Trajectory, data: GaussianMixture, settings: Settings, steps: int
) -> tuple[tuple[str, str], ...]:
    """The cloud's variance per axis at T: the closed form of the chosen method, and measured."""
    initial = float(torch.diagonal(data.cov()).mean())
    predicted = forward_variance(initial, settings.t_end, steps, settings.method)
    measured = float(trajectory.final.var(dim=0).mean())
    method = METHOD_NAMES[settings.method]
    return (
        (
            f"variance per axis at $T$, closed form ({method})",
            f"{predicted:.3f}" if predicted < math.inf else "∞ (h ≥ 2)",
        ),
        ("variance per axis at $T$, measured", f"{measured:.3f}"),
    )


def backward_run(settings: Settings) -> Run:
    """N(0, I) back to the data with the exact score (MATH §5)."""
    data = dataset(settings)
    generator = torch.Generator().manual_seed(settings.seed)
    trajectory = sde.backward(
        data.marginal_score,
        torch.randn(settings.particles, 2, generator=generator),
        t_end=settings.t_end,
        num_steps=steps_for(settings),
        lam=settings.lam,
        generator=generator,
        num_frames=num_frames(settings.particles),
    )
    start_gap = metrics.sliced_wasserstein(
        torch.randn(2000, 2, generator=generator), data.diffused(settings.t_end).sample(2000, generator)
    )
    readouts = (
        ("start N(0, I) vs exact p_T (SW)", f"{start_gap:.3f}"),
        *_moment_readouts(trajectory.final, data),
    )
    return _package(trajectory, data, settings, generator, readouts)


def _start_cloud(start: str, target: GaussianMixture, count: int, generator: torch.Generator) -> torch.Tensor:
    """Initial particles (count, 2): samples of the target, a uniform box, or one point."""
    if start == "target":
        return target.sample(count, generator)
    if start == "box":
        return (torch.rand(count, 2, generator=generator) - 0.5) * 6.0
    return torch.tensor([[-2.0, 2.0]]).expand(count, 2).clone()


def _ula_readouts(
    trajectory: sde.Trajectory, target: GaussianMixture, settings: Settings
) -> tuple[tuple[str, str], ...]:
    """On a single isotropic Gaussian N(0, σ² I): measured stationary variance vs σ²/(1 − h/(2σ²))."""
    if target.num_components != 1 or trajectory.diverged:
        return ()
    sigma2, h = float(target.covs[0, 0, 0]), settings.step_size
    later = trajectory.xs[len(trajectory.xs) // 2 :]  # (F/2, N, 2): after the burn-in
    measured = float(later.var(dim=1).mean())
    predicted = f"{sigma2 / (1 - h / (2 * sigma2)):.3f}" if h < 2 * sigma2 else "∞ (diverges)"
    return (
        ("variance σ² of the target", f"{sigma2:.3f}"),
        ("ULA variance, closed form $\\sigma^2 / (1 - h/2\\sigma^2)$", predicted),
        ("ULA variance, measured (second half)", f"{measured:.3f}"),
    )


def _moment_readouts(cloud: torch.Tensor, exact: GaussianMixture) -> tuple[tuple[str, str], ...]:
    """Mean and covariance of the final cloud against the exact ones."""
    mean, cov = cloud.mean(0), torch.cov(cloud.T)
    return (
        ("mean: cloud / exact", f"{_vector(mean)} / {_vector(exact.mean())}"),
        ("cov: cloud / exact", f"{_matrix(cov)} / {_matrix(exact.cov())}"),
    )


def _package(
    trajectory: sde.Trajectory,
    data: GaussianMixture,
    settings: Settings,
    generator: torch.Generator,
    readouts: tuple[tuple[str, str], ...],
    *,
    stationary: bool = False,
) -> Run:
    """Arrays for the figure: density per frame, per-frame distances and the noise floor.
    The exact marginal at frame time t is p_t = data.diffused(t), or the data at every frame when
    ``stationary`` (Langevin dynamics leave p unchanged)."""
    times = trajectory.times.numpy()
    marginal_times = np.zeros_like(times) if stationary else times
    final = data.diffused(float(marginal_times[-1]))
    noise_floor = _noise_floor(final, settings.particles, generator)
    return Run(
        times=times,
        xs=trajectory.xs.numpy(),
        density=density_image(data) if stationary else marginal_densities(settings, times),
        marginal_times=marginal_times,
        distances=_distances(trajectory.xs, data, marginal_times, generator),
        noise_floor=noise_floor,
        readouts=readouts,
        divergence=trajectory.divergence.message if trajectory.divergence else None,
    )


def _distances(
    xs: torch.Tensor, data: GaussianMixture, times: Sequence[float], generator: torch.Generator
) -> np.ndarray:
    """Sliced Wasserstein distance of every frame xs (F, N, 2), its first DISTANCE_PARTICLES particles,
    to as many fresh samples of the exact marginal p_t at its time t (F,);  -> (F,)."""
    count = min(xs.shape[1], DISTANCE_PARTICLES)
    references = data.sample_diffused(times, count, generator)  # (F, count, 2)
    return metrics.sliced_wasserstein_frames(
        xs[:, :count], references, num_projections=PROJECTIONS, generator=generator
    )


def _noise_floor(exact: GaussianMixture, particles: int, generator: torch.Generator) -> float:
    """SW₂ between two independent samples of ``exact`` as large as the clouds in the distances: what
    "no difference" measures (the dashed line of every distance chart)."""
    count = min(particles, DISTANCE_PARTICLES)
    samples = [exact.sample(count, generator) for _ in range(2)]
    return metrics.sliced_wasserstein(*samples, num_projections=PROJECTIONS, generator=generator)


def marginal_densities(settings: Settings, times: np.ndarray) -> np.ndarray:
    """density_image(p_t) of the settings' data at each t in ``times``;  -> (F, G, G) uint8, read-only.

    p_t depends on the data and t only, not on the seed, h or the particles, so the frames of the
    last few (data, times) pairs are kept (≈ 40 kB each) and a slider move does not redraw them.
    """
    data_only = Settings(dataset=settings.dataset, bandwidth=settings.bandwidth, points=settings.points)
    return _marginal_densities(data_only, tuple(round(float(t), 6) for t in times))


@functools.lru_cache(maxsize=16)
def _marginal_densities(data_only: Settings, times: tuple[float, ...]) -> np.ndarray:
    data = dataset(data_only)
    frames = np.stack([density_image(data.diffused(t)) for t in times])  # (F, G, G)
    frames.flags.writeable = False
    return frames


def density_image(mixture: GaussianMixture) -> np.ndarray:
    """p on GRID × GRID as uint8 (G, G), rows = y; √(p / max p) so that thin tails stay visible."""
    xx, yy = np.meshgrid(GRID, GRID)
    points = torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], -1))
    log_p = mixture.log_prob(points).reshape(len(GRID), len(GRID))
    return (255 * torch.exp(0.5 * (log_p - log_p.max()))).round().to(torch.uint8).numpy()


def arrow_origins() -> np.ndarray:
    """Where the field arrows start: ARROW_GRID × ARROW_GRID;  -> (M, 2)."""
    xx, yy = np.meshgrid(ARROW_GRID, ARROW_GRID)
    return np.stack([xx.ravel(), yy.ravel()], -1)


def field_arrows(settings: Settings, times: np.ndarray) -> np.ndarray:
    """The field ``settings.field`` of p_t at arrow_origins() at each frame time t (F,), scaled for
    display, computed once per distinct time;  -> (F, M, 2). A view of a run, apart from the run."""
    data = dataset(settings)
    origins = torch.from_numpy(arrow_origins())  # (M, 2)
    spacing = float(ARROW_GRID[1] - ARROW_GRID[0])
    distinct, frame_of = np.unique(times, return_inverse=True)
    fields = []
    for t in distinct:
        vectors = _field(settings.field, data.diffused(float(t)), origins, settings.lam)
        length = vectors.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        scale = float(length.median())
        fields.append(vectors / length * spacing * 0.9 * torch.tanh(length / scale))
    return torch.stack(fields).numpy()[frame_of]


def _field(kind: str, mixture: GaussianMixture, x: torch.Tensor, lam: float) -> torch.Tensor:
    """score s, forward drift −x, backward drift x + (1+λ)s, or Langevin drift (1+λ)s at x (M, 2)."""
    score = mixture.score(x)
    return {"score": score, "forward": -x, "backward": x + (1 + lam) * score, "langevin": (1 + lam) * score}[
        kind
    ]


def _vector(v: torch.Tensor) -> str:
    return f"({float(v[0]):+.2f}, {float(v[1]):+.2f})"


def _matrix(m: torch.Tensor) -> str:
    return f"[{float(m[0, 0]):.2f} {float(m[0, 1]):+.2f}; {float(m[1, 1]):.2f}]"


@dataclass(frozen=True)
class SplitRun:
    """One split step at a time t.  cloud (N, 2) ~ p_t; panels: xs (F, N, 2) of repeated forward
    halves, backward halves, and both, with their distances (F,) to p_t."""

    cloud: np.ndarray
    density: np.ndarray
    panels: dict[str, np.ndarray]
    distances: dict[str, np.ndarray]
    noise_floor: float


def split_run(settings: Settings) -> SplitRun:
    """Drifts of MATH §4 at time t, and the cloud under repeated forward, backward and full split steps."""
    data = dataset(settings)
    generator = torch.Generator().manual_seed(settings.seed)
    p_t = data.diffused(settings.time)
    cloud = p_t.sample(settings.particles, generator)
    panels = _repeated_halves(data, cloud, settings, generator)
    noise_floor = _noise_floor(p_t, settings.particles, generator)
    return SplitRun(
        cloud=cloud.numpy(),
        density=density_image(p_t),
        panels={name: xs.numpy() for name, xs in panels.items()},
        distances={
            name: _distances(xs, data, [settings.time] * len(xs), generator) for name, xs in panels.items()
        },
        noise_floor=noise_floor,
    )


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


def half_step(settings: Settings, cloud: np.ndarray, which: str, seed: int) -> np.ndarray:
    """Apply one forward half, one backward half, or both (a full split step) to a cloud (N, 2)."""
    data = dataset(settings)
    generator = torch.Generator().manual_seed(seed)
    x, t, h, lam = torch.from_numpy(cloud), settings.time, settings.step_size, settings.lam
    if which == "forward":
        return sde.forward_half(x, h, generator).numpy()
    if which == "backward":
        return sde.backward_half(data.marginal_score, x, t, h, lam, generator).numpy()
    return sde.split_step(data.marginal_score, x, t, h, lam, generator)[1].numpy()


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
    noise_floor = _noise_floor(data, settings.particles, generator)  # p_0
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
            "backward vs exact p_t": _distances(backward_xs, data, forward.times.tolist(), generator),
        },
        noise_floor=noise_floor,
        divergence=None,
    )


TRAIN_BATCH = 512  # denoising score matching: batch size and Adam learning rate (see bench/train.py)
TRAIN_LR = 3e-3
TRAIN_CHUNK = 100  # steps between two progress updates (and chances to stop)
FLOOR_SAMPLES, FLOOR_TIMES = 20_000, 50  # Monte-Carlo draws of the exact score's denoising loss
LEARNED_T_END, LEARNED_STEPS = 4.0, 200  # the backward run that compares learned and exact scores


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
    """At time t: the exact score and s_θ at arrow_origins() (M, 2), display-scaled alike; the error
    ‖s_θ − s‖ on GRID weighted by p_t (G, G); the density (G, G) uint8; the p_t-weighted relative
    error E‖s_θ − s‖² / E‖s‖² over samples of p_t."""

    exact: np.ndarray
    learned: np.ndarray
    weighted_error: np.ndarray
    density: np.ndarray
    relative_error: float


def compare_fields(settings: Settings, trained: TrainedScore) -> FieldComparison:
    """The learned score against the exact one at time t = settings.time."""
    p_t, model = dataset(settings).diffused(settings.time), trained.model()
    origins = torch.from_numpy(arrow_origins())
    exact, learned = p_t.score(origins), _learned_score(model, origins, settings.time)
    scale = 0.9 * float(ARROW_GRID[1] - ARROW_GRID[0]) / float(exact.norm(dim=-1).quantile(0.9))
    xx, yy = np.meshgrid(GRID, GRID)
    grid = torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], -1))
    error = (_learned_score(model, grid, settings.time) - p_t.score(grid)).norm(dim=-1)  # (G²,)
    weight = torch.exp(p_t.log_prob(grid) - p_t.log_prob(grid).max())
    samples = p_t.sample(2000, torch.Generator().manual_seed(settings.seed))
    true_scores = p_t.score(samples)
    gap = (_learned_score(model, samples, settings.time) - true_scores).square().sum(-1).mean()
    return FieldComparison(
        exact=(scale * exact).clamp(-3, 3).numpy(),
        learned=(scale * learned).clamp(-3, 3).numpy(),
        weighted_error=(error * weight).reshape(len(GRID), len(GRID)).numpy(),
        density=density_image(p_t),
        relative_error=float(gap / true_scores.square().sum(-1).mean()),
    )


@dataclass(frozen=True)
class LearnedRun:
    """Backward runs from the same N(0, I) start: ``exact`` and ``learned`` (F, N, 2) at ``times`` (F,),
    and the final cloud (N, 2) of every snapshot with its SW distance to fresh data."""

    times: np.ndarray
    exact: np.ndarray
    learned: np.ndarray
    density: np.ndarray
    snapshot_clouds: tuple[tuple[int, np.ndarray, float], ...]
    exact_distance: float
    noise_floor: float


def learned_run(settings: Settings, trained: TrainedScore) -> LearnedRun:
    """Generate with the exact score and with each snapshot of s_θ (MATH §5 with s_θ in place of s)."""
    data = dataset(settings)
    start = torch.randn(settings.particles, 2, generator=torch.Generator().manual_seed(settings.seed))
    frames = num_frames(2 * settings.particles)

    def generate(score_fn: sde.TimeScoreFn) -> sde.Trajectory:
        generator = torch.Generator().manual_seed(settings.seed + 1)  # the same noise for every score
        return sde.backward(
            score_fn,
            start,
            t_end=LEARNED_T_END,
            num_steps=LEARNED_STEPS,
            generator=generator,
            num_frames=frames,
        )

    exact = generate(data.marginal_score)
    runs = [(step, generate(trained.model(i))) for i, (step, _) in enumerate(trained.snapshots)]
    generator = torch.Generator().manual_seed(settings.seed + 2)
    fresh = [data.sample(settings.particles, generator) for _ in range(2)]
    return LearnedRun(
        times=exact.times.numpy(),
        exact=exact.xs.numpy(),
        learned=runs[-1][1].xs.numpy(),
        density=marginal_densities(settings, exact.times.numpy()),
        snapshot_clouds=tuple(
            (step, run.final.numpy(), metrics.sliced_wasserstein(run.final, fresh[0], generator=generator))
            for step, run in runs
        ),
        exact_distance=metrics.sliced_wasserstein(exact.final, fresh[0], generator=generator),
        noise_floor=metrics.sliced_wasserstein(fresh[1], fresh[0], generator=generator),
    )


def _learned_score(model: score_net.ScoreNet, x: torch.Tensor, t: float) -> torch.Tensor:
    with torch.no_grad():
        return model(x, t)
