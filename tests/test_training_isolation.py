"""Lesson 6's trained networks: who sees them (two AppTest sessions of one server), what they are
stored under, what a stopped training may replace, how much memory they hold, and what a student
sees after leaving a training for another page."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import streamlit as st
import torch
from helpers_apptest import chart_specs, decode
from test_pages import assert_no_exception, open_page

from core import score_net
from lessons import score_learning, training_store, user_data
from lessons.settings import OPTIONS, Settings

TINY = {"train_steps": "50", "particles": "200", "seed": "7"}


def own_points(stretch: float) -> str:
    """Encoded own data: six points on an ellipse, its height ``1 + stretch`` times its width (own
    data are centred and scaled, so only the shape tells two drawings apart)."""
    angles = np.linspace(0, 2 * np.pi, 6, endpoint=False)
    points = np.stack([np.cos(angles), (1 + stretch) * np.sin(angles)], -1)
    return user_data.encode(user_data.standardized(points, 0.1))


def own_query(points: str) -> dict[str, str]:
    return {**TINY, "dataset": "custom", "points": points, "bandwidth": "0.1"}


def trained_captions(at) -> list[str]:
    return [caption.value for caption in at.caption if caption.value.startswith("Trained for")]


def asks_for_training(at) -> bool:
    return not chart_specs(at) and any("Train the network" in info.value for info in at.info)


@pytest.fixture(autouse=True)
def empty_shared_store():
    training_store._model_store().clear()
    yield
    training_store._model_store().clear()


@pytest.fixture
def no_rerun(monkeypatch):
    """A training run ends after one chunk (its st.rerun does nothing): the test acts between chunks."""
    monkeypatch.setattr(st, "rerun", lambda *args, **kwargs: None)


def test_a_network_trained_on_own_data_is_seen_only_by_the_session_that_trained_it():
    drawing = own_points(0.0)
    student_a = open_page("learning", **own_query(drawing))
    student_a.button(key="train").click().run()
    assert_no_exception(student_a)
    assert trained_captions(student_a), "the student who trained sees the network"

    same_link = open_page("learning", **own_query(drawing))  # B opened A's shared link
    other_drawing = open_page("learning", **own_query(own_points(0.7)))
    for student_b in (same_link, other_drawing):
        assert_no_exception(student_b)
        assert not trained_captions(student_b)
        assert asks_for_training(student_b), "no samples of someone else's drawing"


def test_a_preset_network_is_shared_with_every_session_and_the_caption_says_so():
    student_a = open_page("learning", **TINY)
    student_a.button(key="train").click().run()
    student_b = open_page("learning", **TINY)
    assert_no_exception(student_b)
    assert len(chart_specs(student_b)) == 4
    assert training_store.who_sees(Settings(dataset="two_moons")) == training_store.SHARED_WITH_EVERYONE


def test_settings_with_the_same_key_train_the_same_network_and_own_data_keys_differ_by_points_and_bandwidth():
    base = Settings(dataset="two_modes", train_steps=20, seed=3)
    view_only = replace(base, time=1.5, particles=100, points=own_points(0.0), bandwidth=0.3)
    assert training_store.network_key(view_only) == training_store.network_key(base)
    first, second = (score_learning.train_score(settings) for settings in (base, view_only))
    assert all(
        torch.equal(first.snapshots[-1][1][k], second.snapshots[-1][1][k]) for k in first.snapshots[-1][1]
    )

    own = Settings(dataset="custom", points=own_points(0.0), bandwidth=0.1, train_steps=20, seed=3)
    variants = [own, replace(own, points=own_points(0.7)), replace(own, bandwidth=0.2)]
    variants += [replace(own, train_steps=50), replace(own, seed=4)]
    assert len({training_store.network_key(settings) for settings in variants}) == len(variants)


def fake_network(steps: int) -> score_learning.TrainedScore:
    model = score_net.ScoreNet(generator=torch.Generator().manual_seed(0))
    losses = np.ones(steps, dtype=np.float32)
    return score_learning.TrainedScore(model.config, ((steps, model.state_dict()),), losses, stopped=True)


def test_a_stopped_training_never_replaces_a_network_trained_for_more_steps():
    store, key = training_store.NetworkStore(4), ("two_moons", 1000, 0)
    longer = fake_network(1000)
    store.offer(key, longer)
    assert store.offer(key, fake_network(250)) is longer
    assert store.get(key) is longer
    more = fake_network(1000)
    assert store.offer(key, more) is more, "as long a training may take its place"


def test_train_then_stop_keeps_the_longer_network_for_everyone_and_says_so(no_rerun):
    query = {**TINY, "train_steps": "200"}
    teacher = open_page("learning", **query)
    teacher.button(key="train").click().run()  # the first chunk of two
    teacher.run()  # the second: done
    assert trained_captions(teacher) and "200 steps" in trained_captions(teacher)[0]

    student = open_page("learning", **query)
    student.button(key="train").click().run()  # one chunk of 100 steps
    student.button(key="stop_training").click().run()
    assert_no_exception(student)
    assert "200 steps" in trained_captions(student)[0]
    assert any("Stopped at step 100" in info.value for info in student.info)
    assert (
        len(training_store.trained_score(Settings(dataset="two_moons", train_steps=200, seed=7)).losses)
        == 200
    )


def test_the_store_keeps_its_stated_number_of_networks_the_least_recently_used_dropped():
    store = training_store.NetworkStore(3)
    for step in range(1, 6):
        store.offer(("gaussian", step, 0), fake_network(step))
        if step == 3:
            store.get(("gaussian", 1, 0))  # used again: it stays
    assert len(store) == 3
    assert store.get(("gaussian", 1, 0)) is not None and store.get(("gaussian", 2, 0)) is None


def test_the_largest_network_fits_the_stated_memory_bound():
    steps = max(OPTIONS["train_steps"].values)
    model = score_net.ScoreNet()
    snapshots = tuple(
        (step, model.state_dict()) for step in (*score_learning.snapshot_steps(steps), steps + 1)
    )
    largest = score_learning.TrainedScore(model.config, snapshots, np.ones(steps, dtype=np.float32))
    assert len(snapshots) == 4  # three snapshots and a stopped training's final state
    assert training_store.network_bytes(largest) <= training_store.NETWORK_BYTES


def test_generating_with_a_network_needs_no_second_lookup_in_the_store():
    settings = Settings(dataset="two_modes", train_steps=20, particles=100, seed=2)
    trained = score_learning.train_score(settings)
    training_store._model_store().clear()  # another session's networks pushed it out meanwhile
    run = training_store.learned(settings, (training_store.network_key(settings), 20), trained)
    assert run.learned.shape[1:] == (100, 2)


def test_the_live_progress_names_the_step_its_loss_curve_has_reached(no_rerun):
    at = open_page("learning", **{**TINY, "train_steps": "500"})
    at.button(key="train").click().run()
    live = chart_specs(at)["live_loss"]
    curve = next(trace for trace in live["data"] if trace["name"] == "loss")
    title = live["layout"]["xaxis"]["title"]["text"]
    assert f"{len(decode(curve['y'])):,} of 500 done" in title
    assert at.get("progress")[0].proto.value == round(100 * len(decode(curve["y"])) / 500)


def test_a_training_left_for_another_page_goes_on_when_the_student_comes_back_and_says_it_paused(no_rerun):
    at = open_page("learning", **{**TINY, "train_steps": "500"})
    at.button(key="train").click().run()  # step 100
    at.switch_page("lessons/home.py").run()
    at.switch_page("lessons/learning.py").run()  # step 200
    assert_no_exception(at)
    assert any("paused at step 100" in info.value for info in at.info)
    assert "200 of 500 done" in chart_specs(at)["live_loss"]["layout"]["xaxis"]["title"]["text"]


def test_a_training_whose_setup_changed_stops_keeps_its_work_and_says_so(no_rerun):
    at = open_page("learning", **{**TINY, "train_steps": "500"})
    at.button(key="train").click().run()  # step 100 on two moons
    at.selectbox(key="dataset").set_value("spiral").run()
    assert_no_exception(at)
    assert any("stopped at step 100 of 500: the setup changed" in info.value for info in at.info)
    assert "live_loss" not in chart_specs(at), "nothing trains for the new setup"
    at.selectbox(key="dataset").set_value("two_moons").run()
    assert trained_captions(at) and "100 steps (stopped early)" in trained_captions(at)[0]
