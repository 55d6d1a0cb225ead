"""Argument checks shared by the engine: concise ``ValueError``s that name the argument."""

from __future__ import annotations

import math

import torch
from torch import Tensor

MAX_MAGNITUDE = 1e6  # data have unit spread: larger inputs are mistakes and overflow float32 maths


def points(value: object, name: str, *, check_finite: bool = True) -> Tensor:
    """Return ``value`` as a float32 tensor of shape (N, 2) (with finite entries), or raise."""
    try:
        tensor = torch.as_tensor(value, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"{name} must be an array of 2D points, got {type(value).__name__}") from error
    if tensor.ndim != 2 or tensor.shape[1] != 2:
        raise ValueError(f"{name} must have shape (N, 2), got {tuple(tensor.shape)}")
    if tensor.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one point")
    if check_finite and not bool(torch.isfinite(tensor).all()):
        raise ValueError(f"{name} must be finite (it contains NaN or inf)")
    if float(tensor.detach().abs().amax()) > MAX_MAGNITUDE:  # False for NaN (then the caller's concern)
        raise ValueError(f"{name} must be within ±{MAX_MAGNITUDE:g}")
    return tensor


def frames(value: object, name: str) -> Tensor:
    """Return ``value`` as a float32 tensor of shape (F, N, 2) of finite points, or raise."""
    try:
        tensor = torch.as_tensor(value, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(
            f"{name} must be an array of frames of 2D points, got {type(value).__name__}"
        ) from error
    if tensor.ndim != 3 or tensor.shape[2] != 2:
        raise ValueError(f"{name} must have shape (F, N, 2), got {tuple(tensor.shape)}")
    points(tensor.reshape(-1, 2), name)
    return tensor


def positive_int(value: object, name: str) -> int:
    """Return ``value`` as a positive ``int``, or raise."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def positive_float(value: object, name: str) -> float:
    """Return ``value`` as a finite float > 0, or raise."""
    number = _finite_float(value, name)
    if number <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return number


def non_negative_float(value: object, name: str) -> float:
    """Return ``value`` as a finite float >= 0, or raise."""
    number = _finite_float(value, name)
    if number < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return number


def _finite_float(value: object, name: str) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a number, got {value!r}") from error
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if abs(number) > MAX_MAGNITUDE:
        raise ValueError(f"{name} must be within ±{MAX_MAGNITUDE:g}, got {value!r}")
    return number
