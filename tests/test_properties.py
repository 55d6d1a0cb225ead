"""Property tests (hypothesis): the URL parser and the engine's argument checks hold for any input.

Two promises are checked on generated inputs rather than on hand-picked cases:

* a link can only ever name a valid setup: ``parse_query`` turns *any* query parameters into allowed
  settings plus one plain-words note per ignored value, and every allowed setup survives
  ``to_query`` -> ``parse_query``;
* the engine either returns finite results of its documented shapes or raises a concise
  ``ValueError`` (which the app shows as a warning): never ``TypeError``, ``RuntimeError``, NaN or
  inf (which the app can only show as "something went wrong").

Engine arguments are drawn so that every argument passes its check except (usually) one, which is
anything at all: that way the examples reach both the checks and the computation behind them
(``pytest --hypothesis-show-statistics`` shows the split). Boundary cases found by probing the
engine are pinned as explicit examples. Runs are reproducible (``derandomize=True``, no example
database) and small: at most a few points and a dozen steps, since a huge but valid count is slow,
not wrong.
"""

from __future__ import annotations

import math
from dataclasses import fields, replace

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from core import datasets, metrics, sde, shared_cov_kernel
from core.mixture import GaussianMixture
from lessons import user_data
from lessons.settings import FIELD_NAMES, OPTIONS, SEED_MAX, Settings, parse_query, to_query

pytestmark = pytest.mark.usefixtures("single_thread")

PROPERTY = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW, SOME, MANY = 100, 150, 300  # examples per property: the whole file runs in about 10 s

# --- strategies: anything ----------------------------------------------------------------------------

SPECIAL_FLOATS = (
    0.0,
    -0.0,
    5e-324,  # the smallest float64 subnormal
    1e-45,  # about the smallest float32 subnormal
    1e-20,
    1e-10,
    0.5,
    1.0,
    2.0,
    -1.0,
    1e6,
    1e19,
    3.4e38,  # about float32's largest finite value
    3.5e38,  # finite in float64, inf in float32
    1e39,
    1e300,
    1.7976931348623157e308,
    math.nan,
    math.inf,
    -math.inf,
)
numbers = st.one_of(
    st.sampled_from(SPECIAL_FLOATS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-3, 3),
    st.integers(-(2**70), 2**70),
    st.booleans(),
)
"""Python numbers of every kind and size, bools included (``True`` is an ``int``)."""

non_numbers = st.one_of(
    st.none(),
    st.text(max_size=4),
    st.complex_numbers(max_magnitude=10),
    st.just([0.1, 0.2]),
    st.just(np.array([0.1, 0.2])),
    st.just(torch.tensor([0.1, 0.2])),
    st.just(np.float32(0.5)),
    st.just(torch.tensor(0.5)),
)
"""Things that are not one plain number (a few, like ``"0.5"`` or a 0-d tensor, still read as one)."""

scalars = st.one_of(numbers, non_numbers)
counts = st.one_of(st.integers(-3, 12), st.booleans(), st.sampled_from([2.0, 0.5, math.nan]), non_numbers)
"""Step, frame or projection counts: small ints (0 and negatives too), bools, floats, non-numbers."""

coordinates = st.one_of(
    st.floats(-4, 4, width=32),
    st.builds(lambda value, sign: sign * value, st.sampled_from(SPECIAL_FLOATS), st.sampled_from([1, -1])),
)
"""Point coordinates: moderate, tiny, huge (beyond float32 too) and non-finite."""

any_arrays = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.bool_]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
)
"""Arrays of any small shape (empty and 0-d included) and dtype, with any values (NaN, inf)."""


def _clouds(elements: st.SearchStrategy, max_points: int = 5) -> st.SearchStrategy:
    """(N, 2) arrays, 1 <= N <= max_points, as numpy arrays, torch tensors or nested lists."""
    shape = st.tuples(st.integers(1, max_points), st.just(2))
    return st.builds(
        _as, st.sampled_from(["numpy", "torch", "list"]), hnp.arrays(np.float64, shape, elements=elements)
    )


