"""Helpers shared by the bench scripts: a one-line machine description, the sections of RESULTS.md, and
a median wall time.

Each script owns one section of bench/RESULTS.md, delimited by ``<!-- name:start -->`` and
``<!-- name:end -->``, and rewrites only that section, so the scripts can run in any order.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

RESULTS_PATH = Path(__file__).parent / "RESULTS.md"
HEADER = (
    "# Benchmark results\n\n"
    "Each section is rewritten by the script that produces it (`bench/<section>.py`); "
    "all timings quoted are medians of repeated runs.\n"
)


def write_section(name: str, markdown: str, path: Path = RESULTS_PATH) -> None:
    """Replace the ``name`` section of ``path`` with ``markdown``, or append it if it is not there yet.

    The file is created with a short header if missing; everything outside the section is kept.
    """
    if not re.fullmatch(r"[\w-]+", name):
        raise ValueError(f"section name must be letters, digits, '_' or '-', got {name!r}")
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{markdown.strip()}\n{end}"
    text = path.read_text() if path.exists() else HEADER
    section = re.compile(f"{re.escape(start)}.*?{re.escape(end)}", re.DOTALL)
    if section.search(text):
        text = section.sub(lambda _: block, text, count=1)
    else:
        text = f"{text.rstrip()}\n\n{block}\n"
    path.write_text(text)


def machine_line() -> str:
    """Date, CPU model, os.cpu_count(), torch threads, torch version and the load, on one line.

    Called before timing anything, the 1-minute load average counts other processes only: how much they
    competed with the benchmark for the CPUs.
    """
    return (
        f"{datetime.date.today().isoformat()} · {cpu_model()} · os.cpu_count() = {os.cpu_count()} · "
        f"torch.get_num_threads() = {torch.get_num_threads()} · torch {torch.__version__} · "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (``platform.processor()`` where there is none)."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    return match.group(1).strip() if match else platform.processor() or "unknown CPU"


def median_ms(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``run()`` over ``repeats`` calls, in ms, after one untimed warm-up call."""
    run()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    return 1e3 * statistics.median(seconds)
