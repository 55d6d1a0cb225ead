"""Lesson 6 under AppTest with a tiny training budget, and the training helpers behind it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from helpers_apptest import chart_specs
from test_pages import assert_no_exception, open_page

from core import time_grids
from lessons import noise_bands, score_learning, training_store
from lessons.settings import DATASET_LABELS, Settings

TINY = {"train_steps": "50", "particles": "200", "seed": "7"}


def test_the_page_asks_for_training_before_showing_any_chart():
    training_store._model_store().clear()
    at = open_page("learning", **TINY)
    assert_no_exception(at)
    assert not chart_specs(at)
    assert any("Train the network" in info.value for info in at.info)


def test_training_draws_the_loss_fields_samples_and_snapshots_without_exception():
    training_store._model_store().clear()
    at = open_page("learning", **TINY)
    at.button(key="train").click().run()
    assert_no_exception(at)
    assert len(chart_specs(at)) == 4  # loss, fields, exact vs learned samples, snapshots
    assert any("Trained for 50 steps" in caption.value for caption in at.caption)


def test_moving_time_or_particles_after_training_never_retrains(monkeypatch):
    training_store._model_store().clear()
    calls = []
    real_advance = score_learning.advance_training
    monkeypatch.setattr(score_learning, "advance_training", lambda job: calls.append(1) or real_advance(job))
    at = open_page("learning", **TINY)
    at.button(key="train").click().run()
    at.select_slider(key="time").set_value(1.0).run()
    at.select_slider(key="particles").set_value(100).run()
    assert_no_exception(at)
    assert len(calls) == 1  # 50 steps are one chunk, taken once
    assert len(chart_specs(at)) == 4


def test_snapshots_are_taken_after_few_more_and_all_steps():
    assert score_learning.snapshot_steps(2000) == (100, 500, 2000)
    trained = score_learning.train_score(Settings(dataset="two_modes", train_steps=40, seed=1))
    assert [step for step, _ in trained.snapshots] == [2, 10, 40]
    assert len(trained.losses) == 40 and not trained.stopped


def test_stopped_training_keeps_its_work_with_a_final_snapshot():
    job = score_learning.start_training(Settings(dataset="two_modes", train_steps=600, seed=1))
    score_learning.advance_training(job)  # one chunk of TRAIN_CHUNK steps, then the student presses Stop
    stopped = score_learning.finish_training(job)
    assert stopped.stopped and len(stopped.losses) == score_learning.TRAIN_CHUNK
    earlier = [
        step for step in score_learning.snapshot_steps(600) if step < score_learning.TRAIN_CHUNK
    ]  # 30 of 30, 150, 600
    assert [step for step, _ in stopped.snapshots] == [*earlier, score_learning.TRAIN_CHUNK]
    x = torch.tensor([[0.1, -0.2]])
    with torch.no_grad():
        assert torch.equal(stopped.model()(x, 0.5), job.model(x, 0.5))


def test_training_in_chunks_is_reproducible_for_a_seed():
    first, second = (
        score_learning.train_score(Settings(dataset="two_modes", train_steps=300, seed=4)) for _ in range(2)
    )
    assert np.array_equal(first.losses, second.losses)
    assert all(
        torch.equal(first.snapshots[-1][1][k], second.snapshots[-1][1][k]) for k in first.snapshots[-1][1]
    )


def test_the_exact_score_loss_on_a_gaussian_matches_its_closed_form():
    # data N(0, I): p_t = N(0, I) and s = −x, so σ_t s(x_t) + ε = −σ_t e^{−t} x₀ + e^{−2t} ε and
    # E‖·‖² = 2 e^{−2t}; averaged over log t uniform on [a, b]: 2 (E₁(2a) − E₁(2b)) / ln(b / a).
    from core.score_net import ScoreNetConfig

    a, b = ScoreNetConfig().t_min, ScoreNetConfig().t_max
    t = np.geomspace(a, b, 200_001)
    closed = 2 * np.trapezoid(np.exp(-2 * t), np.log(t)) / np.log(b / a)
    estimates = [
        score_learning.exact_score_loss(Settings(dataset="gaussian", seed=seed)) for seed in range(3)
    ]
    assert all(abs(estimate - closed) < 0.03 for estimate in estimates), (estimates, closed)


def test_no_network_beats_the_exact_score_loss_floor():
    settings = Settings(dataset="two_moons", train_steps=200, seed=1)
    trained = score_learning.train_score(settings)
    floor = score_learning.exact_score_loss(settings)
    assert np.mean(trained.losses[-100:]) > floor - 0.05  # the last 100 batch losses, each noisy


def test_the_loss_chart_draws_its_running_mean_and_the_floor_even_after_fifty_steps():
    from helpers_apptest import decode, figure_spec

    from lessons import lesson_figures

    spec = figure_spec(lesson_figures.loss_figure(np.linspace(2, 1, 50).astype(np.float32), floor=0.84))
    mean = next(trace for trace in spec["data"] if trace["name"].startswith("mean of"))
    assert np.isfinite(decode(mean["y"]).astype(float)).sum() > 1, "a mean of one point draws no line"
    floor = next(trace for trace in spec["data"] if "floor" in trace["name"])
    np.testing.assert_allclose(decode(floor["y"]), 0.84, rtol=1e-6)
    assert "σ" not in spec["layout"]["yaxis"]["title"]["text"], "plotly.js shows raw maths as text"


def test_the_main_chart_generates_with_the_last_snapshot_only(monkeypatch):
    trained = score_learning.train_score(Settings(dataset="two_modes", train_steps=40, seed=1))
    used = []
    real_model = score_learning.TrainedScore.model
    monkeypatch.setattr(
        score_learning.TrainedScore,
        "model",
        lambda self, index=-1: used.append(index) or real_model(self, index),
    )
    run = score_learning.learned_run(Settings(dataset="two_modes", particles=100, seed=3), trained)
    assert used == [-1] and run.steps == 40


def test_the_snapshot_row_ends_with_the_main_charts_learned_cloud_and_its_kl():
    settings = Settings(dataset="two_modes", particles=100, seed=3)
    trained = score_learning.train_score(Settings(dataset="two_modes", train_steps=40, seed=1))
    run = score_learning.learned_run(settings, trained)
    earlier = score_learning.earlier_snapshots(settings, trained)
    assert [step for step, _, _ in earlier] == [2, 10]
    last = score_learning.earlier_snapshots(
        settings, replace(trained, snapshots=(*trained.snapshots, trained.snapshots[-1]))
    )[-1]
    assert last[0] == 40 and np.array_equal(last[1], run.learned[-1]) and last[2] == run.learned_kl


def _exact_score_kl(settings: Settings) -> tuple[float, float]:
    """(KL of lesson 6's exact-score cloud to the data, the band's half-width) at ``settings``."""
    run = score_learning._generate(settings, score_learning.dataset(settings).marginal_score)
    kl = score_learning._kl_to_data(settings)(run.final)
    band = noise_bands.kl_band(settings, 0.0, settings.particles)
    return kl, band.upper - band.mean


def test_with_the_exact_score_the_generated_clouds_read_as_exact_ones_on_every_preset_but_the_point():
    presets = [name for name in DATASET_LABELS if name not in ("custom", "single_point")]
    outside = []
    for name in presets:
        for seed in range(8):
            kl, margin = _exact_score_kl(Settings(dataset=name, particles=500, seed=seed))
            if abs(kl) > margin:
                outside.append((name, seed, round(kl, 3)))
    assert len(outside) <= 1, outside  # of 56 runs; an exact cloud falls outside with probability 0.5 %


def test_the_readout_sees_the_steps_error_of_the_single_point_and_of_even_steps(monkeypatch):
    point = [_exact_score_kl(Settings(dataset="single_point", particles=500, seed=seed)) for seed in range(8)]
    assert all(kl > margin for kl, margin in point), point
    monkeypatch.setattr(score_learning, "LEARNED_GRID", time_grids.TimeGrid())
    monkeypatch.setattr(score_learning, "LEARNED_STEPS", 200)
    even = [_exact_score_kl(Settings(dataset="two_moons", particles=500, seed=seed)) for seed in range(8)]
    assert all(kl > 5 * margin for kl, margin in even), even
