"""Lesson 7, the sampler race (MATH §9): its runs spend what they say, its page runs at its defaults
within its controls, and every "Try this" prompt does what it says in the readout it names, over
8 seeds (each at the page's 500 particles, a few tenths of a second per seed)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers_apptest import chart_specs
from test_pages import assert_no_exception, chart_json, open_page, particles_of, widget
from test_presenter import font_sizes

from core.samplers import SAMPLERS
from core.time_grids import GRIDS
from lessons import registry, sampler_figures, user_data
from lessons import sampler_model as model
from lessons.settings import GRID_LABELS, OPTIONS, SAMPLER_LABELS, to_query

SEEDS = range(8)
LESSON = registry.page("samplers")
MB = 1_000_000
pytestmark = pytest.mark.usefixtures("single_thread")


def race(**changes: object) -> list[tuple[model.Measured, ...]]:
    """The page's runs at its defaults with ``changes``, for every seed."""
    results = []
    for seed in SEEDS:
        settings = replace(LESSON.defaults, seed=seed, **changes)
        results.append(
            tuple(model.measure(model.run_settings(settings), spec) for spec in model.race_specs(settings))
        )
    return results


def prompt_text() -> str:
    return Path(LESSON.script).read_text()


def test_the_choices_name_every_score_only_sampler_and_every_grid_of_the_engine():
    assert set(SAMPLER_LABELS) == {name for name, s in SAMPLERS.items() if not s.uses_exact_posterior}
    assert set(GRID_LABELS) == set(GRIDS)
    assert OPTIONS["evaluations"].values == model.LADDER


@pytest.mark.parametrize("budget", model.LADDER)
@pytest.mark.parametrize("name", SAMPLERS)
def test_a_run_spends_at_most_its_budget_and_one_more_step_would_exceed_it(name, budget):
    sampler = model.sampler_on(model.RunSpec(name, "log_snr", budget))
    steps = model.steps_within(sampler, budget)
    assert sampler.evaluations(steps) <= budget < sampler.evaluations(steps + 1)


def test_the_race_has_every_sampler_on_the_chosen_grid_and_the_chosen_two_on_all_grids():
    settings = replace(LESSON.defaults, evaluations=20, grid="karras", sampler="ddim", second_sampler="heun")
    specs = model.race_specs(settings)
    keys = {(spec.sampler, spec.grid) for spec in specs}
    assert {(name, "karras") for name in SAMPLER_LABELS} <= keys
    assert {(name, grid) for name in ("ddim", "heun") for grid in GRIDS} <= keys
    assert {spec.budget for spec in specs if spec.sampler != model.FLOOR} == {5, 10, 20}
    assert {spec.budget for spec in specs if spec.sampler == model.FLOOR} == {1, 5, 10, 20}


def test_the_race_chart_draws_values_under_the_band_at_its_foot_and_a_blow_up_as_a_cross():
    line = sampler_figures.Line("a", np.array([5.0, 10.0, 20.0]), np.array([np.nan, 2.0, -0.01]), "#000")
    figure = sampler_figures.race_figure([line], band=0.04, budget=20, ladder=(5, 10, 20))
    (drawn,) = [trace for trace in figure["data"] if trace.get("name") == "a"]
    assert drawn["y"][1] == 2.0 and drawn["y"][2] == pytest.approx(sampler_figures.FOOT * 0.04)
    (cross,) = [trace for trace in figure["data"] if trace.get("name") == sampler_figures.BLEW_UP]
    assert cross["x"] == [5.0]


def test_the_costliest_preset_race_fits_the_work_limit_and_300_own_points_at_200_are_refused_in_words():
    assert model.refusal(replace(LESSON.defaults, dataset="spiral", evaluations=200)) is None
    points = user_data.encode(np.random.default_rng(0).uniform(-2, 2, size=(300, 2)))
    own = replace(LESSON.defaults, dataset="custom", points=points, evaluations=200)
    said = model.refusal(own)
    assert said and "a budget of 100 or fewer" in said
    assert model.refusal(replace(own, evaluations=100)) is None


# --- the page, through AppTest ---------------------------------------------------------------------


def test_the_page_runs_at_its_defaults_with_its_address_and_a_cloud_chart_under_one_megabyte():
    at = open_page("samplers")
    assert not at.error and not at.warning and not at.info
    spec_json = chart_json(at, "cloud")
    assert len(spec_json) < MB and len(chart_json(at, "sampler_race")) < MB
    assert len(particles_of(json.loads(spec_json))) == LESSON.defaults.particles
    assert dict(at.query_params) == to_query(LESSON.defaults, LESSON.controls)
    for name in LESSON.controls:
        assert widget(at, name).value == getattr(LESSON.defaults, name), name
    at.select_slider(key="evaluations").set_value(10).run()
    assert_no_exception(at)
    assert at.query_params["evaluations"] == "10"
    assert "10 eval." in json.loads(chart_json(at, "cloud"))["layout"]["annotations"][0]["text"]


def test_a_link_naming_a_sampler_that_does_not_exist_keeps_the_default_with_a_note():
    at = open_page("samplers", sampler="magic", evaluations="7")
    notes = [info.value for info in at.info]
    assert len(notes) == 2 and all("Ignored" in note for note in notes), notes
    assert widget(at, "sampler").value == LESSON.defaults.sampler
    assert widget(at, "evaluations").value == LESSON.defaults.evaluations


