"""Waking a room's students at once: when the teacher changes page, settings or question, the server
reruns the student bar of every session of that room it serves, instead of leaving the change to the
bar's next tick (up to ``sidebar.POLL_SECONDS`` later).

Streamlit has no public call for a rerun that the browser did not ask for. This is the one its own
"run on save" makes (``AppSession.request_rerun`` on the session's event loop), with the message the
bar's tick sends: the browser's last client state as a rerun of the bar's fragment, without any button
press in it (a press is sent once, by the browser). Everything that touches Streamlit's internals is
in this module; when they are not there (no server runtime, as under AppTest) nothing is woken and the
ticks carry every change. Students served by another replica are woken there: the change is announced
through the room store (Redis pub/sub), and each server wakes its own students.
"""

from __future__ import annotations

import logging
import threading

from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState, get_script_run_ctx

from lessons.classroom.backend import room_store

LOG = logging.getLogger("langevin_lab")
_students: dict[str, dict[str, str]] = {}  # room code -> {session id: its student bar's fragment id}
_lock = threading.Lock()


def listen(code: str) -> None:
    """Call from the student bar's fragment: this session is woken when room ``code`` changes, on this
    server or, through the room store's announcements (Redis), on another one."""
    context = get_script_run_ctx(suppress_warning=True)
    fragment = ThreadState.get().fragment_id if context is not None else None
    if not fragment:
        return
    with _lock:
        _students.setdefault(code, {})[context.session_id] = fragment
    room_store().on_announce(wake_here)


def forget(code: str) -> None:
    """Call when this session leaves room ``code``."""
    context = get_script_run_ctx(suppress_warning=True)
    if context is None:
        return
    with _lock:
        _students.get(code, {}).pop(context.session_id, None)


def wake(code: str) -> int:
    """Wake room ``code``'s students on every server: this one's now (``wake_here``), the others'
    through the room store's announcement; how many were woken here."""
    try:
        room_store().announce(code)
    except Exception:
        LOG.exception("could not announce a class change to the other servers; their students' ticks will")
    return wake_here(code)


def wake_here(code: str) -> int:
    """Rerun the student bar of every session of this process in room ``code`` now; how many were woken.

    A session that is gone is forgotten. Any failure is logged and leaves the ticks to do the work."""
    if not Runtime.exists():
        return 0
    runtime = Runtime.instance()
    with _lock:
        listening = dict(_students.get(code, {}))
    woken = 0
    for session_id, fragment in listening.items():
        session = runtime.get_app_session(session_id)
        if session is None:
            with _lock:
                _students.get(code, {}).pop(session_id, None)
            continue
        try:
            session._event_loop.call_soon_threadsafe(
                session.request_rerun, tick(session._client_state, fragment)
            )
        except Exception:
            LOG.exception("could not wake a student of a class; their bar's tick will bring the change")
            continue
        woken += 1
    with _lock:
        if not _students.get(code, True):
            _students.pop(code, None)
    return woken


def tick(last: ClientState, fragment: str) -> ClientState:
    """The message the bar's own tick would send: ``last`` (the browser's last client state) as an
    automatic rerun of ``fragment``, without the button presses it may hold."""
    state = ClientState()
    state.CopyFrom(last)
    state.fragment_id, state.is_auto_rerun = fragment, True
    kept = [widget for widget in state.widget_states.widgets if not _is_press(widget)]
    del state.widget_states.widgets[:]
    state.widget_states.widgets.extend(kept)
    return state


def _is_press(widget: object) -> bool:
    """Whether a widget state is a one-time trigger (a button press, a chat message)."""
    kind = widget.WhichOneof("value") or ""
    return kind.endswith("trigger_value") or kind == "chat_input_value"
