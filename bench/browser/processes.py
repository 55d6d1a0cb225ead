"""Process statistics from /proc: the CPU time of the server, of the browser and of the rest of the
machine, and a process's resident memory (Linux only)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def children_map() -> dict[int, list[int]]:
    """Parent pid -> child pids, for every process now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            if entry.name.isdigit():
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    return children


def descendants(root: int) -> set[int]:
    """``root`` and every process below it."""
    children, found, todo = children_map(), set(), [root]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo += children.get(pid, [])
    return found


def cpu_seconds(pids: set[int]) -> float:
    """User + system CPU seconds of ``pids`` (those still alive), every thread included, and of their
    children that have ended and been waited for (a closed browser tab's renderer still counts)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError):
            utime, stime, cutime, cstime = (
                Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:15]
            )
            total += int(utime) + int(stime) + int(cutime) + int(cstime)
    return total / CLK_TCK


def server_cpu_seconds(server_pid: int) -> float:
    """CPU seconds the server (the streamlit process and anything it started) has used so far."""
    return cpu_seconds(descendants(server_pid))


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n")[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def rss_mb(pid: int, field_name: str = "VmRSS") -> float:
    """A memory figure of ``pid`` from /proc/<pid>/status, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_split(server_pid: int) -> dict[str, float]:
    """CPU seconds so far: the server, the browser (chromium processes under this one), the rest of
    this benchmark (playwright's driver, Python), and the whole machine."""
    server = descendants(server_pid)
    mine = descendants(os.getpid()) - server
    chromium = {pid for pid in mine if _comm(pid).startswith(("chromium", "chrome"))}
    return {
        "server": cpu_seconds(server),
        "browser": cpu_seconds(chromium),
        "driver": cpu_seconds(mine - chromium),
        "machine": machine_busy_seconds(),
    }


def _comm(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/comm").read_text().strip()
    return ""


async def sample_rss(pid: int, peak: list[float], stop: asyncio.Event) -> None:
    """Keep the largest RSS of ``pid`` seen in ``peak[0]`` until ``stop`` is set."""
    while not stop.is_set():
        peak[0] = max(peak[0], rss_mb(pid))
        await asyncio.sleep(0.5)
