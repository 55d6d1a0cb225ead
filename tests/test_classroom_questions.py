"""Every class-mode prediction question (lessons/questions.py) is well formed, and its answer is what
the engine shows at its revealed setting over 8 seeds, in the readout the answer names."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lessons import duality_model, fit, registry, simulate
from lessons.questions import BY_ID, QUESTIONS, Question
from lessons.settings import parse_value, to_query

SEEDS = range(8)
pytestmark = pytest.mark.usefixtures("single_thread")


def settings_of(question: Question, which: str, seed: int):
    page = registry.page(question.page)
    return replace(page.defaults, seed=seed, **dict(getattr(question, which)))


def runs(question: Question, which: str) -> list[simulate.Run]:
    page = registry.page(question.page)
    return [page.run(settings_of(question, which, seed)) for seed in SEEDS]


def readout(run: simulate.Run, label_start: str) -> float:
    return next(float(value) for label, value in run.readouts if label.startswith(label_start))


@pytest.mark.parametrize("question", QUESTIONS, ids=[question.id for question in QUESTIONS])
def test_every_question_names_its_answer_among_its_choices_and_only_its_pages_allowed_settings(question):
    page = registry.page(question.page)
    assert page.is_lesson and question.answer in question.choices
    for name, value in (*question.asked, *question.revealed):
        assert name in page.controls, name
        text = to_query(replace(page.defaults, **{name: value}), (name,))[name]
        assert parse_value(name, text) == value, (name, value)
    assert dict(question.revealed) != dict(question.asked)


def test_every_question_has_an_engine_check():
    assert set(BY_ID) == set(CHECKS)


def check_langevin_wide_h(question: Question) -> None:
    """'Wider': at h = 1 the measured variance is about 2 (its closed form), at h = 0.05 about 1."""
    for narrow, wide in zip(runs(question, "asked"), runs(question, "revealed"), strict=True):
        assert readout(wide, "ULA variance, closed form") == pytest.approx(2.0)
        assert readout(wide, "ULA variance, measured") == pytest.approx(2.0, abs=0.2)
        assert readout(narrow, "ULA variance, measured") == pytest.approx(1.0, abs=0.15)
    settings = settings_of(question, "revealed", 0)
    measured = fit.measure(runs(question, "revealed")[0], settings)
    assert "too wide" in fit.verdict(measured, stationary=True).text


def check_langevin_moons_blow_up(question: Question) -> None:
    assert all(run.divergence for run in runs(question, "revealed"))
    assert not any(run.divergence for run in runs(question, "asked"))


def check_forward_euler_variance(question: Question) -> None:
    """'Larger than 1': Euler–Maruyama at h = 0.5 ends at variance 4/3 per axis; the exact step at 1."""
    for exact, euler in zip(runs(question, "asked"), runs(question, "revealed"), strict=True):
        assert readout(euler, "variance per axis at $T$, measured") == pytest.approx(4 / 3, abs=0.1)
        assert readout(exact, "variance per axis at $T$, measured") == pytest.approx(1.0, abs=0.1)


def roughness(xs: np.ndarray) -> float:
    """Mean squared second difference of the paths between frames: 0 for straight, smooth paths."""
    return float(np.mean(np.diff(xs[:, :200], n=2, axis=0) ** 2))


def check_backward_ode_paths(question: Question) -> None:
    for sde, ode in zip(runs(question, "asked"), runs(question, "revealed"), strict=True):
        assert roughness(ode.xs) < roughness(sde.xs) / 3


def partner_ratios(question: Question, which: str) -> np.ndarray:
    """Per seed, at t = 0: mean distance of a backward particle to its own forward partner's start
    over that to a random particle's."""
    ratios = []
    for seed in SEEDS:
        settings = settings_of(question, which, seed)
        measured = duality_model.measure(duality_model.duality_run(settings), settings)
        ratios.append(measured.partner["own partner"][0] / measured.partner["random partner"][0])
    return np.array(ratios)


def check_duality_own_start(question: Question) -> None:
    """'No, anywhere in the data': the ratio at t = 0 is near 1."""
    assert np.all(np.abs(partner_ratios(question, "revealed") - 1) < 0.1)


def check_duality_short_time(question: Question) -> None:
    """'Nearer its own': at T = 0.5 the ratio at t = 0 is well below 1."""
    assert np.all(partner_ratios(question, "revealed") < 0.85)


CHECKS = {
    "langevin-wide-h": check_langevin_wide_h,
    "langevin-moons-blow-up": check_langevin_moons_blow_up,
    "forward-euler-variance": check_forward_euler_variance,
    "backward-ode-paths": check_backward_ode_paths,
    "duality-own-start": check_duality_own_start,
    "duality-short-time": check_duality_short_time,
}


@pytest.mark.parametrize("question_id", list(CHECKS))
def test_the_answer_is_what_the_engine_shows_at_the_revealed_setting_over_8_seeds(question_id):
    CHECKS[question_id](BY_ID[question_id])
