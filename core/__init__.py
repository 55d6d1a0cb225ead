"""Langevin Lab's engine: exact mixtures, datasets, particle dynamics and metrics (torch only)."""

from core import datasets, metrics, mixture, sde

__all__ = ["datasets", "metrics", "mixture", "sde"]
