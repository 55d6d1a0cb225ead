"""Every page, driven through Streamlit's AppTest: it runs, its controls reach the chart, its URL round-trips.

Each page's controls and defaults come from the lesson registry. Most tests use ``particles=200``
from the URL to stay fast.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from helpers_apptest import chart_payloads, chart_specs, decode
from streamlit.testing.v1 import AppTest

from lessons import engine_cache, figures, registry, simulate
from lessons.settings import OPTIONS, SEED_MAX, Settings, format_value, to_query

ROOT = Path(__file__).resolve().parents[1]
LESSONS = tuple(page.name for page in registry.LESSONS if page.run is not None)
MAIN_CHART = {"home": "triangle", **dict.fromkeys(LESSONS, "cloud")}
SMALL = {"particles": "200"}
MB = 1_000_000


def page_constants(page: str) -> tuple[tuple[str, ...], Settings]:
    """The registry's controls and defaults of ``page``."""
    entry = registry.page(page)
    return entry.controls, entry.defaults


def open_page(page: str, **query: str) -> AppTest:
    """The app as a student opens it: the home page, then ``page`` with ``query`` in its URL."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert_no_exception(at)
    for name, value in query.items():
        at.query_params[name] = value
    if page != "home":
        at.switch_page(f"lessons/{page}.py").run()
        assert_no_exception(at)
    return at


def assert_no_exception(at: AppTest) -> None:
    assert not at.exception, [exception.message for exception in at.exception]


def chart_json(at: AppTest, key: str) -> bytes:
    payloads = chart_payloads(at)
    assert key in payloads, list(payloads)
    return payloads[key]


def chart_spec(at: AppTest, key: str) -> dict:
    return json.loads(chart_json(at, key))


def particles_of(spec: dict) -> np.ndarray:
    """The first particle cloud of a figure as (N, 2)."""
    cloud = next(trace for trace in spec["data"] if trace.get("meta") == figures.CLOUD)
    return np.stack([decode(cloud["x"]), decode(cloud["y"])], -1)


def widget(at: AppTest, name: str):
    kind = OPTIONS[name].widget
    widgets = {
        "selectbox": at.selectbox,
        "segmented": at.segmented_control,
        "toggle": at.toggle,
        "seed": at.number_input,
        "select_slider": at.select_slider,
    }
    return widgets[kind](key=name)


def other_value(name: str, current: object) -> object:
    """An allowed value of control ``name`` other than ``current``: the next one along."""
    option = OPTIONS[name]
    if option.widget == "seed":
        return (current + 1) % (SEED_MAX + 1)
    values = option.values
    return values[(values.index(current) + 1) % len(values)]


def url_text(name: str, value: object) -> str:
    return to_query(replace(Settings(), **{name: value}), (name,))[name]


def test_every_page_declares_controls_that_exist_with_allowed_defaults():
    for page in LESSONS:
        names, defaults = page_constants(page)
        assert names and len(set(names)) == len(names), page
        assert set(names) <= set(OPTIONS), page
        assert to_query(defaults, names)  # every default is writable to the URL


# At their defaults (h = 0.02) the backward runs are measurably blurred, and their verdicts say so.
WARNED_AT_DEFAULTS = {"backward": "smaller step size h", "duality": "smaller step size h"}


@pytest.mark.parametrize("page", ["home", *LESSONS])
def test_page_runs_at_its_defaults_and_draws_a_cloud_under_one_megabyte(page):
    at = open_page(page)
    assert at.title, "every page has a title"
    assert not at.error and not at.info
    warnings = [warning.value for warning in at.warning]
    if page in WARNED_AT_DEFAULTS:
        assert len(warnings) == 1 and WARNED_AT_DEFAULTS[page] in warnings[0], warnings
    else:
        assert not warnings
    spec_json = chart_json(at, MAIN_CHART[page])
    cloud = particles_of(json.loads(spec_json))
    assert len(cloud) > 0 and np.isfinite(cloud).all()
    assert len(spec_json) < MB, f"{len(spec_json) / MB:.2f} MB"
    if page == "home":
        assert dict(at.query_params) == {}
    else:
        names, defaults = page_constants(page)
        assert len(cloud) == defaults.particles
        assert dict(at.query_params) == to_query(defaults, names)
        for name in names:
            assert widget(at, name).value == getattr(defaults, name), name


@pytest.mark.parametrize(
    ("page", "name"), [(page, name) for page in LESSONS for name in page_constants(page)[0]]
)
def test_moving_a_control_redraws_the_cloud_and_updates_the_url(page, name):
    at = open_page(page, **SMALL)
    control = widget(at, name)
    before = chart_json(at, "cloud")
    value = other_value(name, control.value)
    control.set_value(value).run()
    assert_no_exception(at)
    assert widget(at, name).value == value
    assert chart_json(at, "cloud") != before, f"{name} = {value!r} did not change the chart"
    assert at.query_params[name] == url_text(name, value)


def test_url_parameters_set_the_widgets_and_stay_in_the_url():
    at = open_page("langevin", dataset="spiral", step_size="0.05", particles="200")
    assert at.selectbox(key="dataset").value == "spiral"
    assert at.select_slider(key="step_size").value == 0.05
    assert at.select_slider(key="particles").value == 200
    assert len(particles_of(chart_spec(at, "cloud"))) == 200
    for name, text in {"dataset": "spiral", "step_size": "0.05", "particles": "200"}.items():
        assert at.query_params[name] == text


@pytest.mark.parametrize("page", LESSONS)
def test_a_link_with_every_control_changed_restores_them_all(page):
    names, defaults = page_constants(page)
    changed = {name: other_value(name, getattr(defaults, name)) for name in names}
    changed["particles"] = 200
    expected = replace(defaults, **changed)
    at = open_page(page, **to_query(expected, names))
    assert not at.info, [info.value for info in at.info]
    for name in names:
        assert widget(at, name).value == getattr(expected, name), name
    assert dict(at.query_params) == to_query(expected, names)
    assert len(particles_of(chart_spec(at, "cloud"))) == 200


@pytest.mark.parametrize("page", LESSONS)
def test_invalid_url_values_fall_back_to_the_defaults_with_a_note(page):
    defaults = page_constants(page)[1]
    at = open_page(page, step_size="banana", particles="7", dataset="nope", colour="mauve")
    notes = [info.value for info in at.info]
    assert len(notes) == 3, notes
    for name, text in {"step_size": "banana", "particles": "7", "dataset": "nope"}.items():
        (note,) = [note for note in notes if name in note]
        assert repr(text) in note and format_value(name, getattr(defaults, name)) in note
        assert widget(at, name).value == getattr(defaults, name)
        assert at.query_params[name] == url_text(name, getattr(defaults, name))
    assert "colour" not in at.query_params
    assert len(particles_of(chart_spec(at, "cloud"))) == defaults.particles


def test_a_seed_with_a_unicode_digit_in_the_url_gets_a_note_not_a_crash():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.query_params.update(seed="²", **SMALL)  # "²".isdigit() is True, int("²") raises
    at.switch_page("lessons/forward.py").run()
    assert_no_exception(at)
    assert any("seed" in info.value for info in at.info)
    assert at.number_input(key="seed").value == 0


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("langevin", {"dataset": "two_moons", "step_size": "2"}),
        ("backward", {"dataset": "two_moons", "step_size": "2", "t_end": "8", "lam": "2"}),
        ("duality", {"dataset": "two_moons", "step_size": "2", "t_end": "8", "lam": "2"}),
    ],
)
def test_a_diverging_run_shows_the_step_size_message_not_an_exception(page, query):
    at = open_page(page, **query, **SMALL)
    errors = [error.value for error in at.error]
    assert len(errors) == 1, errors
    assert "step size" in errors[0].lower()


def test_splitting_buttons_move_the_drift_cloud_and_reset_restores_it():
    at = open_page("splitting", **SMALL)
    start, animation = chart_json(at, "drifts"), chart_json(at, "cloud")
    previous = start
    for which in ("forward", "backward", "both"):
        at.button(key=f"half_{which}").click().run()
        assert_no_exception(at)
        current = chart_json(at, "drifts")
        assert current != previous, f"the {which} half did not move the cloud"
        assert which in at.caption[0].value
        previous = current
    assert chart_json(at, "cloud") == animation, "the buttons only move the drift cloud"
    at.button(key="half_reset").click().run()
    assert_no_exception(at)
    assert chart_json(at, "drifts") == start
    assert "none yet" in at.caption[0].value


def test_the_largest_number_of_steps_under_the_cap_runs_without_a_step_warning():
    pairs = [(t, h) for t in OPTIONS["t_end"].values for h in OPTIONS["step_size"].values]
    t_end, step_size = max(
        (p for p in pairs if round(p[0] / p[1]) <= simulate.MAX_STEPS), key=lambda p: p[0] / p[1]
    )
    at = open_page("forward", t_end=f"{t_end:g}", step_size=f"{step_size:g}", particles="100")
    assert not at.error
    assert not [w.value for w in at.warning if "steps" in w.value]
    assert len(particles_of(chart_spec(at, "cloud"))) == 100


def test_more_steps_than_the_cap_shows_a_warning_not_an_exception(monkeypatch):
    pairs = [
        (t_end, step_size)
        for t_end in OPTIONS["t_end"].values
        for step_size in OPTIONS["step_size"].values
        if round(t_end / step_size) > simulate.MAX_STEPS
    ]
    if pairs:
        t_end, step_size = pairs[0]
    else:  # no allowed setting reaches the cap: lower it so that the defaults' 200 steps exceed it
        t_end, step_size = 4.0, 0.02
        monkeypatch.setattr(simulate, "MAX_STEPS", 100)
        engine_cache._run.clear()  # a cached run of these settings would skip the check
    at = open_page("forward", t_end=f"{t_end:g}", step_size=f"{step_size:g}", **SMALL)
    warnings = [warning.value for warning in at.warning]
    assert len(warnings) == 1 and "steps" in warnings[0], warnings
    assert not chart_specs(at), "no chart is drawn for a refused run"
