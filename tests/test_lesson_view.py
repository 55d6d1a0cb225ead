"""The generic lesson view under AppTest: display toggles never simulate again, a lesson keeps its
settings while the student visits another page, a run that blew up never claims a match, and a move
sends the main chart before the controls."""

from __future__ import annotations

import pytest
from helpers_apptest import chart_specs
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
from test_pages import assert_no_exception, open_page

from core import sde
from lessons import engine_cache

SMALL = {"particles": "200"}


@pytest.fixture
def engine_calls(monkeypatch):
    """How often the backward engine ran (through the app's cache, which is cleared first)."""
    engine_cache._run.clear()
    calls = []
    real = sde.backward
    monkeypatch.setattr(sde, "backward", lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs))
    return calls


def test_switching_density_paths_or_arrows_does_not_simulate_again(engine_calls):
    at = open_page("backward", **SMALL)
    assert len(engine_calls) == 1
    before = chart_specs(at)["cloud"]
    at.toggle(key="show_density").set_value(False).run()
    at.toggle(key="show_paths").set_value(False).run()
    at.selectbox(key="field").set_value("score").run()
    assert_no_exception(at)
    assert len(engine_calls) == 1, "a display setting re-ran the simulation"
    assert chart_specs(at)["cloud"] != before, "the display settings did not reach the chart"
    at.select_slider(key="step_size").set_value(0.05).run()
    assert len(engine_calls) == 2, "a simulation setting must simulate"


def test_a_lesson_keeps_its_settings_when_the_student_visits_another_page_and_comes_back():
    at = open_page("backward", **SMALL)
    at.select_slider(key="step_size").set_value(0.05).run()
    at.selectbox(key="dataset").set_value("spiral").run()
    for name in list(at.query_params):  # a sidebar link carries no query
        del at.query_params[name]
    at.switch_page("lessons/forward.py").run()
    assert at.select_slider(key="step_size").value == 0.02  # forward has its own settings
    for name in list(at.query_params):
        del at.query_params[name]
    at.switch_page("lessons/backward.py").run()
    assert_no_exception(at)
    assert at.select_slider(key="step_size").value == 0.05
    assert at.selectbox(key="dataset").value == "spiral"
    assert at.select_slider(key="particles").value == 200
    assert at.query_params["step_size"] == "0.05"


def test_a_link_still_wins_over_what_the_session_kept():
    at = open_page("backward", **SMALL)
    at.select_slider(key="step_size").set_value(0.05).run()
    at.switch_page("lessons/forward.py").run()
    at.query_params["step_size"] = "0.1"
    at.switch_page("lessons/backward.py").run()
    assert at.select_slider(key="step_size").value == 0.1


def test_a_run_that_blew_up_gives_no_verdict_and_its_chart_says_so():
    at = open_page("langevin", dataset="two_moons", step_size="0.05", start="target", **SMALL)
    assert_no_exception(at)
    assert not at.success, [box.value for box in at.success]
    assert any("blew up" in box.value for box in at.error)
    assert any("No verdict" in box.value for box in at.warning)
    titles = [str(annotation.get("text")) for annotation in chart_specs(at)["cloud"]["layout"]["annotations"]]
    assert any("blew up" in title for title in titles), titles
    assert "distance_chart" not in chart_specs(at), "a distance chart of one frame says nothing"


@pytest.mark.parametrize("page", ["langevin", "splitting", "duality"])
def test_a_move_sends_the_main_chart_before_the_controls(page, monkeypatch):
    at = open_page(page, **SMALL)
    sent: list[str] = []  # every element's id, in the order the run sends it to the browser
    real = ForwardMsgQueue.enqueue

    def enqueue(queue, message):
        if message.WhichOneof("type") == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            sent.append(getattr(getattr(element, element.WhichOneof("type")), "id", ""))
        return real(queue, message)

    monkeypatch.setattr(ForwardMsgQueue, "enqueue", enqueue)
    at.select_slider(key="step_size").set_value(0.05).run()
    assert_no_exception(at)
    cloud = next(i for i, name in enumerate(sent) if name.endswith("-cloud"))
    control = next(i for i, name in enumerate(sent) if name.endswith("-step_size"))
    assert cloud < control, "the controls went out before the chart"