def test_presenter_mode_hides_the_prose_and_sets_every_chart_text_at_projector_size():
    at = open_page("samplers")
    prose = len(at.markdown)
    at.toggle(key="presenter").set_value(True).run()
    assert_no_exception(at)
    assert len(at.markdown) < prose
    for key, chart in chart_specs(at).items():
        sizes = font_sizes(chart["layout"])
        assert sizes and min(sizes) >= 20, (key, sizes)


# --- the Try this prompts --------------------------------------------------------------------------


def panel_runs(results: tuple[model.Measured, ...], **changes: object) -> tuple[model.Measured, ...]:
    return model.panels(replace(LESSON.defaults, **changes), results)


def test_prompt_the_log_snr_grid_brings_both_clouds_from_off_to_within_noise_at_50_evaluations():
    assert "to **log-SNR**: with the same budget both come within" in prompt_text()
    margin = model.margin(LESSON.defaults)
    for uniform, log_snr in zip(race(), race(grid="log_snr"), strict=True):
        assert all(run.excess > margin for run in panel_runs(uniform)[:2])
        assert all(run.excess <= margin for run in panel_runs(log_snr, grid="log_snr")[:2])


def test_prompt_at_10_evaluations_on_log_snr_euler_maruyama_is_off_and_dpm_solver_several_times_closer():
    assert "lower the **budget to 10**" in prompt_text()
    margin = model.margin(LESSON.defaults)
    for results in race(grid="log_snr", evaluations=10):
        euler, dpm, _ = panel_runs(results, grid="log_snr", evaluations=10)
        assert euler.excess > margin
        assert dpm.excess < euler.excess / 3


def test_prompt_ddim_reads_at_least_a_quarter_lower_than_euler_on_the_probability_flow_ode():
    assert "Choose **DDIM** and **Euler (probability-flow ODE)**" in prompt_text()
    choice = {"sampler": "ddim", "second_sampler": "probability_flow"}
    for results in race(**choice):
        ddim, euler, _ = panel_runs(results, **choice)
        assert ddim.excess < 0.75 * euler.excess  # measured: 0.42–0.66 × over seeds 0–7


def test_prompt_the_exact_posterior_panel_is_within_noise_after_one_step_and_one_evaluation():
    assert "**exact posterior** panel: one step, one evaluation" in prompt_text()
    margin = model.margin(LESSON.defaults)
    for results in race(evaluations=5):
        floor = panel_runs(results, evaluations=5)[-1]
        assert (floor.steps, floor.evaluations) == (1, 1)
        assert floor.excess <= margin


# --- the animated clouds -----------------------------------------------------------------------------


def test_the_animation_starts_every_panel_from_the_same_noise_and_ends_on_the_measured_cloud():
    settings = replace(LESSON.defaults, sampler="heun", second_sampler="ddpm", evaluations=20)
    key = model.run_settings(settings)
    shown = model.panels(settings, race(sampler="heun", second_sampler="ddpm", evaluations=20)[0])
    animations = [model.animate(key, run.spec, settings.evaluations) for run in shown]
    frames = len(model.allowances(settings.evaluations))
    for run, xs in zip(shown, animations, strict=True):
        assert xs.shape == (frames, settings.particles, 2)
        np.testing.assert_array_equal(xs[0], animations[0][0])
        np.testing.assert_array_equal(xs[-1], run.cloud)
    floor = animations[-1]  # one step, one evaluation: done from the first frame that allows it
    assert model.allowances(20)[1] == 1
    np.testing.assert_array_equal(floor[1], floor[-1])
    assert not np.array_equal(floor[0], floor[1])


def test_each_frame_shows_the_last_step_whose_evaluations_fit_what_the_frame_allows():
    heun = model.sampler_on(model.RunSpec("heun", "uniform", 20))
    steps = model.steps_within(heun, 20)
    spent = model.spent_after(heun, steps)
    assert spent[:3] == [0, 2, 4] and spent[-1] == heun.evaluations(steps) <= 20
    assert model.allowances(200) == list(range(0, 201, 10))
    assert model.allowances(5) == [0, 1, 2, 3, 4, 5]
    settings = replace(LESSON.defaults, particles=100)
    spec = model.RunSpec("heun", "uniform", 20)
    xs = model.animate(model.run_settings(settings), spec, 20)
    full = heun.sample(
        model.dataset(settings),
        torch.randn(100, 2, generator=torch.Generator().manual_seed(settings.seed)),
        t_end=model.T_END,
        num_steps=steps,
        generator=torch.Generator().manual_seed(settings.seed),
    )
    # frame k allows k evaluations: Heun's j-th step is done once 2 j fit; Heun's ODE is deterministic,
    # so a run from the same start replays the animated one step by step
    for k, allowed in enumerate(model.allowances(20)):
        j = max(i for i, cost in enumerate(spent) if cost <= allowed)
        np.testing.assert_allclose(xs[k], full.xs[j].numpy(), atol=1e-6)


def test_the_page_animates_the_clouds_with_a_slider_of_evaluations_spent():
    at = open_page("samplers")
    spec = json.loads(chart_json(at, "cloud"))
    labels = [step["label"] for step in spec["layout"]["sliders"][0]["steps"]]
    budget = LESSON.defaults.evaluations
    assert labels[0] == f"0 of {budget} score evaluations spent"
    assert labels[-1] == f"{budget} of {budget} score evaluations spent"
    assert len(spec["frames"]) == len(labels) == len(model.allowances(budget))
