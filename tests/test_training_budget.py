"""Lesson 6's work budget: a training is costed (steps × batch) before it starts, and one that would
cost more than the budget is refused in plain words, without taking a step."""

from __future__ import annotations

import pytest
import streamlit as st
from helpers_apptest import chart_specs
from test_pages import assert_no_exception, open_page

from lessons import score_learning, training_store
from lessons.settings import OPTIONS, Settings


@pytest.fixture
def steps_taken(monkeypatch):
    """Training chunks taken during the test; a run ends after one chunk (no st.rerun)."""
    taken = []
    real_advance = score_learning.advance_training
    monkeypatch.setattr(score_learning, "advance_training", lambda job: taken.append(1) or real_advance(job))
    monkeypatch.setattr(st, "rerun", lambda *args, **kwargs: None)
    training_store._model_store().clear()
    return taken


def test_the_estimate_grows_with_steps_times_batch_and_only_the_largest_choice_is_over_budget():
    costs = {
        steps: training_store.training_cost(Settings(train_steps=steps))
        for steps in OPTIONS["train_steps"].values
    }
    assert costs[4000] == pytest.approx(2 * costs[2000]) and costs[50] == pytest.approx(costs[2000] / 40)
    assert costs[2000] == pytest.approx(2000 * score_learning.TRAIN_BATCH * training_store.SECONDS_PER_SAMPLE)
    assert [steps for steps, cost in costs.items() if cost > training_store.TRAIN_BUDGET_S] == [4000]


def test_a_training_over_budget_is_refused_in_plain_words_before_any_step(steps_taken):
    at = open_page("learning", train_steps="4000", particles="200", seed="7")
    at.button(key="train").click().run()
    assert_no_exception(at)
    assert steps_taken == [] and "live_loss" not in chart_specs(at)
    (note,) = [info.value for info in at.info if "would take about" in info.value]
    assert "4,000 steps" in note and "choose 2,000 steps or fewer" in note and "\n" not in note
    at.select_slider(key="train_steps").set_value(2000).run()
    at.button(key="train").click().run()  # within the budget: it starts
    assert steps_taken == [1] and "live_loss" in chart_specs(at)
