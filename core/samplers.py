"""Samplers of the backward process (MATH §9): other discretisations than §5's Euler–Maruyama, on
other time grids, compared at equal numbers of score evaluations.

Every sampler carries a cloud from forward time t_0 = T down a ``TimeGrid`` t_0 > t_1 > … > t_S with a
``score_fn(x, t)`` (the exact ``GaussianMixture.marginal_score`` or a ``ScoreNet``) and returns the
``core.sde.Trajectory`` that ``sde.backward`` returns, blow-ups included (``sde.MAX_RADIUS``).

Symbols of one step from y at time s down to x at time t < s: α_t = e^{−t}, σ_t = √(1 − e^{−2t}),
ς_t = σ_t/α_t, h = s − t, a = e^{−h}, β = 1 − e^{−2h}; ξ ~ N(0, I) fresh; the denoiser (Tweedie)
D_s(y) = E[x₀ | x_s = y] = (y + σ_s² s_s(y))/α_s and the noise estimate ε̂_s(y) = −σ_s s_s(y).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import torch
from torch import Tensor

from core import _checks, posterior, sde
from core.mixture import GaussianMixture
from core.sde import TimeScoreFn, Trajectory
from core.time_grids import TimeGrid, log_snr, noise_level

Stepper = Callable[[Tensor, float, float, torch.Generator | None], Tensor]  # (y at s, s, t, gen) -> x at t
ScoreSource = TimeScoreFn | GaussianMixture  # a score s_t(x) = score_fn(x, t), or the data: its exact score


def tweedie(score_fn: TimeScoreFn, x: Tensor, t: float) -> Tensor:
    """The denoiser D_t(x) = E[x₀ | x_t = x] = e^{t} (x + σ_t² s_t(x)), σ_t² = 1 − e^{−2t} (MATH §9);
    x (N, 2) -> (N, 2)."""
    return _denoised(score_fn, _checks.points(x, "x"), _checks.non_negative_float(t, "t"))


@dataclass(frozen=True, kw_only=True)
class GridSampler:
    """What every sampler shares: its ``grid`` and ``sample``. A subclass gives one step (``_stepper``).

    ``evaluations_per_step``: score evaluations of one step; ``uses_exact_posterior``: whether the
    sampler needs the mixture itself rather than a score.
    """

    grid: TimeGrid = field(default_factory=TimeGrid)
    evaluations_per_step: ClassVar[int] = 1
    uses_exact_posterior: ClassVar[bool] = False

    def sample(
        self,
        score_fn: ScoreSource,
        x_start: Tensor,
        *,
        t_end: float,
        num_steps: int,
        generator: torch.Generator | None = None,
        num_frames: int | None = None,
    ) -> Trajectory:
        """Run from x_start (N, 2) at t_0 = ``t_end`` down ``self.grid`` in ``num_steps`` steps.

        ``score_fn(x, t)`` gives s_t(x); a ``GaussianMixture`` stands for its exact ``marginal_score``.
        ``times`` of the trajectory are the grid's; with ``grid.denoise`` the last step is the Tweedie
        jump x <- D_{t_min}(x) to t = 0. ``num_frames`` keeps about that many + 1 frames, as in ``core.sde``.
        """
        if isinstance(score_fn, GaussianMixture):
            score_fn = score_fn.marginal_score
        if not callable(score_fn):
            raise ValueError(f"score_fn must be callable as score_fn(x, t), got {type(score_fn).__name__}")
        x_start = _checks.points(x_start, "x_start")
        times = self.grid.times(t_end, num_steps)
        return _run(
            self._stepper(score_fn), score_fn, x_start, times, self.grid.denoise, generator, num_frames
        )

    def evaluations(self, num_steps: int) -> int:
        """Score evaluations of a run of ``num_steps`` steps (the denoising step costs one)."""
        num_steps = _checks.positive_int(num_steps, "num_steps")
        last = 1 if self.grid.denoise else self._last_step_evaluations(self.grid.t_min == 0.0)
        return self.evaluations_per_step * (num_steps - 1) + last

    def _last_step_evaluations(self, ends_at_zero: bool) -> int:
        return self.evaluations_per_step

    def _stepper(self, score_fn: TimeScoreFn) -> Stepper:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class EulerMaruyama(GridSampler):
    """Euler–Maruyama on the backward process (MATH §5) with noise level λ, on any grid:
    x = y + h (y + (1+λ) s_s(y)) + √(2λh) ξ. λ = 1: reverse SDE; λ = 0: probability-flow ODE."""

    lam: float = 1.0

    def __post_init__(self) -> None:
        _checks.non_negative_float(self.lam, "lam")

    def _stepper(self, score_fn: TimeScoreFn) -> Stepper:
        lam = self.lam

        def step(y: Tensor, s: float, t: float, gen: torch.Generator | None) -> Tensor:
            h = s - t
            moved = score_fn(y, s).mul((1.0 + lam) * h).add_(y, alpha=1.0 + h)  # (N, 2)
            return moved.add_(_noise(y, gen), alpha=math.sqrt(2.0 * lam * h)) if lam > 0 else moved

        return step


@dataclass(frozen=True, kw_only=True)
class DDPM(GridSampler):
    """DDPM's ancestral step in score form (MATH §9): x = (y + β s_s(y))/a + √β̃ ξ, β = 1 − e^{−2h}.

    ``variance``: "posterior" β̃ = β σ_t²/σ_s² (DDPM's σ² = β̃, exact for a point mass) or "beta"
    β̃ = β (exact for N(0, I) data). The mean is exactly E[x_t | x_s = y]; the step into t = 0 adds no
    noise, so it is Tweedie's D_s(y).
    """

    variance: str = "posterior"

    def __post_init__(self) -> None:
        if self.variance not in ("posterior", "beta"):
            raise ValueError(f"variance must be 'posterior' or 'beta', got {self.variance!r}")

    def _stepper(self, score_fn: TimeScoreFn) -> Stepper:
        posterior = self.variance == "posterior"

        def step(y: Tensor, s: float, t: float, gen: torch.Generator | None) -> Tensor:
            return _ancestral_step(score_fn, y, s, t, posterior, gen)

        return step


@dataclass(frozen=True, kw_only=True)
class DDIM(GridSampler):
    """DDIM, deterministic (MATH §9): x = α_t D_s(y) + σ_t ε̂_s(y), Euler's step on the probability-flow
    ODE written in (ς, x/α), where its linear part is exact."""

    def _stepper(self, score_fn: TimeScoreFn) -> Stepper:
        def step(y: Tensor, s: float, t: float, _: torch.Generator | None) -> Tensor:
            return _exponential_step(y, _denoised(score_fn, y, s), s, t)

        return step


@dataclass(frozen=True, kw_only=True)
class Heun(GridSampler):
    """Heun's second-order step on the probability-flow ODE dx̄/dς = ε̂ in EDM's variables x̄ = x/α,
    ς = σ/α (Karras et al. 2022): predict with DDIM, x̃ = α_t (y/α_s + (ς_t − ς_s) ε̂_s(y)), then
    x = α_t (y/α_s + (ς_t − ς_s)(ε̂_s(y) + ε̂_t(x̃))/2). Two evaluations per step; the step into t = 0
    is DDIM's alone (ς = 0 there), one evaluation."""

    evaluations_per_step: ClassVar[int] = 2

    def _last_step_evaluations(self, ends_at_zero: bool) -> int:
        return 1 if ends_at_zero else 2

    def _stepper(self, score_fn: TimeScoreFn) -> Stepper:
        def step(y: Tensor, s: float, t: float, _: torch.Generator | None) -> Tensor:
            scaled, gap = y / _alpha(s), noise_level(t) - noise_level(s)  # (N, 2), ς_t − ς_s
            slope = score_fn(y, s) * -_sigma(s)  # (N, 2): ε̂_s(y)
            predicted = (scaled + gap * slope) * _alpha(t)  # (N, 2): DDIM
            if t == 0.0:
                return predicted
            end_slope = score_fn(predicted, t) * -_sigma(t)  # (N, 2): ε̂_t(x̃)
            return (scaled + 0.5 * gap * (slope + end_slope)) * _alpha(t)

        return step


@dataclass(frozen=True, kw_only=True)
class DPMSolver2M(GridSampler):
    """DPM-Solver++(2M) (Lu et al. 2022), second-order multistep in the data prediction D:
    x = (σ_t/σ_s)(y − α_s D̃) + α_t D̃ with D̃ = D_s + (D_s − D_r)/(2ρ), ρ = (ℓ_s − ℓ_r)/(ℓ_t − ℓ_s),
    r the previous step's start and ℓ = log(α/σ) the half log-SNR. The first step, and a step into
    t = 0 (where ℓ is infinite), take D̃ = D_s: DDIM's step."""

    def _stepper(self, score_fn: TimeScoreFn) -> Stepper:
        previous: list[tuple[float, Tensor]] = []  # (ℓ_r, D_r) of the step before

        def step(y: Tensor, s: float, t: float, _: torch.Generator | None) -> Tensor:
            denoised, half_snr = _denoised(score_fn, y, s), 0.5 * log_snr(s)  # (N, 2), ℓ_s
            blended = denoised
            if previous and t > 0.0:
                last_snr, last_denoised = previous.pop()
                ratio = (half_snr - last_snr) / (0.5 * log_snr(t) - half_snr)
                blended = denoised + (denoised - last_denoised) / (2.0 * ratio)
            previous[:] = [(half_snr, denoised)]
            return _exponential_step(y, blended, s, t)

        return step


@dataclass(frozen=True, kw_only=True)
class PredictorCorrector(GridSampler):
    """Predictor–corrector (Song et al. 2021): at each step's start s, ``corrector_steps`` Langevin steps
    for p_s at fixed time, y <- y + ε s_s(y) + √(2ε) ξ with ε = c σ_s² (c = ``corrector_scale``), then
    DDPM's ancestral step from s to t. Every component of p_s has covariance >= σ_s² I, so c < 2 keeps
    the corrector stable."""

    corrector_steps: int = 1
    corrector_scale: float = 0.1

    def __post_init__(self) -> None:
        _checks.positive_int(self.corrector_steps, "corrector_steps")
        if not 0 < _checks.positive_float(self.corrector_scale, "corrector_scale") < 2:
            raise ValueError(f"corrector_scale must be in (0, 2), got {self.corrector_scale!r}")

    @property
    def evaluations_per_step(self) -> int:  # type: ignore[override]
        return 1 + self.corrector_steps

    def _stepper(self, score_fn: TimeScoreFn) -> Stepper:
        steps, scale = self.corrector_steps, self.corrector_scale

        def step(y: Tensor, s: float, t: float, gen: torch.Generator | None) -> Tensor:
            size = scale * _sigma(s) ** 2  # ε
            for _ in range(steps):
                y = y + size * score_fn(y, s) + math.sqrt(2.0 * size) * _noise(y, gen)  # (N, 2)
            return _ancestral_step(score_fn, y, s, t, True, gen)

        return step


@dataclass(frozen=True, kw_only=True)
class ExactPosterior(GridSampler):
    """The exact posterior step for mixture data (MATH §9): x_t ~ p(x_t | x_s = y), drawn in closed form by
    ``core.posterior.sample_posterior``. No discretisation error at any step count: the floor every
    other sampler is measured against. Needs the mixture itself: ``score_fn`` must be a
    ``GaussianMixture`` or its ``marginal_score``. One evaluation of the mixture (its responsibilities,
    the cost of a score) per step."""

    uses_exact_posterior: ClassVar[bool] = True

    def _stepper(self, score_fn: TimeScoreFn) -> Stepper:
        data = _mixture_of(score_fn)

        def step(y: Tensor, s: float, t: float, gen: torch.Generator | None) -> Tensor:
            return posterior.sample_posterior(data, t, s - t, y, gen)

        return step


def _mixture_of(score_fn: TimeScoreFn) -> GaussianMixture:
    """The mixture whose ``marginal_score`` ``score_fn`` is, or a ValueError."""
    owner = getattr(score_fn, "__self__", None)
    if (
        isinstance(owner, GaussianMixture)
        and getattr(score_fn, "__func__", None) is GaussianMixture.marginal_score
    ):
        return owner
    raise ValueError(
        "the exact posterior sampler needs the mixture itself: pass a GaussianMixture or its marginal_score"
    )


def _run(
    step: Stepper,
    score_fn: TimeScoreFn,
    x_start: Tensor,
    times: list[float],
    denoise: bool,
    generator: torch.Generator | None,
    num_frames: int | None,
) -> Trajectory:
    """Apply ``step`` between consecutive ``times`` through ``core.sde``'s run loop (frames, blow-ups);
    with ``denoise`` the last step is the Tweedie jump to t = 0."""
    following = dict(itertools.pairwise(times))  # t_k -> t_{k+1}: the times are distinct

    def one_step(x: Tensor, s: float, gen: torch.Generator | None) -> Tensor:
        t = following[s]
        return _denoised(score_fn, x, s) if denoise and t == 0.0 else step(x, s, t, gen)

    return sde._run(one_step, x_start, times, generator, num_frames)


def _ancestral_step(
    score_fn: TimeScoreFn, y: Tensor, s: float, t: float, posterior: bool, gen: torch.Generator | None
) -> Tensor:
    """x = (y + β s_s(y))/a + √β̃ ξ; β̃ = β σ_t²/σ_s² (posterior) or β; no noise into t = 0."""
    beta = -math.expm1(-2.0 * (s - t))
    mean = (y + beta * score_fn(y, s)) * math.exp(s - t)  # (N, 2)
    if t == 0.0:
        return mean
    variance = beta * (_sigma(t) / _sigma(s)) ** 2 if posterior else beta
    return mean.add_(_noise(y, gen), alpha=math.sqrt(variance))


def _exponential_step(y: Tensor, denoised: Tensor, s: float, t: float) -> Tensor:
    """x = (σ_t/σ_s)(y − α_s D) + α_t D: the probability-flow ODE's exact flow for a constant D;
    y, D (N, 2) -> (N, 2)."""
    ratio = _sigma(t) / _sigma(s)
    return (y - _alpha(s) * denoised).mul_(ratio).add_(denoised, alpha=_alpha(t))


def _denoised(score_fn: TimeScoreFn, x: Tensor, t: float) -> Tensor:
    """D_t(x) = e^{t} (x + σ_t² s_t(x)) on checked arguments;  x (N, 2) -> (N, 2)."""
    return (x + _sigma(t) ** 2 * score_fn(x, t)) * math.exp(t)


def _noise(x: Tensor, generator: torch.Generator | None) -> Tensor:
    return torch.randn(x.shape, generator=generator)


def _alpha(t: float) -> float:
    return math.exp(-t)


def _sigma(t: float) -> float:
    return math.sqrt(-math.expm1(-2.0 * t))


SAMPLERS: dict[str, GridSampler] = {
    "euler_maruyama": EulerMaruyama(lam=1.0),
    "probability_flow": EulerMaruyama(lam=0.0),
    "ddpm": DDPM(),
    "ddim": DDIM(),
    "heun": Heun(),
    "dpm_solver_2m": DPMSolver2M(),
    "predictor_corrector": PredictorCorrector(),
    "exact_posterior": ExactPosterior(),
}
