"""The Metropolis-adjusted Langevin algorithm (MALA, MATH §9): ULA's step (MATH §1) as a proposal,
accepted or rejected so that the target p is left exactly invariant at every step size h.

Proposal  x' = x + h s(x) + √(2h) ξ,  q(x' | x) = N(x'; x + h s(x), 2h I);  accepted with probability
min(1, p(x') q(x | x') / (p(x) q(x' | x))), else x stays. A proposal beyond ``sde.MAX_RADIUS`` is
rejected without evaluating p there (the target is p restricted to that disc, which holds all its mass).
"""

from __future__ import annotations

import math
from typing import NamedTuple, Protocol

import torch
from torch import Tensor

from core import _checks, sde
from core.sde import Trajectory


class Target(Protocol):
    """A density known up to a constant: ``log_prob`` (N, 2) -> (N,) and its gradient ``score``
    (N, 2) -> (N, 2), as ``GaussianMixture`` has them."""

    def log_prob(self, x: Tensor) -> Tensor: ...

    def score(self, x: Tensor) -> Tensor: ...


class MALARun(NamedTuple):
    """A MALA run's frames (times τ = k h) and the fraction of proposals accepted over every particle
    and step."""

    trajectory: Trajectory
    acceptance_rate: float


def mala(
    target: Target,
    x0: Tensor,
    *,
    step_size: float,
    num_steps: int,
    generator: torch.Generator | None = None,
    num_frames: int | None = None,
) -> MALARun:
    """``num_steps`` MALA steps of size h = ``step_size`` for ``target`` from x0 (N, 2).

    Each step draws ξ (N, 2) then u (N,) ~ U(0, 1) from ``generator`` and accepts where
    log u < log p(x') − log p(x) + log q(x | x') − log q(x' | x). One score and one log p per step.
    """
    h = _checks.positive_float(step_size, "step_size")
    num_steps = _checks.positive_int(num_steps, "num_steps")
    x0 = _checks.points(x0, "x0")
    current = {"log_p": target.log_prob(x0), "score": target.score(x0)}  # at the chain's position
    counts = {"accepted": 0, "proposed": 0}

    def step(x: Tensor, _: float, gen: torch.Generator | None) -> Tensor:
        proposal = x + h * current["score"] + math.sqrt(2.0 * h) * torch.randn(x.shape, generator=gen)
        inside = proposal.square().sum(-1) <= sde.MAX_RADIUS**2  # (N,): False for NaN too
        proposal = torch.where(inside[:, None], proposal, x)  # (N, 2)
        log_p, score = target.log_prob(proposal), target.score(proposal)  # (N,), (N, 2)
        log_ratio = (
            log_p
            - current["log_p"]
            + _log_proposal(x, proposal, score, h)
            - _log_proposal(proposal, x, current["score"], h)
        )  # (N,)
        accept = inside & (torch.rand(len(x), generator=gen).log() < log_ratio)  # (N,)
        counts["accepted"] += int(accept.sum())
        counts["proposed"] += len(x)
        current["log_p"] = torch.where(accept, log_p, current["log_p"])
        current["score"] = torch.where(accept[:, None], score, current["score"])
        return torch.where(accept[:, None], proposal, x)

    trajectory = sde._run(step, x0, sde._grid(0.0, h * num_steps, num_steps), generator, num_frames)
    return MALARun(trajectory, counts["accepted"] / counts["proposed"])


def _log_proposal(to: Tensor, start: Tensor, start_score: Tensor, h: float) -> Tensor:
    """log q(to | start) up to a constant: −‖to − start − h s(start)‖² / (4h);  -> (N,)."""
    return -(to - start - h * start_score).square().sum(-1) / (4.0 * h)
