"""The work budget: a run's cost estimated before it starts, in proportion to particles × steps and to
the mixture's components; the costliest URL of issue 17 refused in words before any step runs; every
lesson's defaults within the budget."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_pages import open_page

from core import sde
from lessons import registry, user_data, work_budget
from lessons.settings import Settings

OWN_POINTS = user_data.encode(user_data.standardized(np.random.default_rng(1).normal(size=(300, 2)), 0.05))
COSTLIEST = {  # issue 17: own data of 300 points, σ₀ = 0.05, 10,000 particles, h = 0.002, T = 8, λ = 2
    "dataset": "custom",
    "points": OWN_POINTS,
    "bandwidth": "0.05",
    "particles": "10000",
    "step_size": "0.002",
    "t_end": "8",
    "lam": "2",
}
SIMULATED = [page for page in registry.LESSONS if page.run is not None]


def simulation_part(page_name: str, settings: Settings) -> float:
    return work_budget.simulation_seconds(page_name, settings)


@pytest.mark.parametrize("page_name", ["langevin", "forward", "backward", "duality"])
def test_the_simulation_estimate_doubles_with_the_particles_and_with_the_steps(page_name):
    base = replace(registry.page(page_name).defaults, particles=1000, step_size=0.02, num_steps=200)
    more_particles = replace(base, particles=2000)
    more_steps = replace(base, num_steps=400) if page_name == "langevin" else replace(base, step_size=0.01)
    assert simulation_part(page_name, more_particles) == pytest.approx(2 * simulation_part(page_name, base))
    assert simulation_part(page_name, more_steps) == pytest.approx(2 * simulation_part(page_name, base))


def test_the_estimate_grows_with_the_mixture_components_as_calibrated():
    few, many = Settings(dataset="eight_gaussians"), Settings(dataset="two_moons")  # K = 8 and 160
    a, b = work_budget.SIMULATION_NS["backward"]
    ratio = simulation_part("backward", many) / simulation_part("backward", few)
    assert ratio == pytest.approx((a + 160 * b) / (a + 8 * b))


def test_own_data_is_charged_its_noise_bands_and_presets_are_not():
    preset = Settings(dataset="two_moons")
    own = Settings(dataset="custom", points=OWN_POINTS, bandwidth=0.05)
    assert work_budget.readout_seconds("backward", own) > 2 * work_budget.readout_seconds("backward", preset)


@pytest.mark.parametrize("page", SIMULATED, ids=lambda page: page.name)
def test_every_lesson_default_is_within_the_budget(page):
    assert work_budget.estimate(page.name, page.defaults).affordable


@pytest.mark.parametrize("page", SIMULATED, ids=lambda page: page.name)
def test_every_lesson_default_on_own_data_is_within_the_budget(page):
    own = replace(page.defaults, dataset="custom", points=OWN_POINTS, bandwidth=0.05)
    assert work_budget.estimate(page.name, own).affordable


def test_the_costliest_url_is_estimated_well_above_the_budget_and_refused_in_words():
    settings = Settings(
        dataset="custom",
        points=OWN_POINTS,
        bandwidth=0.05,
        particles=10000,
        step_size=0.002,
        t_end=8.0,
        lam=2.0,
    )
    assert work_budget.estimate("backward", settings).seconds > 3 * work_budget.BUDGET_S
    said = work_budget.refusal("backward", settings)
    assert said.startswith("10,000 particles × 4,000 steps on your own data of 300 points would take about")
    assert "this page runs at most about 3 s" in said
    assert "particles or fewer" in said and "step size h of" in said


def test_a_refusals_advice_fits_the_budget():
    settings = Settings(dataset="two_moons", particles=10000, step_size=0.002, t_end=8.0)
    said = work_budget.refusal("backward", settings)
    particles = int(said.split("use ")[1].split(" particles")[0].replace(",", ""))
    assert work_budget.estimate("backward", replace(settings, particles=particles)).affordable


@pytest.mark.parametrize("page_name", ["backward", "duality"])
def test_the_costliest_url_is_refused_before_any_step_runs(page_name, monkeypatch):
    def no_step(*args, **kwargs):
        raise AssertionError("a step ran")

    at = open_page("home")  # the home page's own picture steps; the lesson's run must not
    monkeypatch.setattr(sde, "backward", no_step)
    monkeypatch.setattr(sde, "forward", no_step)
    for name, value in COSTLIEST.items():
        at.query_params[name] = value
    at.switch_page(f"lessons/{page_name}.py").run()
    assert not at.exception, [exception.message for exception in at.exception]
    refusals = [warning.value for warning in at.warning if "would take about" in warning.value]
    assert len(refusals) == 1
    assert refusals[0].startswith("10,000 particles × 4,000 steps on your own data of 300 points")


def test_lesson_6_generation_at_its_defaults_fits_and_at_10000_particles_is_refused_in_words():
    defaults = registry.page("learning").defaults
    assert work_budget.generation_refusal(defaults, networks=4) is None
    said = work_budget.generation_refusal(replace(defaults, particles=10000), networks=4)
    assert said.startswith("Generating 10,000 particles with the exact score and 4 networks would take about")
    assert said.endswith("particles or fewer.")


def test_a_mala_run_is_costed_as_mala_factor_ula_runs():
    ula = registry.page("langevin").defaults
    mala = replace(ula, langevin_step="mala")
    ratio = work_budget.simulation_seconds("langevin", mala) / work_budget.simulation_seconds("langevin", ula)
    assert ratio == pytest.approx(work_budget.MALA_FACTOR)


def test_a_refused_cost_never_reads_as_the_limit_it_exceeds():
    just_over = replace(registry.page("learning").defaults, particles=10000)
    cost = work_budget.generation_seconds(just_over, 3)
    assert work_budget.BUDGET_S < cost < work_budget.BUDGET_S + 0.5, cost  # the case that read "about 3 s"
    said = work_budget.generation_refusal(just_over, 3)
    stated = float(said.split("would take about ")[1].split(" s ")[0])
    limit = float(said.split("runs at most about ")[1].split(" s ")[0])
    assert stated > limit, said
    assert work_budget.seconds_in_words(14.2) == "15 s" and work_budget.seconds_in_words(3.04) == "3.1 s"
