"""Waking a room's students (lessons/classroom/push.py): the rerun it asks for is the bar's own tick
without any button press; it wakes the sessions of that room only, forgets those that are gone, and a
student's bar registers itself from a real Streamlit fragment run."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from streamlit.proto.ClientState_pb2 import ClientState
from test_classroom import app, fresh_rooms, start_class  # noqa: F401  (fresh_rooms: an autouse fixture)

from lessons.classroom import push


def browser_state() -> ClientState:
    """What a browser last sent: a whole run after a button press, a slider value and a chat message."""
    state = ClientState(query_string="class=ABCDEF&step_size=0.1", page_script_hash="page")
    pressed = state.widget_states.widgets.add(id="join")
    pressed.trigger_value = True
    slider = state.widget_states.widgets.add(id="step_size")
    slider.double_value = 0.1
    chat = state.widget_states.widgets.add(id="chat")
    chat.string_trigger_value.data = "hello"
    return state


def test_the_wake_up_is_the_bars_own_tick_and_presses_no_button():
    tick = push.tick(browser_state(), "bar")
    assert tick.fragment_id == "bar" and tick.is_auto_rerun
    assert tick.query_string == "class=ABCDEF&step_size=0.1" and tick.page_script_hash == "page"
    assert [widget.id for widget in tick.widget_states.widgets] == ["step_size"]


class FakeSession:
    """An AppSession as push.py uses it: its last client state, and its event loop running callbacks."""

    def __init__(self) -> None:
        self._client_state = browser_state()
        self._event_loop = SimpleNamespace(call_soon_threadsafe=lambda callback, arg: callback(arg))
        self.reruns: list[ClientState] = []

    def request_rerun(self, state: ClientState) -> None:
        self.reruns.append(state)


@pytest.fixture
def server(monkeypatch):
    """A fake server runtime with two students in room A (one of whom has left) and one in room B."""
    sessions = {"a1": FakeSession(), "b1": FakeSession()}
    runtime = SimpleNamespace(get_app_session=sessions.get)
    monkeypatch.setattr(push, "Runtime", SimpleNamespace(exists=lambda: True, instance=lambda: runtime))
    monkeypatch.setattr(push, "_students", {"A": {"a1": "bar-a1", "gone": "bar-gone"}, "B": {"b1": "bar-b1"}})
    return sessions


def test_waking_a_room_reruns_its_students_bars_only_and_forgets_sessions_that_are_gone(server):
    assert push.wake("A") == 1
    (rerun,) = server["a1"].reruns
    assert rerun.fragment_id == "bar-a1" and rerun.is_auto_rerun
    assert server["b1"].reruns == []
    assert push._students["A"] == {"a1": "bar-a1"}
    assert push.wake("nobody") == 0


def test_without_a_server_runtime_nothing_is_woken(monkeypatch):
    monkeypatch.setattr(push, "Runtime", SimpleNamespace(exists=lambda: False))
    assert push.wake("A") == 0


def test_a_joined_students_bar_registers_its_session_and_fragment_and_leaving_forgets_it(monkeypatch):
    monkeypatch.setattr(push, "_students", {})
    _, code = start_class()
    student = app(**{"class": code})
    (fragment,) = push._students[code].values()
    assert fragment
    student.button(key="_class_leave").click().run()
    assert push._students[code] == {}
