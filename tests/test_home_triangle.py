"""The home page's triangle tells the truth at its own settings (two moons, t = 0.05, h = 0.2): the
second cloud is distributed as p_{t+h}, the third is back at p_t and measurably closer to p_t than to
p_{t+h} (KL of MATH §10, over several seeds), its particles have moved, and the caption's numbers are
those of the clouds on screen."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_pages import open_page

from core import divergence, sde
from lessons import engine_cache, simulate, triangle

pytestmark = pytest.mark.usefixtures("single_thread")
SEEDS = range(8)


@pytest.fixture(scope="module")
def pictures():
    return [triangle.triangle_clouds(seed) for seed in SEEDS]


def readouts(pictures, row: int, column: int) -> np.ndarray:
    """KL of cloud ``row`` to p_t (column 0) or p_{t+h} (column 1), one per seed."""
    return np.array([clouds[5][row, column] for clouds in pictures])


def upper(pictures, column: int) -> float:
    return float(pictures[0][6][column, 1])


def test_the_third_cloud_is_back_at_p_t_and_far_from_p_t_plus_h_in_every_seed(pictures):
    to_p_t, to_p_th = readouts(pictures, 2, 0), readouts(pictures, 2, 1)
    assert np.sum(to_p_t > upper(pictures, 0)) <= 1, to_p_t  # within the exact clouds' band
    assert (to_p_th - to_p_t > 0.08).all(), (to_p_t, to_p_th)  # closer to p_t by more than the noise
    assert (to_p_th > upper(pictures, 1)).all(), to_p_th  # and not a p_{t+h} cloud


def test_the_second_cloud_is_at_p_t_plus_h_and_the_first_at_p_t(pictures):
    assert np.sum(readouts(pictures, 1, 1) > upper(pictures, 1)) <= 1
    assert (readouts(pictures, 1, 0) > upper(pictures, 0)).all()
    assert np.sum(readouts(pictures, 0, 0) > upper(pictures, 0)) <= 1


def test_the_particles_have_moved_though_the_distribution_is_back(pictures):
    for start, _, back, *_ in pictures:
        moved = np.linalg.norm(back - start, axis=1)
        assert (moved > 0).all() and np.median(moved) > 0.5


def test_an_euler_backward_half_at_this_h_would_land_near_p_t_plus_h_instead():
    """Why the picture needs the exact backward step: lesson 3's one-step backward half is not there."""
    data = simulate.dataset(triangle.SETTINGS)
    exact = data.diffused(triangle.TIME), data.diffused(triangle.TIME + triangle.STEP)
    for seed in range(4):
        generator = torch.Generator().manual_seed(seed)
        cloud = exact[0].sample(triangle.PARTICLES, generator)
        _, euler = sde.split_step(data.marginal_score, cloud, triangle.TIME, triangle.STEP, 1.0, generator)
        to_p_t, to_p_th = (divergence.kl_to_exact(euler, p) for p in exact)
        assert to_p_t > 0.2 and to_p_th < 0.1, (to_p_t, to_p_th)


def test_the_caption_says_what_the_picture_does_with_its_own_numbers(pictures):
    clouds = pictures[0]
    caption = triangle.triangle_caption(clouds)
    assert "exact step of the OU process" in caption and "exact backward step" in caption
    assert "back at $p_t$" in caption
    for value in clouds[5].ravel():
        assert f"{value:.2f}" in caption
    moved = np.median(np.linalg.norm(clouds[2] - clouds[0], axis=1))
    assert f"median {moved:.2f}" in caption


def test_the_home_page_shows_the_cached_picture_s_caption():
    at = open_page("home")
    assert triangle.triangle_caption(engine_cache.triangle_clouds()) in [
        caption.value for caption in at.caption
    ]
