"""Lesson 1's words about its target: Langevin dynamics samples one fixed density p (MATH §2), so the
page names it p, never p_t (a time-dependent marginal of the diffusion lessons)."""

from __future__ import annotations

import numpy as np
from test_pages import open_page

from lessons import traces


def test_lesson_one_calls_its_density_toggle_the_target_p():
    at = open_page("langevin", particles="200", num_steps="20")
    labels = [toggle.label for toggle in at.toggle]
    assert "Exact density p (the target)" in labels
    assert not any("p_t" in label for label in labels)


def test_the_forward_lesson_keeps_p_t_for_its_moving_density():
    at = open_page("forward", particles="200")
    assert "Exact density p_t" in [toggle.label for toggle in at.toggle]


def test_the_contour_trace_names_no_time():
    image = np.zeros((8, 8), dtype=np.uint8)
    image[3:5, 3:5] = 255
    trace = traces.density_line(image, np.linspace(-1, 1, 8))
    assert trace["name"].startswith("exact density:") and "p_t" not in trace["name"]
