"""Langevin Lab's engine: exact mixtures, datasets, particle dynamics and metrics, score network (torch only)."""

from core import datasets, metrics, mixture, score_net, sde

__all__ = ["datasets", "metrics", "mixture", "score_net", "sde"]
