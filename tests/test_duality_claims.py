"""Lesson 5 says only what its readouts show: every "Try this" prompt of lessons/duality.py is set up
exactly as it reads, over 8 seeds, and its effect is asserted in the readout it names; the frames of
the two runs sit at the same times; the grid picture's cells follow their column's p_t."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from core import divergence
from lessons import duality_model, duality_view, grid_picture, noise_bands, registry
from lessons.settings import OPTIONS, Settings
from lessons.simulate import MAX_STEPS, dataset, num_frames

pytestmark = pytest.mark.usefixtures("single_thread")
PAGE = registry.page("duality")
SEEDS = range(8)
RETURNED, FROM_NOISE = duality_model.KL_NAMES[1:]
PROMPTS = " ".join(Path(PAGE.script).read_text().split())  # the page's words, lines joined


def readouts_of(**changes) -> list[duality_model.DualityReadouts]:
    """The lesson's readouts at its defaults with ``changes``, one per seed."""
    measured = []
    for seed in SEEDS:
        settings = replace(PAGE.defaults, seed=seed, **changes)
        measured.append(duality_model.measure(duality_model.duality_run(settings), settings))
    return measured


def at_t0(measured, name: str) -> np.ndarray:
    """The KL (bias removed) of cloud ``name`` at t = 0 and the band's margin there, per seed."""
    return np.array([(m.kl[name][0], m.margin[0]) for m in measured])


def ratio_at_t0(measured) -> np.ndarray:
    """Mean distance to the own forward partner over that to a random one, at t = 0, per seed."""
    return np.array([m.partner["own partner"][0] / m.partner["random partner"][0] for m in measured])


@pytest.fixture(scope="module")
def defaults():
    return readouts_of()


@pytest.fixture(scope="module")
def fine_steps():
    return readouts_of(step_size=0.005)


def test_prompt_h_0_005_brings_the_backward_line_into_the_band_at_t_0(defaults, fine_steps):
    """'At the defaults the backward line leaves the band near t = 0 … set h = 0.005: it stays in'."""
    coarse, fine = at_t0(defaults, RETURNED), at_t0(fine_steps, RETURNED)
    assert np.sum(coarse[:, 0] > coarse[:, 1]) >= 7, coarse
    assert np.sum(fine[:, 0] <= fine[:, 1]) >= 7, fine
    assert np.all(fine[:, 0] < coarse[:, 0]), (fine, coarse)


def test_prompt_the_forward_line_stays_in_the_band_at_every_t(defaults):
    inside = [np.mean(m.kl["forward"] <= m.margin) for m in defaults]
    assert np.mean(inside) >= 0.95, inside


def test_prompt_yellow_paths_start_together_and_land_as_far_apart_as_strangers(defaults):
    """'Each backward yellow path starts where a forward one ended … the partner chart: as far from
    its own start as from a random particle's (ratio near 1)'."""
    assert "each yellow path on the right starts where one on the left" in PROMPTS
    for measured in defaults:
        assert measured.partner["own partner"][-1] == 0.0  # t = T: the same points
    ratios = ratio_at_t0(defaults)
    assert np.all(np.abs(ratios - 1) < 0.1), ratios


def test_backward_particles_land_as_far_from_their_own_start_as_strangers_while_the_cloud_matches(
    fine_steps,
):
    """The backward paths are not the forward paths: at h = 0.005 the cloud returned from the forward
    endpoints matches p_0 within noise, and each particle still lands about as far from its own forward
    start as from a random particle's."""
    returned = at_t0(fine_steps, RETURNED)
    assert np.sum(returned[:, 0] <= returned[:, 1]) >= 7, returned
    ratios = ratio_at_t0(fine_steps)
    assert np.all(np.abs(ratios - 1) < 0.1), ratios


def test_prompt_t_0_5_backward_particles_land_nearer_their_own_start(defaults):
    """'Set T = 0.5: the ratio drops well below 1: over a short time the paths remember their start'."""
    ratios = ratio_at_t0(readouts_of(t_end=0.5))
    assert np.all(ratios < 0.85), ratios
    assert np.all(ratios < ratio_at_t0(defaults) - 0.1)


def test_prompt_two_tilted_modes_at_t_0_25_start_from_noise_off_p_T():
    """'Two tilted modes, T = 0.25: N(0, I) is not p_T — the purple line starts above the band at
    t = T, and the verdict says so; the run from the forward endpoints starts inside it'."""
    measured = readouts_of(dataset="two_modes", t_end=0.25)
    noise_start = np.array([(m.kl[FROM_NOISE][-1], m.margin[-1]) for m in measured])
    exact_start = np.array([(m.kl[RETURNED][-1], m.margin[-1]) for m in measured])
    assert np.all(noise_start[:, 0] > noise_start[:, 1]), noise_start
    assert np.sum(exact_start[:, 0] <= exact_start[:, 1]) >= 7, exact_start
    assert all("N(0, I) is not $p_T$" in duality_view.verdict(m)[1] for m in measured)


