"""The classroom server's settings against what the app really sends and logs: the message limit
above the largest chart with a margin of two, and no own-data points in the server log."""

from __future__ import annotations

import logging
import tomllib

import numpy as np
from helpers_apptest import chart_payloads
from streamlit.testing.v1 import AppTest
from test_pages import ROOT, open_page

from lessons import engine_cache, user_data
from lessons.settings import Settings

CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
MARGIN = 2


def test_the_largest_chart_at_the_largest_settings_fits_the_message_limit_twice():
    at = open_page("splitting", particles="10000")  # three panels of the most particles: the largest chart
    largest = max(len(payload) for payload in chart_payloads(at).values())
    assert largest > 1024 * 1024, "the measurement reached the big chart"
    assert MARGIN * largest <= CONFIG["server"]["maxMessageSize"] * 1024 * 1024


def secret_points() -> str:
    rng = np.random.default_rng(5)
    return user_data.encode(user_data.standardized(rng.normal(size=(40, 2)), 0.1))


def test_a_failed_simulation_on_own_data_logs_no_points(caplog):
    settings = Settings(dataset="custom", points=secret_points(), bandwidth=0.1)

    def failing(chosen: Settings) -> None:
        raise RuntimeError("engine trouble")

    with caplog.at_level(logging.DEBUG):
        assert engine_cache.guarded(failing, settings) is None
    assert "simulation failed" in caplog.text
    assert settings.points not in caplog.text


def importing_points() -> None:
    """The own-data import on drawn points, from the seed in the session."""
    import numpy as np
    import streamlit as st

    from lessons import own_data_import

    drawn = np.random.default_rng(int(st.session_state["seed"])).normal(size=(40, 2))
    own_data_import.use_own_data(None, drawn, 0.1)


def test_an_unforeseen_error_on_own_data_is_one_plain_line_and_logs_no_points(caplog, monkeypatch):
    def broken(points, bandwidth):
        raise RuntimeError(f"cannot use {points.tolist()}")

    monkeypatch.setattr(user_data, "standardized", broken)  # something unforeseen breaks on the points
    at = AppTest.from_function(importing_points, default_timeout=60)
    at.session_state["seed"] = 3
    with caplog.at_level(logging.DEBUG):
        at.run()
    assert not at.exception
    assert [warning.value for warning in at.warning] == [
        "These points could not be used: try other points or another file."
    ]
    assert "RuntimeError" in caplog.text
    first = np.random.default_rng(3).normal(size=(40, 2))[0, 0]
    assert repr(float(first))[:8] not in caplog.text


def test_the_server_runs_no_full_garbage_collection_after_every_run_or_tick():
    # Streamlit's default collects every generation after each run, fragment ticks included: with a class
    # joined that was about half the server's processor (bench/RESULTS.md, "Class mode")
    assert CONFIG["runner"]["postScriptGC"] is False
