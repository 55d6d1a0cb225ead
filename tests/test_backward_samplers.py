"""Lesson 4's sampler choice (MATH §9): every score-only sampler of the engine runs the backward
lesson from N(0, I) down to t = 0 in the lesson's S = T / h steps, only Euler–Maruyama reads λ, old
links without a sampler keep Euler–Maruyama, and the server's work budget counts a sampler's score
evaluations per step.

Truths used: the engine's own samplers (core.samplers, tested against closed-form moment recursions
in test_samplers.py) run directly; ``core.sde.backward``, the lesson's Euler–Maruyama before the choice
existed; each sampler's count of score evaluations.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from test_pages import assert_no_exception, chart_json, open_page, widget

from core import sde
from core.samplers import SAMPLERS
from lessons import registry, simulate, work_budget
from lessons.settings import SAMPLER_LABELS

LESSON = registry.page("backward")
SCORE_ONLY = tuple(SAMPLER_LABELS)
pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.mark.parametrize("sampler", SCORE_ONLY)
def test_every_sampler_carries_the_noise_from_t_T_to_t_0_in_the_lessons_steps(sampler):
    settings = replace(LESSON.defaults, sampler=sampler, particles=200)
    run = LESSON.run(settings)
    assert run.divergence is None
    assert run.times[0] == pytest.approx(settings.t_end) and run.times[-1] == 0.0
    assert np.all(np.diff(run.times) < 0)
    data = simulate.dataset(settings)
    generator = torch.Generator().manual_seed(settings.seed)
    start = torch.randn(settings.particles, 2, generator=generator)
    direct = SAMPLERS[sampler].sample(
        data, start, t_end=settings.t_end, num_steps=simulate.steps_for(settings), generator=generator
    )
    np.testing.assert_allclose(run.xs[-1], direct.final.numpy(), atol=1e-5)


def test_euler_maruyama_is_the_lessons_run_from_before_the_choice_at_every_lambda():
    for lam in (0.0, 1.0, 2.0):
        settings = replace(LESSON.defaults, lam=lam, particles=200)
        generator = torch.Generator().manual_seed(settings.seed)
        before = sde.backward(
            simulate.dataset(settings).marginal_score,
            torch.randn(settings.particles, 2, generator=generator),
            t_end=settings.t_end,
            num_steps=simulate.steps_for(settings),
            lam=lam,
            generator=generator,
        )
        np.testing.assert_array_equal(LESSON.run(settings).xs[-1], before.final.numpy())


@pytest.mark.parametrize("sampler", [name for name in SCORE_ONLY if name != "euler_maruyama"])
def test_only_euler_maruyama_reads_lambda(sampler):
    runs = [
        LESSON.run(replace(LESSON.defaults, sampler=sampler, lam=lam, particles=200)) for lam in (0.0, 2.0)
    ]
    np.testing.assert_array_equal(runs[0].xs, runs[1].xs)
    euler = [LESSON.run(replace(LESSON.defaults, lam=lam, particles=200)) for lam in (0.0, 2.0)]
    assert not np.allclose(euler[0].xs[-1], euler[1].xs[-1])


def test_the_work_budget_counts_each_samplers_score_evaluations_per_step():
    euler = work_budget.simulation_seconds("backward", LESSON.defaults)
    steps = simulate.steps_for(LESSON.defaults)
    for sampler in SCORE_ONLY:
        seconds = work_budget.simulation_seconds("backward", replace(LESSON.defaults, sampler=sampler))
        assert seconds == pytest.approx(euler * SAMPLERS[sampler].evaluations(steps) / steps)
    assert work_budget.simulation_seconds("backward", replace(LESSON.defaults, sampler="heun")) > 1.9 * euler


def test_a_link_without_a_sampler_opens_euler_maruyama_and_one_naming_heun_restores_it():
    old = open_page("backward", step_size="0.05", particles="200")
    assert widget(old, "sampler").value == "euler_maruyama"
    assert "(Euler–Maruyama)" in _cloud_title(old)
    at = open_page("backward", step_size="0.05", particles="200", sampler="heun")
    assert not at.info, [info.value for info in at.info]
    assert widget(at, "sampler").value == "heun"
    assert at.query_params["sampler"] == "heun"
    assert "(Heun)" in _cloud_title(at)
    assert widget(at, "lam").label.startswith("λ of Euler–Maruyama")
    at.selectbox(key="sampler").set_value("ddim").run()
    assert_no_exception(at)
    assert at.query_params["sampler"] == "ddim" and "(DDIM)" in _cloud_title(at)


def _cloud_title(at) -> str:
    layout = json.loads(chart_json(at, "cloud"))["layout"]
    return " ".join(str(note.get("text", "")) for note in layout.get("annotations", [])) + str(
        layout.get("title", "")
    )