def _as(kind: str, array: np.ndarray) -> object:
    """``array`` as a numpy array, a torch tensor or nested lists."""
    if kind == "torch":
        return torch.from_numpy(np.ascontiguousarray(array))
    return array.tolist() if kind == "list" else array


points_like = st.one_of(_clouds(coordinates), any_arrays, any_arrays.map(np.ndarray.tolist), scalars)
"""Candidate point clouds: (N, 2) with any values, arrays of other shapes, and non-arrays."""

# --- strategies: valid arguments (every check passes; the values may still be extreme) ---------------

FINITE_POSITIVE = tuple(v for v in SPECIAL_FLOATS if math.isfinite(v) and v > 0)
valid_coordinates = st.one_of(
    st.floats(-4, 4, width=32),
    st.builds(
        lambda value, sign: sign * value,
        st.sampled_from([v for v in FINITE_POSITIVE if v <= 3.4e38]),
        st.sampled_from([1, -1]),
    ),
)
valid_points = _clouds(valid_coordinates)
moderate_points = _clouds(st.floats(-4, 4, width=32))
positive = st.one_of(st.floats(1e-3, 2.5), st.sampled_from(FINITE_POSITIVE))
non_negative = st.one_of(st.just(0.0), st.floats(0, 3), st.sampled_from(FINITE_POSITIVE))
valid_counts = st.integers(1, 12)


@st.composite
def arguments(draw, valid: dict[str, st.SearchStrategy], anything: dict[str, st.SearchStrategy]) -> dict:
    """Keyword arguments each drawn from ``valid``, then (usually) one replaced by a draw from ``anything``."""
    values = {name: draw(strategy) for name, strategy in valid.items()}
    broken = draw(st.sampled_from([None, *anything]))
    if broken is not None:
        values[broken] = draw(anything[broken])
    return values


PRESETS = {name: datasets.make(name) for name in ("gaussian", "two_moons", "two_modes", "single_point")}
"""Score functions for the dynamics: a Gaussian, a KDE, an anisotropic pair and a near-delta."""
preset_names = st.sampled_from(sorted(PRESETS))

# --- checks ------------------------------------------------------------------------------------------


def raises_value_error(call, *args, **kwargs) -> object | None:
    """``call(*args, **kwargs)``, or None if it raised ``ValueError``; any other exception propagates.

    Records which of the two happened, for ``pytest --hypothesis-show-statistics``.
    """
    try:
        result = call(*args, **kwargs)
    except ValueError:
        event(f"{call.__name__}: ValueError")
        return None
    event(f"{call.__name__}: returned")
    return result


def finite(tensor: torch.Tensor) -> bool:
    """Whether every entry of ``tensor`` is finite."""
    return bool(torch.isfinite(torch.as_tensor(tensor)).all())


def num_points(value: object) -> int:
    """N of a candidate (N, 2) cloud that the engine accepted."""
    return len(torch.as_tensor(np.asarray(value, dtype=np.float64) if isinstance(value, list) else value))


def assert_valid_trajectory(trajectory: sde.Trajectory, n: int, num_steps: int, start: float, end: float):
    """Times (F,) and frames (F, N, 2) finite; every step taken unless it reports a divergence."""
    times, xs = torch.as_tensor(trajectory.times), trajectory.xs
    frames = len(times)
    assert frames >= 1 and times.shape == (frames,) and xs.shape == (frames, n, 2)
    assert xs.dtype == torch.float32
    assert finite(times), times
    assert finite(xs)
    assert float(times[0]) == start
    if trajectory.divergence is None:
        assert frames == num_steps + 1
        assert math.isclose(float(times[-1]), end, rel_tol=1e-9, abs_tol=1e-300)
        assert bool((xs[1:].square().sum(-1) <= sde.MAX_RADIUS**2).all())
    else:
        assert 1 <= trajectory.divergence.step <= num_steps
        assert frames <= trajectory.divergence.step
        assert trajectory.divergence.message