def test_prompt_eight_gaussians_have_the_moments_of_noise_from_the_start(defaults):
    """'On eight Gaussians the green line is 0 at every t: mean 0 and covariance I from the start, so
    the whole divergence from N(0, I) is in the shape; on two tilted modes the moments carry part'."""
    assert "on eight Gaussians the green line is 0 at every $t$" in PROMPTS
    result = defaults[0].convergence
    assert np.abs(result.moments).max() < 1e-5 and result.exact[0] > 1.0
    assert abs(result.measured[0] - result.exact[0]) < 0.2
    tilted = readouts_of(dataset="two_modes")[0].convergence
    assert tilted.moments[0] > 0.2
    assert np.all(
        tilted.moments <= tilted.exact + 0.02
    )  # at every frame  # a lower bound, up to Monte Carlo error


def test_the_forward_cloud_converges_to_noise_as_the_closed_form_says(defaults):
    result = defaults[0].convergence
    assert result.exact[-1] < 0.01 and np.all(np.diff(result.exact) < 0.02)
    closed, measured = result.covariance_gap
    assert closed < 1e-6 and measured < 0.3  # Σ₀ = I: Cov − I is 0 at every t; 500 particles' noise


def test_backward_frames_sit_on_the_forward_frame_times_for_every_allowed_t_and_h():
    for t_end in OPTIONS["t_end"].values:
        for h in OPTIONS["step_size"].values:
            steps = max(1, round(t_end / h))
            if steps > MAX_STEPS:
                continue
            frames = duality_model.aligned_frames(steps, num_frames(1000))
            assert steps % frames == 0 and min(steps, 25) <= frames <= 50, (t_end, h, frames)
    assert duality_model.aligned_frames(200, num_frames(1000)) == 40  # the defaults: as many as wanted
    settings = replace(PAGE.defaults, particles=100, t_end=0.25, step_size=0.002)  # 125 steps
    run = duality_model.duality_run(settings)
    assert len(run.times) == 26 and len(run.backward) == 26
    forward_steps = np.round(run.times / (settings.t_end / 125))
    np.testing.assert_allclose(forward_steps, np.arange(0, 126, 5))


def test_the_backward_run_starts_where_the_forward_run_ends():
    settings = replace(PAGE.defaults, particles=100, step_size=0.1)
    run = duality_model.duality_run(settings)
    np.testing.assert_array_equal(run.backward[-1], run.forward[-1])
    assert not np.array_equal(run.from_noise[-1], run.forward[-1])


@pytest.mark.parametrize("name", ["eight_gaussians", "two_moons"])
def test_every_grid_cell_follows_its_column_s_p_t(name):
    settings = Settings(dataset=name, t_end=4.0)
    data, size = dataset(settings), grid_picture.CELL_PARTICLES
    above, neighbour_above, cells, first_cells = 0, 0, 0, 0
    for seed in SEEDS:
        picture = grid_picture.grid_picture(replace(settings, seed=seed))
        rows, columns = picture.clouds.shape[:2]
        for row in range(rows):
            for column in range(columns):
                cloud = torch.from_numpy(picture.clouds[row, column])
                t = float(picture.times[column])
                above += (
                    divergence.kl_to_exact(cloud, data.diffused(t))
                    > noise_bands.kl_band(settings, t, size).upper
                )
                if column == 0:  # against the next column's p_t instead: the check has power
                    later = float(picture.times[column + 1])
                    neighbour_above += (
                        divergence.kl_to_exact(cloud, data.diffused(later))
                        > noise_bands.kl_band(settings, later, size).upper
                    )
                cells += 1
                first_cells += column == 0
    assert above <= 0.05 * cells, f"{above} of {cells} cells above their column's band"
    assert neighbour_above >= 0.9 * first_cells, (neighbour_above, first_cells)


def test_the_forward_cloud_of_two_tilted_modes_relaxes_as_the_closed_form_covariance_says():
    """Data whose covariance is far from I (two tilted modes): at every frame the forward cloud's
    covariance is e^{−2t} Σ₀ + (1 − e^{−2t}) I within sampling noise (Σ₀ from the mixture, not from the
    readout), the closed-form part of KL(p_t ‖ N(0, I)) falls and stays below the exact value, and
    the measured |Cov − I| at T is the closed form's."""
    for seed in range(4):
        settings = replace(PAGE.defaults, dataset="two_modes", t_end=0.5, particles=2000, seed=seed)
        run = duality_model.duality_run(settings)
        result = duality_model.measure(run, settings).convergence
        data = dataset(settings)
        weights, means = data.weights.double().numpy(), data.means.double().numpy()
        second = data.covs.double().numpy() + means[:, :, None] * means[:, None, :]  # (K, 2, 2)
        mean = weights @ means
        cov = np.einsum("k,kij->ij", weights, second) - np.outer(mean, mean)  # Σ₀
        assert np.abs(cov - np.eye(2)).max() > 0.5  # far from noise at t = 0
        for t, cloud in zip(run.times, run.forward, strict=True):  # (N, 2) at each t
            closed = np.exp(-2 * t) * cov + (1 - np.exp(-2 * t)) * np.eye(2)
            assert np.abs(np.cov(cloud.T) - closed).max() < 0.15, (seed, t)
        assert np.all(np.diff(result.moments) < 0) and np.all(result.exact >= result.moments)
        closed_gap, measured_gap = result.covariance_gap
        assert closed_gap == pytest.approx(np.exp(-2 * 0.5) * np.abs(cov - np.eye(2)).max())
        assert measured_gap == pytest.approx(closed_gap, abs=0.1)
