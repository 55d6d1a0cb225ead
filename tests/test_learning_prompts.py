"""Lesson 6's "Try this" prompts do what they say, in the readouts they name, over seeds. Training is
the cost here (about 3 s of one core per 2,000 steps), so each network is trained once for all tests."""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from lessons import registry, score_learning, simulate

SEEDS = range(3)
pytestmark = pytest.mark.usefixtures("single_thread")


@functools.cache
def trained(dataset: str, steps: int, seed: int) -> score_learning.TrainedScore:
    return score_learning.train_score(settings_for(dataset, steps, seed))


def settings_for(dataset: str, steps: int, seed: int, **changes: object):
    return replace(
        registry.page("learning").defaults, dataset=dataset, train_steps=steps, seed=seed, **changes
    )


def prompt_text() -> str:
    return Path(registry.page("learning").script).read_text()


def test_samples_after_2000_steps_are_far_closer_to_the_data_than_after_50():
    assert "Train with **50 steps**, then **2000**" in prompt_text()
    for seed in SEEDS:
        kl = {}
        for steps in (50, 2000):
            settings = settings_for("two_moons", steps, seed)
            run = score_learning.learned_run(settings, trained("two_moons", steps, seed))
            kl[steps] = run.learned_kl
        assert kl[2000] < kl[50] / 3, kl


def test_near_t_0_the_arrows_disagree_most_where_p_t_has_no_mass_and_the_error_map_is_dark_there():
    assert "Move **t** towards 0" in prompt_text()
    for seed in SEEDS:
        settings = settings_for("two_moons", 2000, seed, time=0.05)
        fields = score_learning.compare_fields(settings, trained("two_moons", 2000, seed))
        p_t = simulate.dataset(settings).diffused(fields.time)
        log_p = p_t.log_prob(torch.from_numpy(simulate.arrow_origins())).numpy()
        empty, dense = log_p < log_p.max() + np.log(0.01), log_p > log_p.max() + np.log(0.25)
        disagreement = np.linalg.norm(fields.learned - fields.exact, axis=1)
        assert np.median(disagreement[empty]) > 2 * np.median(disagreement[dense])
        image_log_p = np.log(np.maximum(fields.density.astype(float) / 255.0, 1e-9)) * 2  # √(p/max p) stored
        dark = fields.weighted_error[image_log_p < np.log(0.01)]
        assert dark.max() < 0.1 * fields.weighted_error.max()


def test_the_spiral_is_learned_with_a_larger_relative_error_than_two_moons():
    assert "Try the **Spiral**" in prompt_text()
    errors = {
        dataset: np.mean(
            [
                score_learning.compare_fields(
                    settings_for(dataset, 2000, seed), trained(dataset, 2000, seed)
                ).relative_error
                for seed in SEEDS
            ]
        )
        for dataset in ("two_moons", "spiral")
    }
    assert errors["spiral"] > errors["two_moons"], errors