def assert_finite_mixture(mixture: GaussianMixture, probes: torch.Tensor) -> None:
    """Parameters of documented shapes, weights summing to 1, finite scores and densities at ``probes``."""
    k = mixture.num_components
    assert mixture.weights.shape == (k,) and mixture.means.shape == (k, 2) and mixture.covs.shape == (k, 2, 2)
    assert finite(mixture.weights) and finite(mixture.means) and finite(mixture.covs)
    assert math.isclose(float(mixture.weights.double().sum()), 1.0, abs_tol=1e-4)
    n = len(probes)
    for name, value, shape in [
        ("score", mixture.score(probes), (n, 2)),
        ("log_prob", mixture.log_prob(probes), (n,)),
        ("marginal_score", mixture.marginal_score(probes, 0.5), (n, 2)),
    ]:
        assert value.shape == shape, name
        assert finite(value), f"{name} at {probes.tolist()} is {value.tolist()}"


# --- the URL state -------------------------------------------------------------------------------------

url_texts = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=6),
    st.sampled_from(["", " ", "\t", "\n", " 0.02 ", "nan", "NaN", "-nan", "inf", "-inf", "Infinity"]),
    st.sampled_from(["1e309", "-1e309", "1e-400", "9" * 400, "9" * 5000, "0x10", "1_000", "²", "٣", "１"]),
    st.sampled_from(["True", "TRUE", "yes", "on", "0", "1", "-0", "+1", "1.0", "007", "0.0200000000001"]),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from([v for option in OPTIONS.values() for v in option.values]).map(str),
)
"""URL values: arbitrary unicode, whitespace, NaN/inf spellings, huge numbers and near-miss values."""

url_params = st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8)), url_texts)


def allowed(name: str, value: object) -> bool:
    """Whether ``value`` is an allowed value of control ``name``, with the field's own type."""
    option = OPTIONS[name]
    if option.widget == "seed":
        return type(value) is int and 0 <= value <= SEED_MAX
    if option.widget == "data":  # "" or any text that decodes to own data, as settings.OPTIONS says
        return type(value) is str and (value == "" or user_data.decode(value) is not None)
    return any(type(value) is type(v) and value == v for v in option.values)


allowed_settings = st.builds(
    Settings,
    **{
        name: st.integers(0, SEED_MAX) if option.widget == "seed" else st.sampled_from(option.values)
        for name, option in OPTIONS.items()
    },
)


@settings(PROPERTY, max_examples=MANY)
@given(params=url_params, defaults=allowed_settings)
def test_parse_query_turns_any_url_parameters_into_allowed_settings_and_one_note_per_ignored_value(
    params, defaults
):
    parsed, notes = parse_query(params, defaults)
    assert isinstance(parsed, Settings)
    for field in fields(Settings):
        assert allowed(field.name, getattr(parsed, field.name)), (field.name, getattr(parsed, field.name))
    assert isinstance(notes, list) and all(isinstance(note, str) and note for note in notes)
    noted = {name for name in FIELD_NAMES if any(note.startswith(f"Ignored {name}=") for note in notes)}
    assert len(notes) == len(noted) and noted <= set(params)  # one note per ignored field, no others
    for name in FIELD_NAMES:
        if name not in params or name in noted:
            assert getattr(parsed, name) == getattr(defaults, name), name


