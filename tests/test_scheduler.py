"""Fair sharing and cancellation with two fake sessions: one core, so the second session waits; a run
whose session goes stops mid-computation and frees its core; a waiting run whose session goes never
runs; a run inside a run keeps its core; a newer rerun of the fragment being drawn supersedes it."""

from __future__ import annotations

import sys
import threading
from types import SimpleNamespace

import pytest
import torch
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType

from lessons import scheduler

LONG = 10_000_000  # steps no test lets finish


class Gone(BaseException):
    """What a fake session's check raises once the session is gone (Streamlit raises a BaseException)."""


class FakeSession:
    """A session that is wanted until ``leave()``; its run counts its steps."""

    def __init__(self) -> None:
        self.gone = threading.Event()
        self.started = threading.Event()
        self.steps = 0

    def leave(self) -> None:
        self.gone.set()

    def check(self) -> None:
        if self.gone.is_set():
            raise Gone

    def simulate(self, steps: int = LONG) -> int:
        x = torch.zeros(100, 2)
        for _ in range(steps):
            x = x + 0.01 * torch.randn(100, 2)
            self.steps += 1
            self.started.set()
        return self.steps


def in_thread(work) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["result"] = work()
        except BaseException as error:  # the test inspects what ended the run
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def test_a_second_session_finds_the_only_core_busy_and_runs_once_it_is_free():
    cores, first, second = scheduler.Cores(1), FakeSession(), FakeSession()
    thread, outcome = in_thread(lambda: cores.run(first.simulate, first.check))
    first.started.wait()
    with pytest.raises(scheduler.MustWait):
        cores.run(second.simulate, second.check)
    first.leave()
    thread.join()
    assert isinstance(outcome["error"], Gone)
    with cores.holding(second.check):
        assert cores.run(lambda: second.simulate(5), second.check) == 5


def test_a_run_whose_session_goes_stops_mid_computation_and_frees_its_core():
    cores, student = scheduler.Cores(1), FakeSession()
    thread, outcome = in_thread(lambda: cores.run(student.simulate, student.check))
    student.started.wait()
    student.leave()
    thread.join()
    assert isinstance(outcome["error"], Gone)
    assert 0 < student.steps < LONG
    assert cores.run(lambda: "free", FakeSession().check) == "free"


def test_a_cancelled_run_leaves_no_check_behind_on_its_thread(monkeypatch):
    monkeypatch.setattr(scheduler, "CHECK_S", 0.0)  # check at every call, the removal of the hook included
    cores, student = scheduler.Cores(1), FakeSession()
    student.leave()

    def cancelled_then_hook() -> object:
        with pytest.raises(Gone):
            cores.run(student.simulate, student.check)
        return sys.getprofile()

    thread, outcome = in_thread(cancelled_then_hook)
    thread.join()
    assert outcome == {"result": None}
    assert cores.run(lambda: "free", lambda: None) == "free"


def test_a_waiting_run_whose_session_goes_never_runs():
    cores, running, waiting = scheduler.Cores(1), FakeSession(), FakeSession()
    busy, _ = in_thread(lambda: cores.run(running.simulate, running.check))
    running.started.wait()

    def wait_then_simulate() -> int:
        with cores.holding(waiting.check):
            return waiting.simulate()

    thread, outcome = in_thread(wait_then_simulate)
    waiting.leave()
    thread.join()
    assert isinstance(outcome["error"], Gone)
    assert waiting.steps == 0
    running.leave()
    busy.join()


def test_a_run_inside_a_run_keeps_its_core():
    cores, student = scheduler.Cores(1), FakeSession()
    nested = cores.run(lambda: cores.run(lambda: student.simulate(3), student.check), student.check)
    assert nested == 3
    assert cores.run(lambda: "free", student.check) == "free"


def test_two_sessions_share_two_cores_at_once():
    cores, first, second = scheduler.Cores(2), FakeSession(), FakeSession()
    threads = [in_thread(lambda s=s: cores.run(s.simulate, s.check))[0] for s in (first, second)]
    first.started.wait()
    second.started.wait()
    with pytest.raises(scheduler.MustWait):
        cores.run(lambda: None, FakeSession().check)
    first.leave()
    second.leave()
    for thread in threads:
        thread.join()


def script_run(fragments, state, queue) -> SimpleNamespace:
    """A fake ScriptRunContext drawing ``fragments`` with a pending request ``state`` for ``queue``."""
    requests = SimpleNamespace(_state=state, _rerun_data=SimpleNamespace(fragment_id_queue=queue))
    return SimpleNamespace(script_requests=requests, fragment_ids_this_run=fragments)


def test_a_newer_rerun_of_the_fragment_being_drawn_supersedes_it():
    assert scheduler.fragment_superseded(script_run(["view"], ScriptRequestType.RERUN, ["view"]))


@pytest.mark.parametrize(
    "context",
    [
        script_run(["view"], ScriptRequestType.RERUN, ["sweep"]),  # another fragment's rerun waits its turn
        script_run(["view"], ScriptRequestType.CONTINUE, []),  # nothing newer
        script_run(None, ScriptRequestType.RERUN, ["view"]),  # a whole-page run draws more than the fragment
    ],
)
def test_a_run_is_not_superseded_by_what_does_not_redraw_it(context):
    assert not scheduler.fragment_superseded(context)


def test_waiting_runs_get_a_core_in_the_order_they_came_and_keep_their_place_while_they_look():
    cores, running = scheduler.Cores(1), FakeSession()
    busy, _ = in_thread(lambda: cores.run(running.simulate, running.check))
    running.started.wait()
    order, threads = [], []
    for name in ("first", "second", "third"):
        looked = threading.Event()

        def wait_in_line(name=name, looked=looked) -> None:
            def check() -> None:  # looks every POLL_S, as a waiting page does
                looked.set()

            with cores.holding(check):
                order.append(name)

        threads.append(in_thread(wait_in_line)[0])
        looked.wait()  # queued, and has looked at least once
    assert cores.waiting == 3
    with pytest.raises(scheduler.MustWait):  # a newcomer does not jump the queue
        cores.run(lambda: None, FakeSession().check)
    running.leave()
    busy.join()
    for thread in threads:
        thread.join()
    assert order == ["first", "second", "third"]
    assert cores.waiting == 0 and cores.run(lambda: "free", FakeSession().check) == "free"


def test_a_waiting_run_that_leaves_gives_its_place_to_the_next():
    cores, running, leaving = scheduler.Cores(1), FakeSession(), FakeSession()
    busy, _ = in_thread(lambda: cores.run(running.simulate, running.check))
    running.started.wait()

    def wait(session: FakeSession) -> str:
        with cores.holding(session.check):
            return "ran"

    gone, gone_outcome = in_thread(lambda: wait(leaving))
    staying, staying_outcome = in_thread(lambda: wait(FakeSession()))
    while cores.waiting < 2:
        threading.Event().wait(0.01)
    leaving.leave()
    gone.join()
    running.leave()
    busy.join()
    staying.join()
    assert isinstance(gone_outcome["error"], Gone) and staying_outcome == {"result": "ran"}


def test_a_waiting_page_says_how_many_runs_are_ahead_of_it():
    from lessons import engine_cache

    assert engine_cache.waiting_text(0).endswith("(yours is next)…")
    assert engine_cache.waiting_text(1).endswith("(1 run ahead of yours)…")
    assert engine_cache.waiting_text(3).endswith("(3 runs ahead of yours)…")
