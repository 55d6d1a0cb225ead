"""Tests for core.score_net: the learned score s_θ(x, t), its training, and saving/loading.

The exact score of every preset is known (``GaussianMixture.marginal_score``), so the learned field is
compared with the truth rather than with stored numbers. One short training run on ``two_modes`` (an
anisotropic bimodal target, far from N(0, I)) is shared by the tests that need a trained network.
"""

from __future__ import annotations

import dataclasses
import io
import math

import pytest
import torch

from core import datasets, metrics, score_net, sde
from core.score_net import ScoreNet, ScoreNetConfig

TRAINING = {"steps": 600, "batch_size": 512, "lr": 2e-3}


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _relative_error(estimate: torch.Tensor, exact: torch.Tensor) -> float:
    """RMS error over RMS size:  (mean ‖ŝ − s‖² / mean ‖s‖²)^{1/2}."""
    return float(((estimate - exact).square().sum(1).mean() / exact.square().sum(1).mean()).sqrt())


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread, as the app runs (tiny matrices: a second thread only adds overhead)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def two_modes():
    return datasets.make("two_modes")


@pytest.fixture(scope="module")
def trained(two_modes, one_thread):
    """(model, losses) after 600 Adam steps on two_modes (about a second on one core)."""
    return score_net.train(two_modes, **TRAINING, generator=_gen(0))


def test_training_loss_decreases(trained, two_modes):
    model, losses = trained
    assert len(losses) == TRAINING["steps"]
    assert all(math.isfinite(loss) for loss in losses)
    first, last = sum(losses[:50]) / 50, sum(losses[-100:]) / 100
    assert last < 0.9 * first, (first, last)
    # on one large held-out batch (same x₀, t, ε for both): trained beats the untrained network
    x0 = two_modes.sample(20_000, _gen(1))
    with torch.no_grad():
        trained_loss = float(score_net.denoising_loss(model, x0, _gen(2)))
        fresh_loss = float(score_net.denoising_loss(ScoreNet(generator=_gen(0)), x0, _gen(2)))
    assert trained_loss < 0.8 * fresh_loss, (trained_loss, fresh_loss)


@pytest.mark.parametrize("t", [0.5, 0.75, 1.0])
def test_learned_score_is_close_to_the_exact_score_where_p_t_has_mass(trained, two_modes, t):
    model, _ = trained
    x = two_modes.diffused(t).sample(4000, _gen(3))  # where p_t has mass
    exact = two_modes.marginal_score(x, t)
    with torch.no_grad():
        learned_error = _relative_error(model(x, t), exact)
        fresh_error = _relative_error(ScoreNet(generator=_gen(0))(x, t), exact)  # the N(0, I) score
    assert learned_error < 0.15, learned_error
    assert learned_error < 0.5 * fresh_error, (learned_error, fresh_error)


def test_trained_model_plugs_into_backward_as_score_fn(trained, two_modes):
    model, _ = trained
    data = two_modes.sample(2000, _gen(4))
    x_start = torch.randn(2000, 2, generator=_gen(5))
    runs = {}
    for name, score_fn in [("learned", model), ("exact", two_modes.marginal_score)]:
        trajectory = sde.backward(score_fn, x_start, t_end=4.0, num_steps=200, lam=1.0, generator=_gen(6))
        assert not trajectory.diverged
        assert trajectory.xs.shape == (201, 2000, 2)
        runs[name] = metrics.sliced_wasserstein(trajectory.final, data, generator=_gen(7))
    start = metrics.sliced_wasserstein(x_start, data, generator=_gen(7))
    assert runs["learned"] < 1.5 * runs["exact"], runs
    assert runs["learned"] < 0.5 * start, (runs, start)
    flow = sde.backward(model, x_start, t_end=4.0, num_steps=50, lam=0.0)  # probability-flow ODE
    assert not flow.diverged


def test_fresh_network_gives_the_standard_gaussian_score():
    model = ScoreNet(generator=_gen(0))
    x = torch.randn(100, 2, generator=_gen(1))
    for t in [0.0, 0.01, 0.3, 2.0, 10.0]:
        torch.testing.assert_close(model(x, t), -x)