@settings(PROPERTY, max_examples=MANY)
@given(chosen=allowed_settings, defaults=allowed_settings, data=st.data())
def test_any_allowed_settings_survive_to_query_and_parse_query(chosen, defaults, data):
    names = tuple(data.draw(st.sets(st.sampled_from(FIELD_NAMES)), label="names"))
    query = to_query(chosen, names)
    assert set(query) == set(names) and all(isinstance(text, str) for text in query.values())
    parsed, notes = parse_query(query, defaults)
    assert notes == []
    assert parsed == replace(defaults, **{name: getattr(chosen, name) for name in names})
    for name in FIELD_NAMES:  # 1 == 1.0 == True: equality alone would hide a wrong type
        assert type(getattr(parsed, name)) is type(getattr(defaults, name)), name
    assert parse_query(to_query(chosen, FIELD_NAMES), Settings()) == (chosen, [])


# --- the engine: mixtures and datasets -------------------------------------------------------------

EYE = np.eye(2)


@st.composite
def covariances(draw, k: int) -> np.ndarray:
    """K symmetric positive definite 2x2 matrices of one scale between 1e-30 and 1e30."""
    scale = draw(st.sampled_from([1e-30, 1e-20, 1e-10, 1e-3, 1.0, 1e3, 1e10, 1e19, 1e30]))
    a = draw(hnp.arrays(np.float64, k, elements=st.floats(0.01, 10))) * scale
    c = draw(hnp.arrays(np.float64, k, elements=st.floats(0.01, 10))) * scale
    b = draw(hnp.arrays(np.float64, k, elements=st.floats(-0.999, 0.999))) * np.sqrt(a * c)
    return np.stack([np.stack([a, b], -1), np.stack([b, c], -1)], -2)


@st.composite
def mixture_parameters(draw) -> dict[str, object]:
    """weights, means and covs of matching shapes and valid values, often with one of them broken."""
    k = draw(st.integers(1, 4))
    weights = draw(hnp.arrays(np.float64, k, elements=st.floats(0.01, 1)))
    valid = {
        "weights": st.just(weights / weights.sum()),
        "means": hnp.arrays(np.float64, (k, 2), elements=valid_coordinates),
        "covs": covariances(k),
    }
    one_broken_entry = covariances(k).flatmap(
        lambda covs: st.builds(_with_entry, st.just(covs), st.integers(0, 4 * k - 1), numbers)
    )
    anything = {
        "weights": st.one_of(points_like, hnp.arrays(np.float64, k), scalars),
        "means": st.one_of(points_like, hnp.arrays(np.float64, (k, 2))),
        "covs": st.one_of(any_arrays, scalars, hnp.arrays(np.float64, (k, 2, 2)), one_broken_entry),
    }
    return draw(arguments(valid, anything))


def _with_entry(array: np.ndarray, index: int, value: object) -> np.ndarray:
    """A copy of ``array`` whose flat entry ``index`` is ``value``."""
    array = array.copy()
    array.flat[index] = value
    return array


@settings(PROPERTY, max_examples=MANY)
@given(parameters=mixture_parameters())
@example(  # components ±1e20 apart: ½ μᵀ P μ overflows float32, every responsibility is NaN
    parameters={"weights": [0.5, 0.5], "means": [[0.0, 1e20], [0.0, -1e20]], "covs": np.stack([EYE, EYE])}
)
@example(parameters={"weights": [1.0], "means": [[0.0, 1e19]], "covs": EYE[None] * 1e-20})  # μᵀP overflows
@example(  # det Σ = inf − inf = NaN in float32, and NaN <= bound is False: the check lets it through
    parameters={"weights": [1.0], "means": [[0.0, 0.0]], "covs": [[[1e30, 5e29], [5e29, 1e30]]]}
)
def test_gaussian_mixture_is_finite_at_the_origin_and_its_means_or_raises_value_error(parameters):
    mixture = raises_value_error(GaussianMixture, **parameters)
    if mixture is not None:
        assert_finite_mixture(mixture, torch.cat([torch.zeros(1, 2), mixture.means]))


