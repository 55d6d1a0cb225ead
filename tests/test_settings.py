"""The lesson settings' URL form: every allowed setup survives a link, anything else is noted and dropped."""

from __future__ import annotations

import random
import urllib.parse
from dataclasses import fields, replace

import pytest

from lessons.settings import (
    FIELD_NAMES,
    LABELS,
    OPTIONS,
    SEED_MAX,
    Settings,
    format_value,
    parse_query,
    parse_value,
    share_url,
    to_query,
)

DEFAULTS = Settings()


def random_settings(rng: random.Random) -> Settings:
    """A Settings with every field drawn from its allowed values (any seed in 0..SEED_MAX)."""
    values = {
        name: rng.randint(0, SEED_MAX) if OPTIONS[name].widget == "seed" else rng.choice(OPTIONS[name].values)
        for name in FIELD_NAMES
    }
    return Settings(**values)


def test_every_setting_has_a_control_and_an_allowed_default():
    assert set(OPTIONS) == set(FIELD_NAMES)
    for field in fields(Settings):
        option = OPTIONS[field.name]
        if option.widget == "seed":
            assert 0 <= field.default <= SEED_MAX
        else:
            assert field.default in option.values, field.name


def test_every_labelled_value_has_a_label_and_every_label_a_value():
    for name, labels in LABELS.items():
        assert set(labels) == set(OPTIONS[name].values), name


def test_random_allowed_settings_round_trip_through_the_url():
    rng = random.Random(20240501)
    for _ in range(300):
        settings = random_settings(rng)
        parsed, notes = parse_query(to_query(settings, FIELD_NAMES), DEFAULTS)
        assert notes == []
        assert parsed == settings
        for name in FIELD_NAMES:  # 1 == True == 1.0: equality alone would hide a wrong type
            assert type(getattr(parsed, name)) is type(getattr(settings, name)), name


@pytest.mark.parametrize("name", FIELD_NAMES)
def test_each_allowed_value_round_trips_alone_and_leaves_the_other_fields_at_their_defaults(name):
    values = range(0, SEED_MAX + 1, 1111) if OPTIONS[name].widget == "seed" else OPTIONS[name].values
    for value in values:
        settings = replace(DEFAULTS, **{name: value})
        query = to_query(settings, (name,))
        assert list(query) == [name]
        assert parse_query(query, DEFAULTS) == (settings, [])


def test_a_page_query_holds_only_its_own_controls():
    query = to_query(DEFAULTS, ("dataset", "step_size", "show_paths"))
    assert query == {"dataset": "eight_gaussians", "step_size": "0.02", "show_paths": "1"}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("dataset", "nope"),
        ("dataset", "Spiral"),
        ("dataset", ""),
        ("particles", "7"),
        ("particles", "abc"),
        ("particles", "1e9"),
        ("step_size", "banana"),
        ("step_size", "0.03"),
        ("step_size", "nan"),
        ("step_size", "inf"),
        ("t_end", "-4"),
        ("time", "0.33"),
        ("lam", "3"),
        ("start", "BOX"),
        ("method", "rk4"),
        ("field", "curl"),
        ("seed", "-1"),
        ("seed", str(SEED_MAX + 1)),
        ("seed", "1.5"),
        ("seed", " 3"),
        ("show_density", "yes"),
        ("show_paths", "2"),
    ],
)
def test_an_invalid_value_keeps_the_default_and_says_so(name, text):
    defaults = Settings(dataset="spiral", particles=200, step_size=0.5, seed=42, show_density=False)
    parsed, notes = parse_query({name: text}, defaults)
    assert parsed == defaults
    assert len(notes) == 1
    assert name in notes[0] and repr(text) in notes[0]
    assert format_value(name, getattr(defaults, name)) in notes[0]


def test_each_invalid_value_gets_its_own_note_and_valid_ones_still_apply():
    parsed, notes = parse_query({"step_size": "banana", "particles": "7", "dataset": "spiral"}, DEFAULTS)
    assert parsed == replace(DEFAULTS, dataset="spiral")
    assert len(notes) == 2
    assert any("step_size" in note for note in notes) and any("particles" in note for note in notes)


@pytest.mark.parametrize("text", ["²", "9" * 5000], ids=["superscript-two", "5000-digits"])
def test_a_seed_that_python_cannot_read_as_an_integer_is_noted_not_raised(text):
    # "²".isdigit() is True but int("²") raises; so does int() of more than 4300 digits.
    parsed, notes = parse_query({"seed": text}, DEFAULTS)
    assert parsed == DEFAULTS
    assert len(notes) == 1 and "seed" in notes[0]


def test_unknown_parameters_are_ignored_without_a_note():
    query = {"foo": "1", "DATASET": "spiral", "embed": "true", "step": "0.1"}
    assert parse_query(query, DEFAULTS) == (DEFAULTS, [])


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("step_size", "0.050", 0.05),
        ("step_size", "1e-3", 0.001),
        ("particles", "200.0", 200),
        ("t_end", "8", 8.0),
        ("time", "0.15", 0.15),
        ("seed", "007", 7),
        ("show_density", "TRUE", True),
        ("show_density", "false", False),
        ("show_paths", "0", False),
    ],
)
def test_other_spellings_of_an_allowed_value_select_that_value(name, text, value):
    parsed = parse_value(name, text)
    assert parsed == value
    assert type(parsed) is type(value)


@pytest.mark.parametrize("name", sorted(LABELS))
def test_format_value_shows_the_label_of_a_named_option(name):
    for value in OPTIONS[name].values:
        assert format_value(name, value) == LABELS[name][value]
        assert LABELS[name][value].strip()


@pytest.mark.parametrize(
    ("name", "value", "label"),
    [
        ("show_density", True, "on"),
        ("show_paths", False, "off"),
        ("step_size", 0.05, "0.05"),
        ("step_size", 0.001, "0.001"),
        ("lam", 1.0, "1"),
        ("lam", 0.0, "0"),
        ("t_end", 0.25, "0.25"),
        ("time", 0.15, "0.15"),
        ("particles", 10000, "10000"),
        ("seed", 7, "7"),
    ],
)
def test_format_value_writes_toggles_as_on_off_and_numbers_without_trailing_zeros(name, value, label):
    assert format_value(name, value) == label


@pytest.mark.parametrize(
    ("page_url", "expected"),
    [
        ("http://localhost:8501/backward", "http://localhost:8501/backward?particles=200&dataset=spiral"),
        ("http://localhost:8501/backward/", "http://localhost:8501/backward?particles=200&dataset=spiral"),
        ("http://localhost:8501/", "http://localhost:8501/backward?particles=200&dataset=spiral"),
        ("http://host/lab/backward", "http://host/lab/backward?particles=200&dataset=spiral"),
        ("https://host/lab", "https://host/lab/backward?particles=200&dataset=spiral"),
    ],
)
def test_share_url_names_the_page_exactly_once_whatever_the_browser_address(page_url, expected):
    # st.context.url already ends in the page's path on a lesson page: the link must not repeat it
    assert share_url(page_url, "backward", {"particles": "200", "dataset": "spiral"}) == expected


def test_share_url_round_trips_every_setting_through_parse_query():
    settings = replace(Settings(), dataset="spiral", step_size=0.05, seed=42, show_paths=False)
    names = ("dataset", "step_size", "seed", "show_paths")
    link = urllib.parse.urlsplit(share_url("http://host/lab/backward", "backward", to_query(settings, names)))
    query = dict(urllib.parse.parse_qsl(link.query))
    assert link.path == "/lab/backward"
    assert parse_query(query, Settings()) == (settings, [])