def test_time_may_be_a_number_or_one_time_per_row_and_is_clamped():
    model, _ = score_net.train(datasets.make("eight_gaussians"), steps=20, batch_size=64, lr=1e-3)
    config = model.config
    x = torch.randn(50, 2, generator=_gen(2))
    times = torch.linspace(0.05, 3.0, 50)
    with torch.no_grad():
        per_row = model(x, times)
        one_by_one = torch.cat([model(x[i : i + 1], float(t)) for i, t in enumerate(times)])
        torch.testing.assert_close(per_row, one_by_one)
        assert torch.isfinite(model(x, 0.0)).all()
        assert torch.equal(model(x, 0.0), model(x, config.t_min))
        assert torch.equal(model(x, 100.0), model(x, config.t_max))
    with pytest.raises(ValueError, match="t"):
        model(x, -1.0)
    with pytest.raises(ValueError, match="t"):
        model(x, torch.ones(49))
    with pytest.raises(ValueError, match="x"):
        model(torch.ones(5, 3), 1.0)


def test_training_is_deterministic_for_a_fixed_generator():
    mixture = datasets.make("eight_gaussians")
    state = torch.get_rng_state()
    runs = [score_net.train(mixture, steps=30, batch_size=64, lr=2e-3, generator=_gen(3)) for _ in range(2)]
    assert torch.equal(torch.get_rng_state(), state), "training with a generator used the global RNG"
    (first, first_losses), (second, second_losses) = runs
    assert first_losses == second_losses
    first_state, second_state = first.state_dict(), second.state_dict()
    assert first_state.keys() == second_state.keys()
    assert all(torch.equal(first_state[key], second_state[key]) for key in first_state)
    _, other_losses = score_net.train(mixture, steps=30, batch_size=64, lr=2e-3, generator=_gen(4))
    assert other_losses != first_losses


def test_training_on_a_points_tensor():
    points = torch.randn(40, 2, generator=_gen(5))
    _, losses = score_net.train(points, steps=25, batch_size=32, lr=1e-3, generator=_gen(6))
    assert len(losses) == 25 and all(math.isfinite(loss) for loss in losses)
    single, _ = score_net.train(points[:1], steps=5, batch_size=8, lr=1e-3, generator=_gen(6))
    assert torch.isfinite(single(points, 0.5)).all()


