"""Langevin Lab's engine: exact mixtures, datasets, particle dynamics and metrics, score network (torch only)."""

from core import datasets, divergence, metrics, mixture, score_net, sde, shared_cov_kernel

__all__ = ["datasets", "divergence", "metrics", "mixture", "score_net", "sde", "shared_cov_kernel"]