@settings(PROPERTY, max_examples=MANY)
@given(
    weights=hnp.arrays(np.float64, 3, elements=st.floats(0.01, 1)),
    means=hnp.arrays(np.float64, (3, 2), elements=st.floats(-1e3, 1e3)),
    cov=covariances(1),
    t=non_negative,
    x=moderate_points,
)
def test_logit_bound_of_any_shared_covariance_mixture_holds_at_any_time_and_point(weights, means, cov, t, x):
    # the shared-covariance score exponentiates its logits unshifted when this bound allows it
    mixture = raises_value_error(GaussianMixture, weights / weights.sum(), means, np.repeat(cov, 3, axis=0))
    if mixture is None:
        return
    points = torch.as_tensor(np.asarray(x, dtype=np.float32))  # (N, 2)
    decay = math.exp(-t)
    cov_t = decay**2 * mixture.covs[0].double() + -math.expm1(-2 * t) * torch.eye(2, dtype=torch.float64)
    diffused_means = decay * mixture.means.double()
    pulled = diffused_means @ torch.linalg.inv(cov_t)  # (K, 2)
    biases = mixture.weights.double().log() - 0.5 * (pulled * diffused_means).sum(-1)
    kernel = shared_cov_kernel.SharedCovKernel(mixture.log_weights, mixture.means, mixture.covs[0])
    offset, slope = kernel.logit_bound(t)
    assert float(biases.abs().max()) <= offset * (1 + 1e-6) + 1e-9, (biases, offset)
    products = points.double() @ pulled.T  # (N, K)
    reach = slope * points.double().abs().amax(1) * (1 + 1e-6) + 1e-9
    assert (products.abs().amax(1) <= reach).all(), (products, slope)


@settings(PROPERTY, max_examples=MANY)
@given(
    name=preset_names,
    call=arguments({"x": valid_points, "t": non_negative}, {"x": points_like, "t": scalars}),
)
@example(name="two_modes", call={"x": [[1e19, 0.0]], "t": 0.5})  # score: every log-responsibility -inf
@example(name="two_modes", call={"x": [[1e20, 0.0]], "t": 0.5})  # marginal_score too
def test_preset_scores_are_finite_at_any_finite_points_or_raise_value_error(name, call):
    mixture, x = PRESETS[name], call["x"]
    score = raises_value_error(mixture.score, x)
    if score is not None:
        assert score.shape == (num_points(x), 2) and finite(score), (x, score)
    marginal = raises_value_error(mixture.marginal_score, **call)
    if marginal is not None and finite(torch.as_tensor(np.asarray(x, dtype=np.float64)).float()):
        # marginal_score leaves the finiteness of x (as float32) to its caller, as documented
        assert marginal.shape == (num_points(x), 2) and finite(marginal), (call, marginal)


@settings(PROPERTY, max_examples=SOME)
@given(
    call=arguments(
        {"points": valid_points, "bandwidth": positive}, {"points": points_like, "bandwidth": scalars}
    )
)
@example(call={"points": [[0.0, 1e20], [0.0, -1e20]], "bandwidth": 0.1})  # ½ μᵀ P μ overflows float32
def test_from_points_builds_a_finite_kde_or_raises_value_error(call):
    mixture = raises_value_error(datasets.from_points, **call)
    if mixture is not None:
        assert mixture.num_components == num_points(call["points"])
        assert_finite_mixture(mixture, torch.cat([torch.zeros(1, 2), mixture.means]))


@settings(PROPERTY, max_examples=SOME)
@given(
    call=arguments(
        {"points": valid_points, "bandwidth": st.floats(0.01, 0.99)},
        {"points": points_like, "bandwidth": st.one_of(scalars, positive)},
    )
)
@example(call={"points": [[3e38, 0.0], [3e38, 1.0]], "bandwidth": 0.1})  # the mean overflows: NaN
@example(call={"points": [[1e20, 0.0], [-1e20, 1.0]], "bandwidth": 0.1})  # the spread overflows: all 0
def test_standardize_gives_centred_points_of_unit_kde_spread_or_raises_value_error(call):
    out = raises_value_error(datasets.standardize, **call)
    if out is None:
        return
    bandwidth = float(call["bandwidth"])
    assert out.shape == (num_points(call["points"]), 2) and finite(out), out
    spread = float(out.double().square().mean())  # ½ trace of the covariance of the centred points
    assert out.double().mean(0).abs().max() <= 1e-3, out
    assert math.isclose(spread + bandwidth**2, 1.0, rel_tol=1e-3), (spread, bandwidth)


