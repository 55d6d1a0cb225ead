"""Lesson 7's denoiser view (lessons/denoiser_view.py): its predictions are the exact posterior mean
E[x₀ | x_t], its chart is a square panel with a line per particle, its page control reaches the chart
and the address, and what its prose and its "Try this" prompt say happens, measured over 8 seeds at
the page's defaults (two moons)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from test_pages import assert_no_exception, chart_json, open_page, particles_of, widget

from core import datasets, posterior
from core.samplers import tweedie
from lessons import denoiser_figures, denoiser_view, registry, simulate

LESSON = registry.page("samplers")
SEEDS = range(8)
DEFAULTS = LESSON.defaults
pytestmark = pytest.mark.usefixtures("single_thread")


def denoised(t: float, seed: int, dataset: str = DEFAULTS.dataset) -> denoiser_view.Denoised:
    return denoiser_view.denoise(simulate.dataset(replace(DEFAULTS, dataset=dataset)), t, seed=seed)


def prose() -> str:
    """The page's source with its adjacent string literals joined, as the page shows them."""
    return re.sub(r'"\s*\n\s*"', "", Path(LESSON.script).read_text())


# --- Tweedie's formula against the exact posterior --------------------------------------------------


@pytest.mark.parametrize("t", [0.1, 0.5, 2.0])
def test_the_prediction_is_the_mean_of_the_exact_posterior_and_of_draws_from_it(t):
    data = datasets.make("two_moons")
    points = torch.tensor([[0.3, -0.4], [1.5, 0.2], [-1.0, 1.0]])  # x_t (3, 2)
    predicted = tweedie(data.marginal_score, points, t).double()  # (3, 2)
    exact = posterior.posterior(data, 0.0, t, points)  # p(x₀ | x_t) in closed form
    torch.testing.assert_close(predicted, exact.mean(), rtol=0, atol=1e-4)
    generator = torch.Generator().manual_seed(0)
    for n, point_prediction in enumerate(predicted):
        draws = exact.mixture(n).sample(40_000, generator).double()  # (40000, 2) of x₀ | x_t
        standard_error = draws.std(0) / np.sqrt(len(draws))
        assert ((draws.mean(0) - point_prediction).abs() < 4 * standard_error).all()


# --- the measures and the chart ---------------------------------------------------------------------


def test_the_spread_is_the_root_mean_square_distance_from_the_mean_per_axis():
    square = torch.tensor([[1.0, 1.0], [-1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]]) + 5.0
    assert denoiser_view.spread(square) == pytest.approx(1.0)


def test_at_t_zero_every_prediction_is_its_own_particle_and_exact_draws_lie_on_the_data():
    at_zero = denoised(0.0, seed=0)
    np.testing.assert_allclose(at_zero.predictions, at_zero.noisy, atol=1e-6)
    assert at_zero.spread == pytest.approx(1.0, abs=0.1)  # a draw of p₀ is as wide as p₀
    assert at_zero.on_data > 0.9


def test_the_chart_is_one_square_panel_with_a_line_from_each_particle_to_its_prediction():
    result = denoised(0.5, seed=0)
    density = simulate.density_image(simulate.dataset(DEFAULTS))
    figure = denoiser_figures.denoiser_figure(
        result.noisy, result.predictions, extent=simulate.EXTENT, grid=simulate.GRID, density=density
    )
    layout = figure["layout"]
    assert layout["yaxis"]["scaleanchor"] == "x" and layout["yaxis"]["scaleratio"] == 1
    assert layout["xaxis"]["range"] == layout["yaxis"]["range"] == [-simulate.EXTENT, simulate.EXTENT]
    (joins,) = [trace for trace in figure["data"] if trace["name"] == "particle to its prediction"]
    segments = np.stack([joins["x"], joins["y"]], -1).reshape(-1, 3, 2)  # (N, 3, 2): start, end, gap
    np.testing.assert_allclose(segments[:, 0], result.noisy, atol=1e-6)
    np.testing.assert_allclose(segments[:, 1], result.predictions, atol=1e-6)
    assert np.isnan(segments[:, 2]).all()


# --- the prose and the Try this prompt -------------------------------------------------------------


def test_prose_at_large_t_every_prediction_falls_near_the_data_mean_off_two_moons():
    said = "At large $t$ the noise hides where a particle came from and every prediction falls near the "
    assert said + "data's mean, a blur that on two moons lies off the data" in prose()
    mean = simulate.dataset(DEFAULTS).mean().numpy()
    for seed in SEEDS:
        result = denoised(2.0, seed)
        distances = np.linalg.norm(result.predictions - mean, axis=1)  # (N,), in the data's unit spread
        assert np.sqrt(np.mean(distances**2)) < 0.25 and result.on_data < 0.1


def test_prose_at_small_t_each_prediction_lands_on_the_data_as_exact_draws_do():
    assert "at small $t$ each prediction lands on the data" in prose()
    for seed in SEEDS:
        result, exact = denoised(0.05, seed), denoised(0.0, seed)
        assert result.on_data > 0.85 and result.on_data > exact.on_data - 0.1


def test_prompt_time_2_huddles_under_a_fifth_and_almost_none_on_the_data_then_0_05_nine_tenths():
    assert "Set **Time t** to **2** and look at the denoiser panel" in prose()
    assert "under a fifth as wide as the data, and almost none lie on it" in prose()
    assert "set it to **0.05**: they spread over nine tenths as wide as the data, and nearly" in prose()
    for seed in SEEDS:
        late, early = denoised(2.0, seed), denoised(0.05, seed)
        assert late.spread < 0.2 and late.on_data < 0.05
        assert early.spread > 0.9 and early.on_data > 0.85


# --- the page, through AppTest ---------------------------------------------------------------------


def test_the_time_control_redraws_the_denoiser_chart_and_its_caption_and_stays_in_the_address():
    at = open_page("samplers")
    before = json.loads(chart_json(at, "denoiser"))
    assert len(particles_of(before)) == denoiser_view.PARTICLES
    assert widget(at, "time").value == DEFAULTS.time
    widget(at, "time").set_value(2.0).run()
    assert_no_exception(at)
    assert at.query_params["time"] == "2"
    after = json.loads(chart_json(at, "denoiser"))
    assert particles_of(after).tolist() != particles_of(before).tolist()
    expected = denoiser_view.caption(denoised(2.0, DEFAULTS.seed))
    assert expected in [caption.value for caption in at.caption]


def test_an_earlier_link_without_time_opens_at_the_default_and_one_with_time_sets_it():
    earlier = open_page("samplers", grid="log_snr", evaluations="10")
    assert not earlier.info and widget(earlier, "time").value == DEFAULTS.time
    assert widget(earlier, "grid").value == "log_snr"
    linked = open_page("samplers", time="0.05")
    assert not linked.info and widget(linked, "time").value == 0.05
