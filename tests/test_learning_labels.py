"""Lesson 6's words about time: the fields are compared where the network is really evaluated."""

from __future__ import annotations

import torch
from test_pages import assert_no_exception, open_page

from core import score_net
from lessons import score_learning, training_store
from lessons.settings import Settings


def test_below_t_min_the_network_answers_for_t_min_and_the_fields_are_compared_there():
    model = score_net.ScoreNet(generator=torch.Generator().manual_seed(0)).eval()
    x = torch.randn(5, 2, generator=torch.Generator().manual_seed(1))
    t_min = model.config.t_min
    with torch.no_grad():
        assert torch.equal(model(x, 0.0), model(x, t_min))
    trained = score_learning.train_score(Settings(dataset="two_modes", train_steps=20, seed=1))
    at_zero = score_learning.compare_fields(Settings(dataset="two_modes", time=0.0, seed=1), trained)
    at_t_min = score_learning.compare_fields(Settings(dataset="two_modes", time=t_min, seed=1), trained)
    assert at_zero.time == t_min and at_zero.relative_error == at_t_min.relative_error


def test_the_page_names_the_time_the_fields_are_compared_at():
    training_store._model_store().clear()
    at = open_page("learning", train_steps="50", particles="200", seed="7", time="0")
    at.button(key="train").click().run()
    assert_no_exception(at)
    captions = [caption.value for caption in at.caption]
    assert any(
        text.startswith("At t = 0.01, the smallest time the network was trained for") for text in captions
    )
    assert not any(text.startswith("At t = 0:") for text in captions)
    at.select_slider(key="time").set_value(0.5).run()
    assert any(caption.value.startswith("At t = 0.5:") for caption in at.caption)