PRESET_OPTIONS = {"std": positive, "sigma": positive, "spread": positive, "bandwidth": st.floats(0.01, 0.99)}
point_counts = st.one_of(
    st.integers(-3, 3),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    non_numbers,
    st.sampled_from([10**12, 2**62, 2**63]),  # far too many: torch refuses them at once, allocating nothing
)
"""Anything for num_points but a large valid count (10**8 points would be slow, not wrong)."""


@st.composite
def preset_calls(draw) -> dict[str, object]:
    """``datasets.make`` arguments: a preset with valid options, usually with the name or one option broken."""
    name = draw(st.sampled_from(sorted(datasets.DATASETS)))
    builder_options = [o for o in datasets.inspect.signature(datasets.DATASETS[name]).parameters][1:]
    valid = {o: st.integers(2, 40) if o == "num_points" else PRESET_OPTIONS[o] for o in builder_options}
    anything = {o: point_counts if o == "num_points" else scalars for o in valid}
    options = draw(arguments({o: s for o, s in valid.items() if draw(st.booleans())}, anything))
    broken = draw(st.sampled_from(["nothing", "name", "option name"]))
    if broken == "name":
        name = draw(st.one_of(st.text(max_size=12), non_numbers))
    elif broken == "option name":
        options[draw(st.text(max_size=6))] = draw(scalars)
    return {"name": name, **options}


@settings(PROPERTY, max_examples=MANY)
@given(call=preset_calls())
@example(call={"name": "eight_gaussians", "std": "0.1"})  # std ** 2 of a str: TypeError
@example(call={"name": "eight_gaussians", "std": None})  # TypeError
@example(call={"name": "two_moons", "num_points": 10**12})  # cannot allocate: RuntimeError
@example(call={"name": "two_moons", "num_points": 2**63})  # beyond int64: TypeError
@example(call={"name": ["two_moons"]})  # unhashable name: TypeError
def test_make_builds_a_finite_preset_or_raises_value_error(call):
    mixture = raises_value_error(datasets.make, **call)
    if mixture is not None:
        assert_finite_mixture(mixture, torch.cat([torch.zeros(1, 2), mixture.means[:8]]))


# --- the engine: dynamics and metrics ----------------------------------------------------------------


@settings(PROPERTY, max_examples=SOME)
@given(
    name=preset_names,
    call=arguments(
        {"x0": valid_points, "step_size": positive, "num_steps": valid_counts, "num_frames": st.none()},
        {"x0": points_like, "step_size": scalars, "num_steps": counts, "num_frames": counts},
    ),
)
@example(name="gaussian", call={"x0": [[0.0, 0.0]], "step_size": 0.1, "num_steps": 5, "num_frames": "3"})
@example(name="gaussian", call={"x0": [[0.0, 0.0]], "step_size": 0.1, "num_steps": 5, "num_frames": [3]})
@example(  # RuntimeError: Boolean value of Tensor with more than one value is ambiguous
    name="gaussian",
    call={"x0": [[0.0, 0.0]], "step_size": 0.1, "num_steps": 5, "num_frames": torch.tensor([3, 4])},
)
def test_langevin_returns_finite_frames_or_raises_value_error(name, call):
    run = raises_value_error(sde.langevin, PRESETS[name].score, **call, generator=torch.Generator())
    if run is None:
        return
    if call["num_frames"] is None:
        end = float(call["step_size"]) * call["num_steps"]
        assert_valid_trajectory(run, num_points(call["x0"]), call["num_steps"], 0.0, end)
    else:
        assert finite(run.xs) and finite(torch.as_tensor(run.times)) and len(run.times) == len(run.xs)


