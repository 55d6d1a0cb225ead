"""Particle dynamics: Langevin (ULA), the forward OU process, the backward process, and the split step
with its two halves.

Symbols follow MATH.md: h is the step size, ξ ~ N(0, I) fresh at every step, s the score,
t the forward diffusion time, λ >= 0 the noise level of the backward process (λ = 1 reverse SDE,
λ = 0 probability-flow ODE). A run whose particles leave the disc of radius ``MAX_RADIUS`` or become
non-finite stops at once and reports where (``Trajectory.divergence``); it never returns NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from core import _checks

MAX_RADIUS = 100.0  # data are scaled to unit spread: a particle this far out has blown up
_INSCRIBED = MAX_RADIUS / math.sqrt(2.0)  # the half-side of the square inscribed in that disc

ScoreFn = Callable[[Tensor], Tensor]  # s(x): (N, 2) -> (N, 2)
TimeScoreFn = Callable[[Tensor, float], Tensor]  # s_t(x): (N, 2), t -> (N, 2)
Step = Callable[[Tensor, float, torch.Generator | None], Tensor]  # (x, time at step start, gen) -> x'


@dataclass(frozen=True)
class Divergence:
    """Where a run blew up: the first step whose particles were non-finite or beyond MAX_RADIUS."""

    step: int
    time: float

    @property
    def message(self) -> str:
        """A sentence a student can act on."""
        return (
            f"The particles blew up at step {self.step} (time {self.time:.3g}): the step size is too "
            "large for this distribution. Try a smaller step size (or more steps)."
        )


@dataclass(frozen=True)
class Trajectory:
    """Frames of a particle cloud: ``times`` (S+1,) and ``xs`` (S+1, N, 2) float32.

    ``times`` holds the forward diffusion time t of each frame (decreasing for backward runs; the
    Langevin time τ for ``langevin``). With ``num_frames`` a run keeps about that many + 1 evenly spaced
    frames (first and last included) instead of all S + 1. After a divergence only the finite frames
    before it are kept.
    """

    times: Tensor
    xs: Tensor
    divergence: Divergence | None = None

    @property
    def final(self) -> Tensor:
        """The last finite frame, (N, 2)."""
        return self.xs[-1]

    @property
    def diverged(self) -> bool:
        """Whether the run stopped early because the particles blew up."""
        return self.divergence is not None


def langevin(
    score_fn: ScoreFn,
    x0: Tensor,
    *,
    step_size: float,
    num_steps: int,
    generator: torch.Generator | None = None,
    num_frames: int | None = None,
) -> Trajectory:
    """Unadjusted Langevin algorithm (MATH §1):  x <- x + h s(x) + √(2h) ξ.  x0 (N, 2)."""
    h = _checks.positive_float(step_size, "step_size")
    num_steps = _checks.positive_int(num_steps, "num_steps")
    x0 = _checks.points(x0, "x0")
    noise_scale = math.sqrt(2.0 * h)

    def step(x: Tensor, _: float, gen: torch.Generator | None) -> Tensor:
        return x + h * score_fn(x) + noise_scale * torch.randn(x.shape, generator=gen)

    return _run(step, x0, _grid(0.0, h * num_steps, num_steps), generator, num_frames)


def forward(
    x0: Tensor,
    *,
    t_end: float,
    num_steps: int,
    exact: bool = False,
    generator: torch.Generator | None = None,
    num_frames: int | None = None,
) -> Trajectory:
    """Forward OU process dx = −x dt + √2 dW from t = 0 to t_end (MATH §2);  x0 (N, 2).

    Euler–Maruyama:  x <- (1 − h) x + √(2h) ξ.   Exact:  x <- e^{−h} x + √(1 − e^{−2h}) ξ.
    """
    t_end = _checks.positive_float(t_end, "t_end")
    num_steps = _checks.positive_int(num_steps, "num_steps")
    x0 = _checks.points(x0, "x0")
    h = t_end / num_steps
    keep, noise_scale = (math.exp(-h), math.sqrt(-math.expm1(-2 * h))) if exact else (1 - h, math.sqrt(2 * h))

    def step(x: Tensor, _: float, gen: torch.Generator | None) -> Tensor:
        return keep * x + noise_scale * torch.randn(x.shape, generator=gen)

    return _run(step, x0, _grid(0.0, t_end, num_steps), generator, num_frames)


def backward(
    score_fn: TimeScoreFn,
    x_start: Tensor,
    *,
    t_end: float,
    num_steps: int,
    lam: float = 1.0,
    generator: torch.Generator | None = None,
    num_frames: int | None = None,
) -> Trajectory:
    """Backward process from forward time T = t_end down to 0 (MATH §5);  x_start (N, 2).

    x <- x + h (x + (1+λ) s_t(x)) + √(2λh) ξ, with t = T − t' the forward time at the step's start.
    """
    t_end = _checks.positive_float(t_end, "t_end")
    num_steps = _checks.positive_int(num_steps, "num_steps")
    lam = _checks.non_negative_float(lam, "lam")
    x_start = _checks.points(x_start, "x_start")
    h = t_end / num_steps
    noise_scale = math.sqrt(2.0 * lam * h)

    def step(x: Tensor, t: float, gen: torch.Generator | None) -> Tensor:
        moved = score_fn(x, t).mul((1.0 + lam) * h).add_(x, alpha=1.0 + h)  # x + h (x + (1+λ) s)
        return moved.add_(torch.randn(x.shape, generator=gen), alpha=noise_scale) if lam > 0 else moved

    return _run(step, x_start, _grid(t_end, 0.0, num_steps), generator, num_frames)


def split_drifts(
    score_fn: TimeScoreFn, x: Tensor, t: float, lam: float = 1.0
) -> tuple[Tensor, Tensor, Tensor]:
    """The three drifts of MATH §4 at time t;  x (N, 2) -> three (N, 2).

    forward −x,  backward x + (1+λ) s_t(x),  Langevin (their sum) (1+λ) s_t(x).
    """
    x = _checks.points(x, "x")
    t = _checks.non_negative_float(t, "t")
    lam = _checks.non_negative_float(lam, "lam")
    langevin_drift = (1.0 + lam) * score_fn(x, t)
    return -x, x + langevin_drift, langevin_drift


def forward_half(x: Tensor, step_size: float, generator: torch.Generator | None = None) -> Tensor:
    """The forward half of the split step (MATH §4), which takes p_t to p_{t+h};  x (N, 2) -> (N, 2).

    y = x − h x + √(2h) ξ₁: one Euler–Maruyama step of the OU process dx = −x dτ + √2 dW (MATH §2).
    Draws one (N, 2) block of noise from ``generator``.
    """
    x = _checks.points(x, "x")
    h = _checks.positive_float(step_size, "step_size")
    return _forward_half(x, h, generator)


def backward_half(
    score_fn: TimeScoreFn,
    y: Tensor,
    t: float,
    step_size: float,
    lam: float = 1.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """The backward half of the split step at time t (MATH §4), which brings p_{t+h} back to p_t;
    y (N, 2) -> (N, 2).

    z = y + h (y + (1+λ) s_{t+h}(y)) + √(2λh) ξ₂: the score is that of p_{t+h}, the law the forward
    half leaves behind, so ``score_fn`` is called at time t + h. Draws one (N, 2) block of noise from
    ``generator`` when λ > 0 and none when λ = 0 (then the step is deterministic).
    """
    y = _checks.points(y, "y")
    t = _checks.non_negative_float(t, "t")
    h = _checks.positive_float(step_size, "step_size")
    lam = _checks.non_negative_float(lam, "lam")
    return _backward_half(score_fn, y, t, h, lam, generator)


def split_step(
    score_fn: TimeScoreFn,
    x: Tensor,
    t: float,
    step_size: float,
    lam: float = 1.0,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """One Langevin step for p_t split in two halves (MATH §4);  x (N, 2) -> two (N, 2).

    forward half   y = x − h x + √(2h) ξ₁              takes p_t to p_{t+h}      (``forward_half``);
    backward half  z = y + h (y + (1+λ) s_{t+h}(y)) + √(2λh) ξ₂   brings p_{t+h} back to p_t
    (``backward_half``). Returns (y, z); ξ₁ is drawn from ``generator`` before ξ₂.
    """
    x = _checks.points(x, "x")  # every argument is checked before any noise is drawn
    t = _checks.non_negative_float(t, "t")
    h = _checks.positive_float(step_size, "step_size")
    lam = _checks.non_negative_float(lam, "lam")
    after_forward = _forward_half(x, h, generator)  # (N, 2)
    return after_forward, _backward_half(score_fn, after_forward, t, h, lam, generator)


def _forward_half(x: Tensor, h: float, generator: torch.Generator | None) -> Tensor:
    """forward_half on checked arguments;  x (N, 2) -> (N, 2)."""
    return x - h * x + math.sqrt(2.0 * h) * torch.randn(x.shape, generator=generator)


def _backward_half(
    score_fn: TimeScoreFn, y: Tensor, t: float, h: float, lam: float, generator: torch.Generator | None
) -> Tensor:
    """backward_half on checked arguments;  y (N, 2) -> (N, 2)."""
    drift = y + (1.0 + lam) * score_fn(y, t + h)  # (N, 2): the backward drift y + (1+λ) s_{t+h}(y)
    after_backward = y + h * drift  # (N, 2)
    if lam > 0:
        after_backward = after_backward + math.sqrt(2.0 * lam * h) * torch.randn(y.shape, generator=generator)
    return after_backward


def _grid(start: float, end: float, num_steps: int) -> list[float]:
    """num_steps + 1 equally spaced times from start to end, both exact."""
    return [start + (end - start) * (k / num_steps) for k in range(num_steps + 1)]  # k = S gives end exactly


def _run(
    step: Step,
    x0: Tensor,
    times: list[float],
    generator: torch.Generator | None,
    num_frames: int | None,
) -> Trajectory:
    """Apply ``step`` len(times) − 1 times and record frames; stop at the first blow-up."""
    recorded = _recorded_steps(len(times) - 1, num_frames)  # step indices kept as frames
    xs = torch.empty((len(recorded), *x0.shape), dtype=torch.float32)  # (F, N, 2)
    xs[0] = x0
    x, frame = x0, 1
    with torch.no_grad():
        for k in range(len(times) - 1):
            x = step(x, times[k], generator)
            if not _within_radius(x):
                kept = torch.tensor([times[i] for i in recorded[:frame]], dtype=torch.float64)
                return Trajectory(kept, xs[:frame].clone(), Divergence(k + 1, times[k + 1]))
            if frame < len(recorded) and recorded[frame] == k + 1:
                xs[frame] = x
                frame += 1
    return Trajectory(torch.tensor([times[i] for i in recorded], dtype=torch.float64), xs)


def _within_radius(x: Tensor) -> bool:
    """Whether every particle of x (N, 2) is finite and within MAX_RADIUS of 0: first by its largest
    coordinate (|x_i| <= R/√2 puts a point in the disc; one pass), by the disc itself only when not."""
    return bool(x.abs().amax() <= _INSCRIBED) or bool(
        x.square().sum(-1).amax() <= MAX_RADIUS**2
    )  # NaN: False


def _recorded_steps(num_steps: int, num_frames: int | None) -> list[int]:
    """Steps 0..S when num_frames is None, else about num_frames + 1 evenly spaced ones (0 and S kept)."""
    if num_frames is not None:
        num_frames = _checks.positive_int(num_frames, "num_frames")
    if num_frames is None or num_frames >= num_steps:
        return list(range(num_steps + 1))
    return sorted({round(k * num_steps / num_frames) for k in range(num_frames + 1)})
