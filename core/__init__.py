"""Langevin Lab's engine: exact mixtures, datasets, particle dynamics and metrics, score network (torch only)."""

from core import (
    datasets,
    divergence,
    mala,
    metrics,
    mixture,
    posterior,
    samplers,
    score_net,
    sde,
    shared_cov_kernel,
    time_grids,
)

__all__ = [
    "datasets",
    "divergence",
    "mala",
    "metrics",
    "mixture",
    "posterior",
    "samplers",
    "score_net",
    "sde",
    "shared_cov_kernel",
    "time_grids",
]
