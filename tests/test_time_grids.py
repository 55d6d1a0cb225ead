"""Time grids of the samplers (MATH §9): uniform in t, uniform in log-SNR, Karras/EDM, t_min and the
denoising step, against the defining quantities ᾱ(t) = e^{−2t}, ℓ = log(ᾱ/(1 − ᾱ)), ς = √((1 − ᾱ)/ᾱ)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from core import sde
from core.time_grids import SPACINGS, TimeGrid, karras_times, log_snr_times, uniform_times

T_END, T_MIN = 4.0, 0.002


def _log_snr(t: float) -> float:
    alpha_bar = math.exp(-2.0 * t)
    return math.log(alpha_bar / (1.0 - alpha_bar))


def _noise_level(t: float) -> float:
    alpha_bar = math.exp(-2.0 * t)
    return math.sqrt((1.0 - alpha_bar) / alpha_bar)


@pytest.mark.parametrize("spacing", SPACINGS)
@pytest.mark.parametrize("num_steps", [1, 2, 7, 50])
def test_every_grid_runs_strictly_down_from_t_end_to_t_min_with_exact_ends(spacing, num_steps):
    times = TimeGrid(spacing, t_min=T_MIN).times(T_END, num_steps)
    assert len(times) == num_steps + 1
    assert times[0] == T_END and times[-1] == T_MIN
    assert all(later < earlier for earlier, later in itertools.pairwise(times))


def test_uniform_grid_to_zero_is_the_grid_of_core_sde_backward():
    assert TimeGrid().times(3.0, 30) == sde._grid(3.0, 0.0, 30)
    np.testing.assert_allclose(np.diff(uniform_times(T_END, T_MIN, 8)), -(T_END - T_MIN) / 8)


def test_log_snr_grid_has_equal_steps_in_log_snr():
    steps = np.diff([_log_snr(t) for t in log_snr_times(T_END, T_MIN, 12)])
    np.testing.assert_allclose(steps, (_log_snr(T_MIN) - _log_snr(T_END)) / 12, rtol=1e-9)


@pytest.mark.parametrize("rho", [1.0, 3.0, 7.0])
def test_karras_grid_has_equal_steps_in_the_noise_level_to_the_one_over_rho(rho):
    roots = [_noise_level(t) ** (1.0 / rho) for t in karras_times(T_END, T_MIN, 10, rho)]
    expected = (_noise_level(T_MIN) ** (1.0 / rho) - _noise_level(T_END) ** (1.0 / rho)) / 10
    np.testing.assert_allclose(np.diff(roots), expected, rtol=1e-9)


def test_karras_grid_tends_to_the_log_snr_grid_as_rho_grows():
    # ℓ = −2 log ς, and ((1 − u) a^{1/ρ} + u b^{1/ρ})^ρ -> a^{1−u} b^u as ρ -> ∞: equal steps in log ς
    np.testing.assert_allclose(
        karras_times(T_END, T_MIN, 9, rho=1e5), log_snr_times(T_END, T_MIN, 9), rtol=1e-4
    )


def test_karras_grid_puts_more_steps_near_the_data_than_the_uniform_grid():
    karras, uniform = karras_times(T_END, T_MIN, 20), uniform_times(T_END, T_MIN, 20)
    assert sum(t < 0.1 for t in karras) >= 5 > sum(t < 0.1 for t in uniform)


@pytest.mark.parametrize("spacing", SPACINGS)
def test_denoising_grid_reaches_t_min_in_one_step_fewer_then_jumps_to_zero(spacing):
    grid = TimeGrid(spacing, t_min=T_MIN, denoise=True)
    times = grid.times(T_END, 6)
    assert times[:-1] == TimeGrid(spacing, t_min=T_MIN).times(T_END, 5)
    assert times[-1] == 0.0
    assert grid.times(T_END, 1) == [T_END, 0.0]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: TimeGrid("cosine"), "spacing must be one of"),
        (lambda: TimeGrid("log_snr"), "log_snr grid needs t_min > 0"),
        (lambda: TimeGrid("karras", t_min=0.0), "karras grid needs t_min > 0"),
        (lambda: TimeGrid(denoise=True), "denoising step needs t_min > 0"),
        (lambda: TimeGrid(t_min=-0.1), "t_min must be >= 0"),
        (lambda: TimeGrid("karras", t_min=0.01, rho=0.0), "rho must be positive"),
        (lambda: TimeGrid(denoise=1), "denoise must be True or False"),
        (lambda: TimeGrid(t_min=1.0).times(1.0, 4), "t_end must exceed t_min"),
        (lambda: TimeGrid().times(1.0, 0), "num_steps must be a positive integer"),
    ],
)
def test_bad_grids_raise_a_concise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()
