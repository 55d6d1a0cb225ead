"""The step-size sweep (MATH §11): the model against the closed forms of core.step_bias over several
seeds, its error growing with h where the step is biased, none with the exact transition, blow-ups
named; its chart; and the Streamlit fragment under AppTest.

Truths used: the closed-form KL of the linear chains (themselves tested against Monte Carlo in
test_step_bias.py); the spread over seeds of the measured error; the exact forward transition, which
has no step-size error at any h.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest
from helpers_apptest import chart_specs
from streamlit.testing.v1 import AppTest
from test_pages import assert_no_exception, open_page

from lessons import (
    noise_bands,
    readout_figures,
    registry,
    simulate,
    sweep_figures,
    sweep_view,
    user_data,
    work_budget,
)
from lessons import step_sweep as model
from lessons.settings import OPTIONS

pytestmark = pytest.mark.usefixtures("single_thread")
NUM_SE = 5.0  # standard errors of the mean over seeds a comparison allows (as in tests/conftest.py)
SEEDS = range(4)
SMALL_KL = 0.1  # nats: below this the estimate's noise is the band's; above it it grows with the KL
LANGEVIN = registry.page("langevin").defaults
FORWARD = registry.page("forward").defaults
BACKWARD = registry.page("backward").defaults
SPLITTING = registry.page("splitting").defaults
DUALITY = registry.page("duality").defaults
GAUSSIAN_CASES = {
    "ULA on N(0, I) from the target": ("langevin", replace(LANGEVIN, dataset="gaussian", start="target")),
    "ULA on N(0, I) from a point": ("langevin", replace(LANGEVIN, dataset="gaussian", start="point")),
    "forward Euler–Maruyama on N(0, I)": ("forward", replace(FORWARD, dataset="gaussian", method="euler")),
    "backward on N(0, I)": ("backward", replace(BACKWARD, dataset="gaussian")),
    "split steps on N(0, I)": ("splitting", replace(SPLITTING, dataset="gaussian")),
    "duality, backward from the forward endpoints on N(0, I)": (
        "duality",
        replace(DUALITY, dataset="gaussian"),
    ),
}
LARGE_STEPS = {"step_size": 0.5, "num_steps": 20}  # h from 0.05 to 2: the biased end of the slider


def _closed_at(sweep: model.Sweep) -> np.ndarray:
    """The closed form at the measured step sizes (P,) (they are on its grid)."""
    at = {h: kl for h, kl in zip(sweep.closed_step_sizes, sweep.closed_errors, strict=True)}
    return np.array([at[h] for h in sweep.step_sizes])


@pytest.mark.parametrize("case", GAUSSIAN_CASES)
def test_the_closed_form_matches_the_measured_error_within_the_band_over_seeds(case):
    page_name, settings = GAUSSIAN_CASES[case]
    sweeps = [model.sweep(page_name, replace(settings, seed=seed, **LARGE_STEPS)) for seed in SEEDS]
    errors = np.array([sweep.errors for sweep in sweeps])  # (seeds, P)
    survived = ~np.isnan(errors).any(0)  # split steps at h = 2 grow without bound: "blew up"
    errors, closed, band = errors[:, survived], _closed_at(sweeps[0])[survived], sweeps[0].band
    mean, se = errors.mean(0), errors.std(0, ddof=1) / math.sqrt(len(SEEDS))
    small = closed <= SMALL_KL
    assert small.sum() >= 3 and (~small).sum() >= 2, "the case must span small and large errors"
    assert np.all(np.abs(mean - closed)[small] <= band), (mean, closed, band)
    assert np.all(np.abs(mean - closed)[~small] <= band + NUM_SE * se[~small]), (mean, closed, se)


def test_the_error_of_ula_on_the_standard_gaussian_grows_with_h():
    _, settings = GAUSSIAN_CASES["ULA on N(0, I) from the target"]
    sweep = model.sweep("langevin", replace(settings, **LARGE_STEPS))
    biased = sweep.step_sizes >= 1.0  # closed form 0.31, 1.7 and 17 nats
    assert np.all(np.diff(sweep.errors[biased]) > 0)
    assert np.all(sweep.errors[biased] > sweep.band)
    assert sweep.errors[0] <= sweep.band  # h = 0.05: KL 3e-4, invisible at 1,000 particles


def test_the_error_of_backward_diffusion_on_two_moons_grows_with_h():
    sweep = model.sweep("backward", replace(BACKWARD, particles=500))
    assert np.all(np.diff(sweep.errors[1:]) > 0), sweep.errors
    assert np.all(sweep.errors[sweep.step_sizes >= 0.01] > sweep.band)
    assert sweep.errors[-1] > 1.0  # h = 0.2: several nats of blur


def test_lesson_5s_sweep_reads_the_backward_cloud_from_the_forward_endpoints_and_grows_with_h():
    settings = replace(DUALITY, particles=500)
    sweep = model.sweep("duality", settings)
    run = registry.page("duality").run(replace(settings, particles=sweep.size))
    assert np.array_equal(model.final_cloud("duality", run), run.backward[0])  # t = 0, started from x_T
    assert sweep.current == DUALITY.step_size
    biased = sweep.step_sizes >= 0.05
    assert np.all(np.diff(sweep.errors[biased]) > 0), sweep.errors
    assert np.all(sweep.errors[biased] > sweep.band), (sweep.errors, sweep.band)
    assert sweep.errors[0] <= sweep.band  # the smallest h: within the noise of exact clouds


def test_the_exact_forward_transition_shows_no_error_where_euler_maruyama_does():
    exact = [model.sweep("forward", replace(FORWARD, seed=seed, **LARGE_STEPS)) for seed in SEEDS]
    mean = np.mean([sweep.errors for sweep in exact], axis=0)
    assert np.all(np.abs(mean) <= exact[0].band), mean
    euler = model.sweep("forward", replace(FORWARD, method="euler", **LARGE_STEPS))
    assert np.all(euler.errors[euler.step_sizes >= 1.0] > euler.band)


def test_the_probability_flow_ode_on_the_standard_gaussian_shows_no_error_at_any_h_as_its_closed_form():
    # on N(0, I) data every p_t is N(0, I): the ODE's drift x + s_t(x) = x − x vanishes, so any step is exact
    settings = replace(BACKWARD, dataset="gaussian", sampler="probability_flow", **LARGE_STEPS)
    sweeps = [model.sweep("backward", replace(settings, seed=seed)) for seed in SEEDS]
    assert np.all(sweeps[0].closed_errors < 1e-12) and len(sweeps[0].closed_errors) > 0
    errors = np.array([sweep.errors for sweep in sweeps])  # (seeds, P)
    assert np.all(np.abs(errors.mean(0)) <= sweeps[0].band)
    euler = model.sweep("backward", replace(settings, sampler="euler_maruyama"))
    assert euler.closed_errors.max() > 10 * euler.band


def test_backward_samplers_without_a_closed_form_draw_none():
    settings = replace(BACKWARD, dataset="gaussian", sampler="dpm_solver_2m", **LARGE_STEPS)
    closed_h, closed, note = model.closed_form("backward", settings, np.array([0.05, 0.5]))
    assert len(closed_h) == len(closed) == 0 and note == ""


def test_mala_from_the_target_shows_no_error_at_any_h_and_has_no_closed_form():
    _, settings = GAUSSIAN_CASES["ULA on N(0, I) from the target"]
    mala = replace(settings, langevin_step="mala", **LARGE_STEPS)
    sweeps = [model.sweep("langevin", replace(mala, seed=seed)) for seed in SEEDS]
    mean = np.mean([sweep.errors for sweep in sweeps], axis=0)
    assert np.all(np.abs(mean) <= sweeps[0].band), mean  # ULA reads 0.3, 1.7 and 17 nats at h = 1, 1.5, 2
    assert len(sweeps[0].closed_step_sizes) == 0 and sweeps[0].closed_note == ""


def test_step_sizes_that_blow_up_are_reported_and_drawn():
    settings = replace(LANGEVIN, dataset="single_point", start="target", step_size=0.005, particles=200)
    sweep = model.sweep("langevin", settings)  # σ² = 0.0025: ULA is unstable for h > 2σ² = 0.005
    assert np.array_equal(sweep.blew_up, sweep.step_sizes > 0.005)
    assert np.all(np.isnan(sweep.errors[sweep.blew_up]))
    assert np.all(np.isfinite(sweep.errors[~sweep.blew_up]))
    figure = sweep_view.sweep_chart(sweep, "#009E73")
    (crosses,) = [trace for trace in figure["data"] if trace.get("name") == sweep_figures.BLEW_UP]
    assert np.array_equal(crosses["x"], sweep.step_sizes[sweep.blew_up])


def test_the_sweep_keeps_the_total_time_skips_runs_beyond_max_steps_and_caps_the_particles():
    settings = replace(BACKWARD, t_end=8.0, step_size=0.002, particles=10_000)
    points = model.point_settings("backward", settings)
    steps = [round(p.t_end / p.step_size) for p in points]
    assert steps == sorted(steps, reverse=True) and max(steps) <= simulate.MAX_STEPS
    assert 0.001 not in [p.step_size for p in points]  # 8,000 steps
    assert {p.particles for p in points} == {noise_bands.kl_size(10_000)}
    assert {p.t_end for p in points} == {8.0}
    langevin = model.point_settings("langevin", LANGEVIN)  # τ = 0.05 × 200 = 10
    assert [p.step_size * p.num_steps for p in langevin] == pytest.approx([10.0] * len(langevin), rel=0.1)
    assert LANGEVIN.step_size in [p.step_size for p in langevin]


def test_every_lessons_defaults_fit_the_3_s_budget_on_every_preset_and_big_own_data_does_not():
    presets = [name for name in OPTIONS["dataset"].values if name != "custom"]
    for page_name, dataset in itertools.product(model.SWEPT_PAGES, presets):
        settings = replace(registry.page(page_name).defaults, dataset=dataset, method="euler")
        assert model.cost(page_name, settings) <= model.COST_BUDGET, (page_name, dataset)
    assert model.seconds(model.COST_BUDGET) == pytest.approx(work_budget.BUDGET_S, rel=0.01)
    points = np.random.default_rng(0).normal(size=(user_data.MAX_POINTS, 2))
    own = replace(BACKWARD, dataset="custom", points=user_data.encode(points), step_size=0.01)
    assert model.cost("backward", own) > model.COST_BUDGET


def test_the_chart_marks_this_h_and_draws_the_closed_form_over_the_band():
    _, settings = GAUSSIAN_CASES["ULA on N(0, I) from the target"]
    sweep = model.sweep("langevin", replace(settings, particles=200, **LARGE_STEPS))
    figure = sweep_view.sweep_chart(sweep, "#009E73")
    names = [trace.get("name") for trace in figure["data"]]
    assert {"closed form", "measured", readout_figures.BAND_LABEL} <= set(names)
    assert figure["layout"]["xaxis"]["type"] == "log"
    (line,) = figure["layout"]["shapes"]
    assert line["x0"] == line["x1"] == 0.5
    band = next(trace for trace in figure["data"] if trace.get("name") == readout_figures.BAND_LABEL)
    assert band["y"] == [sweep.band, sweep.band]


def _sweep_script() -> None:
    """A lesson view in miniature: a fragment that draws its main part, then the sweep."""
    import streamlit as st

    from lessons import registry, sweep_view

    @st.fragment
    def view() -> None:
        page = registry.page(st.session_state["page_name"])
        st.write("the main chart")
        sweep_view.step_sweep(page, st.session_state["settings"])

    view()


def _sweep_app(page_name: str, settings: object) -> AppTest:
    at = AppTest.from_function(_sweep_script, default_timeout=120)
    at.session_state["page_name"], at.session_state["settings"] = page_name, settings
    return at.run()


def test_the_sweep_fragment_renders_its_chart_and_caption_when_switched_on():
    settings = replace(LANGEVIN, dataset="gaussian", particles=200, **LARGE_STEPS)
    at = _sweep_app("langevin", settings)
    assert not at.exception and not chart_specs(at), "the sweep must wait for its switch"
    at.toggle(key="_step_sweep_langevin").set_value(True).run()
    assert not at.exception
    assert "step_sweep_langevin" in chart_specs(at)
    assert any("error in nats" in caption.value for caption in at.caption)


def test_the_sweep_fragment_refuses_in_one_line_a_sweep_that_would_cost_too_much():
    points = np.random.default_rng(0).normal(size=(user_data.MAX_POINTS, 2))
    own = replace(BACKWARD, dataset="custom", points=user_data.encode(points), step_size=0.01)
    at = _sweep_app("backward", own)
    at.toggle(key="_step_sweep_backward").set_value(True).run()
    assert not at.exception and not chart_specs(at)
    (line,) = [caption.value for caption in at.caption]
    assert line.startswith("Step-size sweep skipped")


def test_the_sweep_fragment_says_in_one_line_that_the_exact_transition_has_no_error():
    at = _sweep_app("forward", replace(FORWARD, particles=200))
    assert not at.exception and not at.toggle and not chart_specs(at)
    assert [caption.value for caption in at.caption] == [sweep_view.EXACT_FORWARD]


def test_lesson_5_shows_its_sweep_of_the_backward_run_from_the_forward_endpoints_when_switched_on():
    at = open_page("duality", particles="200")
    assert "step_sweep_duality" not in chart_specs(at)
    at.toggle(key="_step_sweep_duality").set_value(True).run()
    assert_no_exception(at)
    assert "step_sweep_duality" in chart_specs(at)
    assert any(
        caption.value.startswith("The final cloud started from the forward run's own endpoints")
        for caption in at.caption
    )
