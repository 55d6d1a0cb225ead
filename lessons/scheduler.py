"""Fair sharing of the server's cores between sessions, and cancellation of runs nobody waits for.

At most ``CORES`` simulations run at once (one per core: each session's torch uses one thread); a run
that finds every core busy waits for one, looking every POLL_S whether it is still wanted. A running
simulation looks every CHECK_S, from a profile hook on its own thread (the engine in core/ needs no
hook of its own): when its session is gone or has asked for a newer rerun, the check raises and the
run unwinds within a few tens of milliseconds, leaving nothing in any cache.

``Cores`` is plain Python (the tests drive it with fake sessions); ``streamlit_check`` is how a
Streamlit script run says whether it is still wanted.
"""

from __future__ import annotations

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
    """A semaphore of ``count`` cores, re-entrant per thread (a run inside a run keeps its core)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._free = threading.BoundedSemaphore(count)
        self._local = threading.local()

    @property
    def held_here(self) -> bool:
        """Whether this thread holds a core."""
        return getattr(self._local, "held", False)

    def run(self, compute: Callable[[], Result], check: Check) -> Result:
        """``compute()`` on a core, checked for cancellation every CHECK_S; MustWait if none is free."""
        if self.held_here:
            return checked(compute, check)
        if not self._free.acquire(blocking=False):
            raise MustWait
        with self._held():
            return checked(compute, check)

    @contextlib.contextmanager
    def holding(self, check: Check) -> Iterator[None]:
        """Wait for a core (``check`` every POLL_S), then hold it for the block."""
        if self.held_here:
            yield
            return
        while not self._free.acquire(timeout=POLL_S):
            check()
        with self._held():
            yield

    @contextlib.contextmanager
    def _held(self) -> Iterator[None]:
        """Mark the core just acquired as this thread's for the block, then release it."""
        self._local.held = True
        try:
            yield
        finally:
            self._local.held = False
            self._free.release()


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
