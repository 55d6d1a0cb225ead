"""Fair sharing of the server's cores between sessions, and cancellation of runs nobody waits for.

At most ``CORES`` simulations run at once (one per core: each session's torch uses one thread); a run
that finds every core busy waits for one in a first-come, first-served queue, looking every POLL_S
whether it is still wanted. A running
simulation looks every CHECK_S, from a profile hook on its own thread (the engine in core/ needs no
hook of its own): when its session is gone or has asked for a newer rerun, the check raises and the
run unwinds within a few tens of milliseconds, leaving nothing in any cache.

``Cores`` is plain Python (the tests drive it with fake sessions); ``streamlit_check`` is how a
Streamlit script run says whether it is still wanted.
"""

from __future__ import annotations

import collections
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from streamlit.runtime.scriptrunner_utils.exceptions import StopException
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

POLL_S = 0.1  # how often a run waiting for a core looks whether it is still wanted
CHECK_S = 0.05  # how often a running simulation does
Result = TypeVar("Result")
Check = Callable[[], None]  # raises (a BaseException) when the run is no longer wanted


class MustWait(Exception):
    """Every core is busy: the caller should wait for one visibly (``Cores.holding``) and try again."""


class Cores:
    """``count`` cores handed out first come, first served, re-entrant per thread (a run inside a run
    keeps its core).

    A run that finds a core free and nobody waiting takes it at once (``run``); otherwise it queues
    (``holding``) and gets a core when every run queued before it has one. A waiter that looks
    whether it is still wanted keeps its place: without the queue, each look (every POLL_S) sent it
    back behind the newer arrivals, and under a class's arrival some page loads waited over 30 s.
    """

    def __init__(self, count: int) -> None:
        self.count = count
        self._changed = threading.Condition()
        self._free = count
        self._queue: collections.deque[object] = collections.deque()  # waiting runs, oldest first
        self._local = threading.local()

    @property
    def held_here(self) -> bool:
        """Whether this thread holds a core."""
        return getattr(self._local, "held", False)

    @property
    def waiting(self) -> int:
        """How many runs are queued for a core."""
        with self._changed:
            return len(self._queue)

    def run(self, compute: Callable[[], Result], check: Check) -> Result:
        """``compute()`` on a core, checked for cancellation every CHECK_S; MustWait if none is free or
        other runs are waiting for one (they come first)."""
        if self.held_here:
            return checked(compute, check)
        with self._changed:
            if not self._free or self._queue:
                raise MustWait
            self._free -= 1
        with self._held():
            return checked(compute, check)

    @contextlib.contextmanager
    def holding(self, check: Check) -> Iterator[None]:
        """Queue for a core (``check`` every POLL_S while waiting), then hold it for the block."""
        if self.held_here:
            yield
            return
        place = object()
        with self._changed:
            self._queue.append(place)
        try:
            while not self._take(place):
                check()
        except BaseException:
            with self._changed:
                self._queue.remove(place)
                self._changed.notify_all()
            raise
        with self._held():
            yield

    def _take(self, place: object) -> bool:
        """Give ``place`` a core if it is first in the queue and one is free; else wait up to POLL_S."""
        with self._changed:
            if self._queue[0] is place and self._free:
                self._queue.popleft()
                self._free -= 1
                self._changed.notify_all()  # the next in line may find a core free too
                return True
            self._changed.wait(POLL_S)
            return False

    @contextlib.contextmanager
    def _held(self) -> Iterator[None]:
        """Mark the core just taken as this thread's for the block, then give it back."""
        self._local.held = True
        try:
            yield
        finally:
            self._local.held = False
            with self._changed:
                self._free += 1
                self._changed.notify_all()


def checked(compute: Callable[[], Result], check: Check) -> Result:
    """``compute()`` with ``check()`` called every CHECK_S from a profile hook of this thread; the
    exception ``check`` raises ends the computation. The hook is disarmed before it is removed, so
    that it never raises outside ``compute``."""
    if sys.getprofile() is not None:  # already checked further up this thread
        return compute()
    armed, next_check = [True], [time.monotonic() + CHECK_S]

    def hook(frame: object, event: str, arg: object) -> None:
        if armed[0] and time.monotonic() >= next_check[0]:
            next_check[0] = time.monotonic() + CHECK_S
            check()

    sys.setprofile(hook)
    try:
        return compute()
    finally:
        armed[0] = False
        sys.setprofile(None)


def streamlit_check() -> None:
    """Raise Streamlit's own stop or rerun when this script run is no longer wanted: its session is
    gone, a full rerun is asked for, or a newer rerun of a fragment this run is drawing is waiting
    (Streamlit itself lets such a fragment run finish first). Nothing outside a script run."""
    context = get_script_run_ctx(suppress_warning=True)
    if context is None:
        return
    context.yield_check()
    if fragment_superseded(context):
        raise StopException


def fragment_superseded(context: object) -> bool:
    """Whether a rerun waiting in ``context`` (a ScriptRunContext) redraws a fragment this run draws."""
    requests = context.script_requests
    running = set(context.fragment_ids_this_run or ())
    if requests is None or not running or requests._state is not ScriptRequestType.RERUN:
        return False
    return bool(running & set(requests._rerun_data.fragment_id_queue))


def server_core_count() -> int:
    """The simulations a server runs at once: LAB_SIMULATIONS_AT_ONCE if set (a container whose CPU
    quota is below the machine's core count), else the machine's cores."""
    return int(os.environ.get("LAB_SIMULATIONS_AT_ONCE", "0")) or os.cpu_count() or 1


SERVER_CORES = Cores(server_core_count())
