"""The classroom: N sessions on one server, each moving the step size around its default with a
student's pauses; errors, latency percentiles, the server's memory, and who used the CPU."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time

from bench.browser.processes import cpu_split, rss_mb, sample_rss
from bench.browser.scenarios import percentile
from bench.browser.session import Session, move, new_session, page_url, problems

CLASSROOM_PAGE = "backward"
MOVE_TIMEOUT_MS = 30_000  # a classroom move slower than this counts as an error
P95_TARGET_S = 2.0
THINK_S = (1.0, 3.0)  # a student's pause between two moves
OPENING_BATCH = 5  # classroom sessions opened at once (students arriving)
KEYS = ("ArrowLeft", "ArrowRight")


async def open_classroom(browser, url: str, count: int) -> tuple[list[Session], list[str]]:
    """``count`` sessions on ``url``, opened a few at a time; the errors of those that failed."""
    sessions, errors = [], []
    for first in range(0, count, OPENING_BATCH):
        batch = range(first, min(count, first + OPENING_BATCH))
        opened = await asyncio.gather(*(new_session(browser, url) for _ in batch), return_exceptions=True)
        for result in opened:
            if isinstance(result, Session):
                sessions.append(result)
            else:
                errors.append(f"opening: {type(result).__name__}: {str(result)[:120]}")
    return sessions, errors


async def student(session: Session, deadline: float, rng: random.Random) -> dict:
    """Move the step size one notch left or right around the default until ``deadline``, pausing
    1-3 s between moves; latencies (ms) and errors."""
    latencies, errors, offset = [], [], 0
    while time.monotonic() < deadline and not errors:
        key = "ArrowRight" if offset < 0 else "ArrowLeft" if offset > 0 else rng.choice(KEYS)
        try:
            latencies.append((await move(session, "step_size", key, MOVE_TIMEOUT_MS))["ms"])
            offset += 1 if key == "ArrowRight" else -1
        except Exception as error:  # a timeout or a closed page: this session failed
            errors.append(f"move: {type(error).__name__}: {str(error)[:120]}")
        await asyncio.sleep(rng.uniform(*THINK_S))
    with contextlib.suppress(Exception):
        errors += await problems(session)
    return {"latencies": latencies, "errors": errors}


async def classroom(browser, base: str, server_pid: int, count: int, seconds: float) -> dict:
    """``count`` students on the classroom page at its defaults for ``seconds``: latencies, errors,
    the server's RSS and the CPU time of server, browser and the rest of the machine."""
    rss_before, peak, stop = rss_mb(server_pid), [0.0], asyncio.Event()
    sampler = asyncio.create_task(sample_rss(server_pid, peak, stop))
    opened_at = time.monotonic()
    sessions, errors = await open_classroom(browser, page_url(base, CLASSROOM_PAGE), count)
    opening_s, before = time.monotonic() - opened_at, cpu_split(server_pid)
    started = time.monotonic()
    rng = random.Random(count)
    results = await asyncio.gather(*(student(s, started + seconds, rng) for s in sessions))
    wall, after = time.monotonic() - started, cpu_split(server_pid)
    stop.set()
    await sampler
    await asyncio.gather(*(s.context.close() for s in sessions), return_exceptions=True)
    latencies = [ms / 1000 for r in results for ms in r["latencies"]]
    errors += [e for r in results for e in r["errors"]]
    return {
        "sessions": count,
        "opened": len(sessions),
        "opening_s": opening_s,
        "seconds": wall,
        "moves": len(latencies),
        "errors": errors,
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
        "rss_before": rss_before,
        "rss_peak": peak[0],
        "rss_hwm": rss_mb(server_pid, "VmHWM"),
        "cpu": {name: (after[name] - before[name]) / wall for name in after},
    }


def held(run: dict) -> bool:
    """A classroom run held: every session opened, no error, p95 latency within the target."""
    return run["opened"] == run["sessions"] and not run["errors"] and run["p95"] <= P95_TARGET_S
