"""Every "Try this" prompt of lessons 1–4 does what it says: each test sets exactly the setting the
prompt names and asserts the effect it promises, in the readout it names, over seeds. (Lesson 5's are
in test_duality_claims.py, lesson 6's in test_learning_prompts.py.)"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from core import divergence
from lessons import fit, noise_bands, registry, simulate, splitting_model
from lessons.settings import Settings

SEEDS = range(8)
pytestmark = pytest.mark.usefixtures("single_thread")


def prompt_text(page_name: str) -> str:
    return Path(registry.page(page_name).script).read_text()


def final_fit(page_name: str, **changes: object) -> list[tuple[simulate.Run, fit.Fit | None]]:
    """(run, its Fit or None when it blew up) for every seed."""
    page = registry.page(page_name)
    results = []
    for seed in SEEDS:
        settings = replace(page.defaults, seed=seed, **changes)
        run = page.run(settings)
        results.append((run, None if run.divergence else fit.measure(run, settings)))
    return results


def readout(run: simulate.Run, label_start: str) -> float:
    return next(float(value) for label, value in run.readouts if label.startswith(label_start))


# --- lesson 1 -------------------------------------------------------------------------------------


def test_langevin_from_the_target_jiggles_the_particles_and_keeps_the_cloud_in_the_band():
    assert "Start from the **target**" in prompt_text("langevin")
    for run, measured in final_fit("langevin", start="target"):
        assert measured.matches
        assert np.mean(measured.excess <= measured.margin) >= 0.9  # frame after frame, within noise
        moved = np.linalg.norm(run.xs[-1] - run.xs[0], axis=1)
        assert np.median(moved) > 0.5  # every particle wanders; the cloud does not


def test_langevin_at_h_1_on_the_gaussian_settles_at_variance_2_measured_and_closed_form():
    assert "raise **h to 1.0**" in prompt_text("langevin")
    for run, measured in final_fit("langevin", step_size=1.0):
        assert readout(run, "ULA variance, closed form") == pytest.approx(2.0)
        assert readout(run, "ULA variance, measured") == pytest.approx(2.0, abs=0.15)
        assert "too wide" in fit.verdict(measured, stationary=True).text


def test_langevin_on_two_moons_blows_up_at_005_is_off_at_001_and_matches_at_0001():
    assert "At h = 0.05 the run blows up; at **h = 0.01**" in prompt_text("langevin")
    moons = {"dataset": "two_moons", "start": "target"}
    assert all(run.divergence for run, _ in final_fit("langevin", step_size=0.05, **moons))
    assert not any(measured.matches for _, measured in final_fit("langevin", step_size=0.01, **moons))
    assert all(measured.matches for _, measured in final_fit("langevin", step_size=0.001, **moons))


# --- lesson 2 -------------------------------------------------------------------------------------


def test_forward_p_T_is_visibly_not_gaussian_at_T_05_and_is_at_T_4():
    assert "Set **T = 0.5**" in prompt_text("forward")
    short = registry.page("forward").run(replace(registry.page("forward").defaults, t_end=0.5))
    long = registry.page("forward").run(registry.page("forward").defaults)
    assert readout(short, "exact $p_T$: largest") > 0.1
    assert readout(long, "exact $p_T$: largest") < 0.01


def test_forward_euler_at_h_05_ends_too_wide_by_its_closed_form_and_exact_does_not():
    assert "raise **h to 0.5**" in prompt_text("forward")
    for method, variance in [("euler", 1.0 / (1.0 - 0.25)), ("exact", 1.0)]:
        for run, _ in final_fit("forward", method=method, step_size=0.5):
            assert readout(run, "variance per axis at $T$, closed form") == pytest.approx(variance, abs=2e-3)
            assert readout(run, "variance per axis at $T$, measured") == pytest.approx(variance, abs=0.1)


def test_forward_drift_arrows_are_the_same_at_every_time_and_point_home():
    assert "**forward drift −x**" in prompt_text("forward")
    settings = replace(registry.page("forward").defaults, field="forward")
    arrows = simulate.field_arrows(settings, np.array([0.0, 1.0, 4.0]))  # (F, M, 2)
    assert np.allclose(arrows[0], arrows[1]) and np.allclose(arrows[0], arrows[2])
    origins = simulate.arrow_origins()
    away_from_home = np.linalg.norm(origins, axis=1) > 0
    assert (np.sum(arrows[0] * origins, axis=1)[away_from_home] < 0).all()


# --- lesson 4 -------------------------------------------------------------------------------------


def test_backward_error_is_made_near_t_0_and_h_02_makes_it_many_times_larger():
    text = prompt_text("backward")
    assert "near $t = 0$" in text and "Raise **h to 0.2**" in text
    default, coarse = final_fit("backward"), final_fit("backward", step_size=0.2)
    for (_, measured), (_, coarse_fit) in zip(default, coarse, strict=True):
        early = measured.times >= 0.2
        assert np.mean(measured.excess[early] <= measured.margin[early]) >= 0.9
        assert not measured.matches
        assert coarse_fit.excess[-1] > 3 * measured.excess[-1]


def test_backward_at_T_025_starts_above_the_band_and_asks_for_a_longer_T():
    assert "Set **T = 0.25**" in prompt_text("backward")
    for _, measured in final_fit("backward", t_end=0.25):
        assert measured.excess[0] > measured.margin[0]
        assert "longer total time T" in fit.verdict(measured, stationary=False).text


def test_backward_with_lambda_0_has_smooth_paths_and_a_smaller_final_kl_at_this_h():
    assert "Set **λ = 0**" in prompt_text("backward")
    for (ode, ode_fit), (sde, sde_fit) in zip(
        final_fit("backward", lam=0.0), final_fit("backward"), strict=True
    ):
        assert ode_fit.excess[-1] < sde_fit.excess[-1]
        assert roughness(ode.xs) < roughness(sde.xs) / 3


def test_backward_with_either_lambda_comes_nearer_the_data_as_h_shrinks():
    assert "Both reach the data only as h → 0" in prompt_text("backward")
    for lam in (0.0, 1.0):
        coarse = [measured.excess[-1] for _, measured in final_fit("backward", lam=lam)]
        fine = [measured.excess[-1] for _, measured in final_fit("backward", lam=lam, step_size=0.005)]
        assert all(near < far for near, far in zip(fine, coarse, strict=True)), (lam, fine, coarse)


def test_backward_with_dpm_solver_has_under_half_the_final_kl_ignores_lambda_and_is_still_off():
    assert "Choose the **sampler DPM-Solver++(2M)** at the default h" in prompt_text("backward")
    solver, euler = final_fit("backward", sampler="dpm_solver_2m"), final_fit("backward")
    for (_, solver_fit), (_, euler_fit) in zip(solver, euler, strict=True):
        assert solver_fit.excess[-1] < 0.5 * euler_fit.excess[-1]
        assert not solver_fit.matches
    page = registry.page("backward")
    without_noise = page.run(replace(page.defaults, sampler="dpm_solver_2m", lam=0.0))
    np.testing.assert_array_equal(without_noise.xs, solver[0][0].xs)


def roughness(xs: np.ndarray) -> float:
    """Mean squared second difference of the paths between frames: 0 for straight, smooth paths."""
    return float(np.mean(np.diff(xs[:, :200], n=2, axis=0) ** 2))


# --- lesson 3 -------------------------------------------------------------------------------------


def kl_to(settings: Settings, cloud: np.ndarray, t: float) -> float:
    exact = simulate.dataset(settings).diffused(t)
    size = noise_bands.kl_size(len(cloud))
    return (
        divergence.kl_to_exact(torch.from_numpy(cloud[:size]), exact)
        - noise_bands.kl_band(settings, t, size).mean
    )


def test_five_forward_halves_reach_p_t_plus_5h_and_five_backward_halves_bring_it_back_to_p_t():
    assert "**Forward half** five times" in prompt_text("splitting")
    page, away, back = registry.page("splitting"), [], []
    for seed in SEEDS:
        settings = replace(page.defaults, seed=seed)
        cloud, time = splitting_model.split_run(settings).cloud, settings.time
        for press, which in enumerate(["forward"] * 5 + ["backward"] * 5):
            cloud = splitting_model.half_step(settings, cloud, which, seed * 100 + press, time)
            time = splitting_model.time_after(time, which, settings.step_size)
            if press == 4:
                margin = noise_bands.kl_band(settings, time, len(cloud))
                assert kl_to(settings, cloud, time) <= margin.upper - margin.mean  # it is at p_{t+5h}
                away.append(kl_to(settings, cloud, settings.time))
        assert time == pytest.approx(settings.time)
        margin = noise_bands.kl_band(settings, time, len(cloud))
        back.append(kl_to(settings, cloud, settings.time))
        assert back[-1] <= margin.upper - margin.mean  # back at p_t
    assert np.mean(back) < np.mean(away)


def test_split_panels_both_halves_stay_in_the_band_forward_alone_leaves_it_backward_alone_less():
    assert "with both halves the cloud stays at $p_t$" in prompt_text("splitting")
    assert "here too little for the KL to see" in prompt_text("splitting")
    page = registry.page("splitting")
    for seed in SEEDS:
        settings = replace(page.defaults, seed=seed)
        measured = splitting_model.measure_halves(splitting_model.split_run(settings), settings)
        final = {name: values[-1] for name, values in measured.excess.items()}
        assert final["forward + backward"] <= measured.margin
        assert final["forward half only"] > measured.margin
        assert final["backward half only"] < final["forward half only"]
        assert final["backward half only"] <= measured.margin  # "too little for the KL to see"


def test_near_t_0_the_backward_arrows_grow_long_against_the_forward_ones():
    assert "Move **t** close to 0" in prompt_text("splitting")
    page = registry.page("splitting")

    def backward_over_forward(time: float) -> float:
        settings = replace(page.defaults, time=time)
        drifts = splitting_model.drifts_for(settings, splitting_model.split_run(settings).cloud)
        lengths = {name: np.median(np.linalg.norm(drifts[name], axis=1)) for name in ("forward", "backward")}
        return lengths["backward"] / lengths["forward"]

    assert backward_over_forward(0.05) > 2 * backward_over_forward(0.3)


def test_forward_euler_maruyama_at_h_1_is_called_off_and_too_wide_by_the_kl_verdict():
    assert "At **h = 1.0** the KL verdict sees it too" in prompt_text("forward")
    for _, measured in final_fit("forward", method="euler", step_size=1.0):
        assert not measured.matches
        assert "too wide" in fit.verdict(measured, stationary=False).text
