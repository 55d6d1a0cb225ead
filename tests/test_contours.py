"""Contour lines by marching squares, checked against level sets known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from lessons import contours

GRID = np.linspace(-3.5, 3.5, 32, dtype=np.float32)
XX, YY = np.meshgrid(GRID, GRID)  # rows = y


def polylines(x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """The NaN-separated lines as (P, 2) arrays."""
    breaks = np.flatnonzero(np.isnan(x))
    starts = np.concatenate([[0], breaks[:-1] + 1])
    return [np.stack([x[a:b], y[a:b]], -1) for a, b in zip(starts, breaks, strict=True)]


def test_a_gaussian_bump_crosses_half_its_peak_on_the_circle_of_the_closed_form_radius():
    bump = 255 * np.exp(-(XX**2 + YY**2) / 2)
    x, y = contours.contour_lines(bump, GRID, 127.5)
    (loop,) = polylines(x, y)
    np.testing.assert_allclose(np.hypot(*loop.T), np.sqrt(2 * np.log(2)), atol=0.01)  # r² = 2 ln 2
    np.testing.assert_array_equal(loop[0], loop[-1])  # closed
    angles = np.sort(np.arctan2(loop[:, 1], loop[:, 0]))
    assert np.diff(angles).max() < 0.5  # goes all the way round


def test_a_ring_gives_two_closed_loops_one_inside_the_other():
    radius = np.hypot(XX, YY)
    ring = 255 * np.exp(-((radius - 2) ** 2) / 0.2)
    level = 255 * np.exp(-(0.3**2) / 0.2)  # crossed at r = 1.7 and r = 2.3
    loops = polylines(*contours.contour_lines(ring, GRID, level))
    radii = sorted(float(np.hypot(*loop.T).mean()) for loop in loops)
    np.testing.assert_allclose(radii, [1.7, 2.3], atol=0.05)
    assert all((loop[0] == loop[-1]).all() for loop in loops)


def test_a_level_crossing_the_whole_grid_is_one_open_line_from_border_to_border():
    ramp = 255 * (XX + 3.5) / 7.0  # crosses 100 on the vertical line x = 100 / 255 * 7 - 3.5
    (line,) = polylines(*contours.contour_lines(ramp, GRID, 100.0))
    np.testing.assert_allclose(line[:, 0], 100 / 255 * 7 - 3.5, atol=1e-4)
    assert sorted([line[0, 1], line[-1, 1]]) == pytest.approx([-3.5, 3.5])


def test_a_level_above_the_image_gives_no_line():
    x, y = contours.contour_lines(np.zeros((32, 32)), GRID, 10.0)
    assert x.size == 0 and y.size == 0


def test_the_remembered_lines_are_the_computed_ones():
    image = (255 * np.exp(-((XX - 1) ** 2 + YY**2))).astype(np.uint8)
    fresh = contours.contour_lines(image, GRID, 64.0)
    for _ in range(2):
        for remembered, computed in zip(contours.cached_contour_lines(image, GRID, 64.0), fresh, strict=True):
            np.testing.assert_array_equal(remembered, computed)


@pytest.mark.parametrize("shape", [(32,), (32, 31), (31, 31), (1, 1)])
def test_an_image_that_does_not_fit_the_grid_is_refused(shape):
    grid = GRID if shape != (1, 1) else GRID[:1]
    with pytest.raises(ValueError, match="image must be"):
        contours.contour_lines(np.zeros(shape), grid, 1.0)
