"""Lesson 1's Langevin step: ULA as before the choice existed, or MALA (MATH §9), whose Metropolis test
removes ULA's step-size bias; its "Try this" prompt is tested over 8 seeds in the readouts it names."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from core import sde
from lessons import fit, registry, simulate
from lessons.settings import parse_query

SEEDS = range(8)
LESSON = registry.page("langevin")
pytestmark = pytest.mark.usefixtures("single_thread")


def readout(run: simulate.Run, label_start: str) -> str:
    return next(value for label, value in run.readouts if label.startswith(label_start))


def test_a_link_without_the_langevin_step_opens_ula_as_before():
    settings, notes = parse_query({"step_size": "1"}, LESSON.defaults)
    assert settings.langevin_step == "ula" and not notes


def test_the_ula_step_is_sde_langevin_particle_for_particle():
    settings = replace(LESSON.defaults, particles=100, num_steps=20)
    run = simulate.langevin_run(settings)
    generator = torch.Generator().manual_seed(settings.seed)
    start = (torch.rand(100, 2, generator=generator) - 0.5) * 6.0  # the "box" start
    expected = sde.langevin(
        simulate.dataset(settings).score,
        start,
        step_size=settings.step_size,
        num_steps=20,
        generator=generator,
        num_frames=simulate.num_frames(100),
    )
    assert torch.equal(torch.from_numpy(run.xs), expected.xs)
    assert not [label for label, _ in run.readouts if "MALA" in label]


def test_a_mala_run_reports_its_acceptance_rate_as_a_fraction_of_proposals():
    run = simulate.langevin_run(replace(LESSON.defaults, particles=100, num_steps=20, langevin_step="mala"))
    rate = float(readout(run, "MALA acceptance rate").rstrip("%")) / 100
    assert 0 < rate < 1


def test_the_cloud_is_titled_by_the_langevin_step_it_runs():
    assert LESSON.cloud_label(LESSON.defaults) == "Langevin (ULA) particles"  # as before the choice
    assert LESSON.cloud_label(replace(LESSON.defaults, langevin_step="mala")) == "Langevin (MALA) particles"
    forward = registry.page("forward")  # a page without the Langevin step control ignores it
    assert forward.cloud_label(replace(forward.defaults, langevin_step="mala")) == forward.cloud_title


def test_prompt_mala_at_h_1_on_the_gaussian_brings_the_variance_back_to_1_and_the_verdict_to_matches():
    assert "switch the **Langevin step** to **MALA**" in Path(LESSON.script).read_text()
    for seed in SEEDS:
        settings = replace(LESSON.defaults, seed=seed, step_size=1.0, langevin_step="mala")
        run = LESSON.run(settings)
        measured = fit.measure(run, settings)
        # 1,000 particles over 20 frames: the variance estimate's sd is about 0.01
        assert float(readout(run, "MALA variance, measured")) == pytest.approx(1.0, abs=0.06)
        assert fit.verdict(measured, stationary=True).kind == "success"
        assert "matches" in fit.verdict(measured, stationary=True).text
        assert float(readout(run, "MALA acceptance rate").rstrip("%")) < 80  # a third of moves refused
