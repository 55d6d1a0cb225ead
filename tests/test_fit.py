"""The verdict is right over seeds on biased and on exact runs, names the cause of a gap, and its
KL readout measures the closed-form bias of ULA on a Gaussian (MATH §1, §10)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from lessons import fit, registry

SEEDS = range(20)  # the verdict must be right in >= 95 % of them: at most one miss in 20
pytestmark = pytest.mark.usefixtures("single_thread")


def verdicts(page_name: str, **changes: object) -> list[fit.Verdict]:
    page = registry.page(page_name)
    said = []
    for seed in SEEDS:
        settings = replace(page.defaults, seed=seed, **changes)
        run = page.run(settings)
        said.append(fit.verdict(fit.measure(run, settings), stationary=not run.marginal_times.any()))
    return said


def right(said: list[fit.Verdict], kind: str, advice: str = "") -> float:
    return np.mean([verdict.kind == kind and advice in verdict.text for verdict in said])


@pytest.mark.parametrize(
    ("page_name", "changes", "kind", "advice"),
    [
        ("langevin", {"step_size": 0.5}, "warning", "smaller step size h"),
        ("langevin", {"step_size": 0.01, "num_steps": 1000}, "success", ""),
        ("langevin", {"num_steps": 10}, "warning", "More steps"),
        ("forward", {"method": "exact"}, "success", ""),
        ("forward", {"method": "euler", "step_size": 1.0}, "warning", "smaller step size h"),
        ("backward", {"step_size": 0.2}, "warning", "smaller step size h"),
        ("backward", {"t_end": 0.25}, "warning", "longer total time T"),
    ],
)
def test_the_verdict_is_right_in_19_of_20_seeds_with_the_advice_of_the_cause(
    page_name, changes, kind, advice
):
    assert right(verdicts(page_name, **changes), kind, advice) >= 0.95


def test_the_kl_readout_of_ula_on_a_gaussian_measures_its_closed_form_bias():
    # ULA on N(0, I) settles at N(0, v I), v = 1 / (1 − h/2); in 2D KL = r − 1 − ln r with r = v.
    page, h = registry.page("langevin"), 0.5
    ratio = 1.0 / (1.0 - h / 2.0)
    closed_form = ratio - 1.0 - math.log(ratio)
    finals = []
    for seed in range(12):
        settings = replace(page.defaults, seed=seed, step_size=h)
        finals.append(fit.measure(page.run(settings), settings).excess[-1])
    assert np.mean(finals) == pytest.approx(closed_form, abs=0.015)


def test_an_exact_run_has_no_spread_error_and_a_wide_one_says_too_wide():
    page = registry.page("langevin")
    wide = replace(page.defaults, step_size=0.5)
    measured = fit.measure(page.run(wide), wide)
    assert "too wide" in fit.verdict(measured, stationary=True).text
    exact = replace(page.defaults, start="target", step_size=0.001, num_steps=10)
    measured = fit.measure(page.run(exact), exact)
    low, high = measured.width_band
    assert low <= measured.width <= high
    assert "too" not in fit.verdict(measured, stationary=True).text


def test_a_chain_that_has_not_spread_out_yet_says_too_narrow_and_asks_for_more_steps():
    """Langevin on N(0, I) from a point for τ = 0.5 only: its variance per axis is about 1 − e^{−2τ}
    = 0.63 (MATH §2), a spread about 20 % too narrow, over 8 seeds."""
    page = registry.page("langevin")
    for seed in range(8):
        short = replace(page.defaults, start="point", num_steps=10, seed=seed)
        measured = fit.measure(page.run(short), short)
        said = fit.verdict(measured, stationary=True).text
        assert measured.width < measured.width_band[0]
        assert "too narrow" in said and "more steps" in said.lower(), said


def test_measured_frames_keep_the_first_and_last_and_at_most_twenty():
    assert list(fit.measured_frames(5)) == [0, 1, 2, 3, 4]
    frames = fit.measured_frames(41)
    assert frames[0] == 0 and frames[-1] == 40 and len(frames) <= fit.KL_FRAMES