def test_callback_sees_every_step_and_stops_training_by_returning_false():
    mixture = datasets.make("gaussian")
    seen = []
    _, losses = score_net.train(
        mixture, steps=12, batch_size=16, lr=1e-3, generator=_gen(7), callback=lambda s, loss: seen.append(s)
    )
    assert seen == list(range(1, 13)) and len(losses) == 12

    records = []

    def stop_at_seven(step: int, loss: float) -> bool | int:
        records.append((step, loss))
        return step != 7 and 0  # falsy 0 does not stop; only False does

    _, losses = score_net.train(
        mixture, steps=50, batch_size=16, lr=1e-3, generator=_gen(7), callback=stop_at_seven
    )
    assert len(losses) == 7 and [loss for _, loss in records] == losses

    def abort(step: int, loss: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        score_net.train(mixture, steps=5, batch_size=16, lr=1e-3, callback=abort)


def test_warm_start_continues_training_in_place():
    mixture = datasets.make("two_modes")
    model = ScoreNet(generator=_gen(8))
    before = [p.clone() for p in model.parameters()]
    returned, _ = score_net.train(mixture, steps=5, batch_size=32, lr=1e-3, generator=_gen(9), model=model)
    assert returned is model
    assert not all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    with pytest.raises(ValueError, match="config"):
        score_net.train(
            mixture, steps=5, batch_size=32, lr=1e-3, model=model, config=ScoreNetConfig(hidden=8)
        )


def test_training_works_inside_no_grad():
    with torch.no_grad():
        _, losses = score_net.train(datasets.make("gaussian"), steps=3, batch_size=16, lr=1e-3)
    assert len(losses) == 3


def test_save_and_load_round_trip_with_weights_only(trained, tmp_path):
    model, _ = trained
    path = tmp_path / "score.pt"
    score_net.save(model, path)
    payload = torch.load(path, weights_only=True)
    assert set(payload) == {"config", "state_dict"}
    assert payload["config"] == dataclasses.asdict(model.config)
    loaded = score_net.load(path)
    assert loaded.config == model.config and not loaded.training
    x = torch.randn(300, 2, generator=_gen(10))
    with torch.no_grad():
        for t in [0.0, 0.02, 0.5, 3.0]:
            assert torch.equal(loaded(x, t), model(x, t))
    buffer = io.BytesIO()
    score_net.save(model, buffer)
    buffer.seek(0)
    with torch.no_grad():
        assert torch.equal(score_net.load(buffer)(x, 1.0), model(x, 1.0))


def test_save_and_load_keep_a_non_default_config(tmp_path):
    config = ScoreNetConfig(hidden=16, layers=2, embedding_dim=4, fourier_features=3, t_min=0.02, t_max=3.0)
    model = ScoreNet(config, generator=_gen(11))
    score_net.save(model, tmp_path / "small.pt")
    loaded = score_net.load(tmp_path / "small.pt")
    assert loaded.config == config
    assert loaded.num_parameters() == model.num_parameters()


def test_load_rejects_other_files(tmp_path):
    torch.save({"weights": torch.ones(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="path"):
        score_net.load(tmp_path / "other.pt")
    torch.save({"config": {"hidden": 8}, "state_dict": {}}, tmp_path / "partial.pt")
    with pytest.raises(ValueError, match="path"):
        score_net.load(tmp_path / "partial.pt")


def test_parameter_count_is_small():
    assert 2_000 <= ScoreNet().num_parameters() <= 50_000


GOOD = {"steps": 2, "batch_size": 4, "lr": 1e-3}


@pytest.mark.parametrize(
    "name, value",
    [
        ("steps", 0),
        ("steps", -3),
        ("steps", 2.5),
        ("steps", True),
        ("batch_size", 0),
        ("batch_size", -1),
        ("lr", 0.0),
        ("lr", -1e-3),
        ("lr", math.nan),
        ("lr", math.inf),
        ("lr", "fast"),
    ],
)
def test_bad_training_settings_raise_value_error_naming_them(name, value):
    with pytest.raises(ValueError, match=name):
        score_net.train(datasets.make("gaussian"), **{**GOOD, name: value})


@pytest.mark.parametrize(
    "data",
    [
        torch.ones(5, 3),
        torch.ones(0, 2),
        torch.ones(5),
        torch.tensor([[0.0, math.nan]]),
        "moons",
        None,
    ],
)
def test_bad_data_raise_value_error_naming_the_argument(data):
    with pytest.raises(ValueError, match="mixture_or_points"):
        score_net.train(data, **GOOD)


def test_bad_config_or_model_raise_value_error_naming_them():
    mixture = datasets.make("gaussian")
    with pytest.raises(ValueError, match="config"):
        score_net.train(mixture, **GOOD, config={"hidden": 8})
    with pytest.raises(ValueError, match="model"):
        score_net.train(mixture, **GOOD, model=lambda x, t: -x)
    with pytest.raises(ValueError, match="model"):
        score_net.save(lambda x, t: -x, io.BytesIO())


@pytest.mark.parametrize(
    "name, value",
    [
        ("hidden", 0),
        ("layers", 0),
        ("embedding_dim", 3),
        ("embedding_dim", 0),
        ("fourier_features", 0),
        ("fourier_scale", -1.0),
        ("t_min", 0.0),
        ("t_max", math.inf),
    ],
)
def test_bad_config_fields_raise_value_error_naming_them(name, value):
    with pytest.raises(ValueError, match=name):
        ScoreNetConfig(**{name: value})


def test_config_is_frozen_and_checks_the_time_range():
    with pytest.raises(ValueError, match="t_max"):
        ScoreNetConfig(t_min=1.0, t_max=0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ScoreNetConfig().hidden = 3  # type: ignore[misc]