@settings(PROPERTY, max_examples=SOME)
@given(
    exact=st.booleans(),
    call=arguments(
        {"x0": valid_points, "t_end": positive, "num_steps": valid_counts},
        {"x0": points_like, "t_end": scalars, "num_steps": counts},
    ),
)
@example(exact=True, call={"x0": [[0.0, 0.0]], "t_end": 1e308, "num_steps": 3})  # times: T·k overflows
def test_forward_returns_finite_frames_or_raises_value_error(exact, call):
    run = raises_value_error(sde.forward, **call, exact=exact, generator=torch.Generator())
    if run is not None:
        assert_valid_trajectory(run, num_points(call["x0"]), call["num_steps"], 0.0, float(call["t_end"]))


@settings(PROPERTY, max_examples=SOME)
@given(
    name=preset_names,
    call=arguments(
        {"x_start": valid_points, "t_end": positive, "num_steps": valid_counts, "lam": non_negative},
        {"x_start": points_like, "t_end": scalars, "num_steps": counts, "lam": scalars},
    ),
)
@example(name="gaussian", call={"x_start": [[0.0, 0.0]], "t_end": 3.5e38, "num_steps": 1, "lam": 1.0})
def test_backward_returns_finite_frames_or_raises_value_error(name, call):
    run = raises_value_error(sde.backward, PRESETS[name].marginal_score, **call, generator=torch.Generator())
    if run is not None:
        start = float(call["t_end"])
        assert_valid_trajectory(run, num_points(call["x_start"]), call["num_steps"], start, 0.0)


@settings(PROPERTY, max_examples=SOME)
@given(
    name=preset_names,
    call=arguments(
        {"x": valid_points, "t": non_negative, "step_size": positive, "lam": non_negative},
        {"x": points_like, "t": scalars, "step_size": scalars, "lam": scalars},
    ),
)
@example(name="gaussian", call={"x": [[1.0, 1.0]], "t": 0.0, "step_size": 1e20, "lam": 1.0})  # inf
def test_split_step_returns_two_finite_halves_or_raises_value_error(name, call):
    halves = raises_value_error(
        sde.split_step, PRESETS[name].marginal_score, **call, generator=torch.Generator()
    )
    if halves is None:
        return
    assert len(halves) == 2
    for half in halves:
        assert half.shape == (num_points(call["x"]), 2) and finite(half), (call, half)


@settings(PROPERTY, max_examples=FEW)
@given(
    call=arguments({"x": valid_points, "step_size": positive}, {"x": points_like, "step_size": scalars}),
)
def test_forward_half_returns_finite_points_or_raises_value_error(call):
    y = raises_value_error(sde.forward_half, **call, generator=torch.Generator())
    if y is not None:
        assert y.shape == (num_points(call["x"]), 2) and finite(y), (call, y)


@settings(PROPERTY, max_examples=SOME)
@given(
    name=preset_names,
    call=arguments(
        {"y": valid_points, "t": non_negative, "step_size": positive, "lam": non_negative},
        {"y": points_like, "t": scalars, "step_size": scalars, "lam": scalars},
    ),
)
def test_backward_half_returns_finite_points_or_raises_value_error(name, call):
    z = raises_value_error(
        sde.backward_half, PRESETS[name].marginal_score, **call, generator=torch.Generator()
    )
    if z is not None:
        assert z.shape == (num_points(call["y"]), 2) and finite(z), (call, z)


