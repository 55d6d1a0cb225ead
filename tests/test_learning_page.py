"""Lesson 6 under AppTest with a tiny training budget, and the training helpers behind it."""

from __future__ import annotations

import numpy as np
import torch
from helpers_apptest import chart_specs
from test_pages import assert_no_exception, open_page

from lessons import simulate, training_store
from lessons.settings import Settings

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
    real_advance = simulate.advance_training
    monkeypatch.setattr(simulate, "advance_training", lambda job: calls.append(1) or real_advance(job))
    at = open_page("learning", **TINY)
    at.button(key="train").click().run()
    at.select_slider(key="time").set_value(1.0).run()
    at.select_slider(key="particles").set_value(100).run()
    assert_no_exception(at)
    assert len(calls) == 1  # 50 steps are one chunk, taken once
    assert len(chart_specs(at)) == 4


def test_snapshots_are_taken_after_few_more_and_all_steps():
    assert simulate.snapshot_steps(2000) == (100, 500, 2000)
    trained = simulate.train_score(Settings(dataset="two_modes", train_steps=40, seed=1))
    assert [step for step, _ in trained.snapshots] == [2, 10, 40]
    assert len(trained.losses) == 40 and not trained.stopped


def test_stopped_training_keeps_its_work_with_a_final_snapshot():
    job = simulate.start_training(Settings(dataset="two_modes", train_steps=600, seed=1))
    simulate.advance_training(job)  # one chunk of TRAIN_CHUNK steps, then the student presses Stop
    stopped = simulate.finish_training(job)
    assert stopped.stopped and len(stopped.losses) == simulate.TRAIN_CHUNK
    assert [step for step, _ in stopped.snapshots] == [30, 150, simulate.TRAIN_CHUNK]
    x = torch.tensor([[0.1, -0.2]])
    with torch.no_grad():
        assert torch.equal(stopped.model()(x, 0.5), job.model(x, 0.5))


def test_training_in_chunks_is_reproducible_for_a_seed():
    first, second = (
        simulate.train_score(Settings(dataset="two_modes", train_steps=300, seed=4)) for _ in range(2)
    )
    assert np.array_equal(first.losses, second.losses)
    assert all(
        torch.equal(first.snapshots[-1][1][k], second.snapshots[-1][1][k]) for k in first.snapshots[-1][1]
    )