@settings(PROPERTY, max_examples=FEW)
@given(
    name=preset_names,
    call=arguments(
        {"x": valid_points, "t": non_negative, "lam": non_negative},
        {"x": points_like, "t": scalars, "lam": scalars},
    ),
)
@example(name="gaussian", call={"x": [[0.0, 0.0]], "t": 0.0, "lam": 3.5e38})  # (1 + λ) · 0 = inf · 0
def test_split_drifts_returns_three_finite_drifts_or_raises_value_error(name, call):
    drifts = raises_value_error(sde.split_drifts, PRESETS[name].marginal_score, **call)
    if drifts is None:
        return
    assert len(drifts) == 3
    for drift in drifts:
        assert drift.shape == (num_points(call["x"]), 2) and finite(drift), (call, drift)


@settings(PROPERTY, max_examples=SOME)
@given(
    call=arguments(
        {
            "a": valid_points,
            "b": st.one_of(valid_points, moderate_points),
            "num_projections": st.integers(1, 64),
        },
        {"a": points_like, "b": points_like, "num_projections": counts},
    )
)
@example(call={"a": [[1e19, 0.0]], "b": [[0.0, 0.0]], "num_projections": 8})  # the squares overflow
def test_sliced_wasserstein_is_a_finite_non_negative_float_or_raises_value_error(call):
    distance = raises_value_error(metrics.sliced_wasserstein, **call, generator=torch.Generator())
    if distance is not None:
        assert isinstance(distance, float)
        assert math.isfinite(distance) and distance >= 0, (call, distance)


def _frames(points: st.SearchStrategy, count: int) -> st.SearchStrategy:
    """(count, N, 2) arrays: one cloud drawn from ``points``, shifted by k in frame k."""
    return points.map(lambda cloud: np.stack([np.asarray(cloud, dtype=np.float64) + k for k in range(count)]))


@st.composite
def frame_calls(draw) -> dict:
    """Arguments of sliced_wasserstein_frames: a and b with as many frames, (usually) one broken."""
    count = draw(st.integers(1, 3))
    return draw(
        arguments(
            {
                "a": _frames(valid_points, count),
                "b": _frames(moderate_points, count),
                "num_projections": st.integers(1, 64),
            },
            {
                "a": st.one_of(
                    _frames(_clouds(coordinates), count), _frames(valid_points, count + 1), any_arrays
                ),
                "b": any_arrays,
                "num_projections": counts,
            },
        )
    )


@settings(PROPERTY, max_examples=SOME)
@given(call=frame_calls())
def test_sliced_wasserstein_frames_are_finite_non_negative_per_frame_or_raise_value_error(call):
    distances = raises_value_error(metrics.sliced_wasserstein_frames, **call, generator=torch.Generator())
    if distances is not None:
        assert distances.shape == (len(call["a"]),)
        assert np.isfinite(distances).all() and (distances >= 0).all(), (call, distances)


@settings(PROPERTY, max_examples=SOME)
@given(
    name=preset_names,
    call=arguments(
        {"times": st.lists(non_negative, min_size=1, max_size=4), "n": valid_counts},
        {"times": st.one_of(st.lists(scalars, max_size=3), st.just([]), scalars), "n": counts},
    ),
)
def test_sample_diffused_draws_finite_clouds_per_time_or_raises_value_error(name, call):
    clouds = raises_value_error(PRESETS[name].sample_diffused, **call, generator=torch.Generator())
    if clouds is not None:
        assert clouds.shape == (len(call["times"]), call["n"], 2)
        assert finite(clouds), (call, clouds)


csv_rows = st.lists(
    st.lists(
        st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=6)), max_size=4
    ).map(",".join),
    max_size=40,
)


@settings(PROPERTY, max_examples=MANY)
@given(content=st.one_of(st.binary(max_size=400), csv_rows.map(lambda rows: "\n".join(rows).encode())))
def test_the_csv_loader_gives_finite_points_or_a_one_line_value_error(content):
    try:
        points, notes = user_data.parse_csv(content)
    except ValueError as error:
        assert "\n" not in str(error)
        return
    assert points.shape[1] == 2 and user_data.MIN_POINTS <= len(points) <= user_data.MAX_POINTS
    assert np.isfinite(points).all() and all(isinstance(note, str) for note in notes)
