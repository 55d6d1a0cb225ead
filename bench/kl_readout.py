"""KL readout benchmark: the k-th neighbour search behind every KL number, and a lesson's whole readout.

Times ``divergence.kth_neighbour_distances`` (strips and blocks, ``np.partition``) against a brute-force
baseline measured in the same run (every pairwise distance, ``torch.topk``, in row chunks of bounded
memory), checks that both give the same distances, and times ``fit.measure`` (KL of 20 frames, noise
bands already kept) at each one-cloud lesson's defaults, next to the run it measures. One torch
thread, as a session of the app has. Prints the tables and rewrites the "kl_readout" section of
bench/RESULTS.md. Run from the repository root:

    .venv/bin/python bench/kl_readout.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: `core`, `bench`

import os

import torch

from bench._results import machine_line, median_ms, write_section
from core import datasets, divergence
from lessons import registry
from lessons.settings import simulation_settings

SIZES = (1_000, 2_000, 10_000)
REPEATS = 7
LESSONS = ("langevin", "forward", "backward")
BRUTE_ROWS = 500  # rows of the baseline's distance matrix held at once


def brute_kth(x: torch.Tensor, k: int) -> torch.Tensor:
    """The baseline: ε_i from all N² distances, the (k + 1)-th smallest of each row (itself at 0)."""
    x = x.double()
    rows = [
        torch.cdist(x[start : start + BRUTE_ROWS], x, compute_mode="donot_use_mm_for_euclid_dist")
        .topk(k + 1, dim=1, largest=False)
        .values[:, -1]
        for start in range(0, len(x), BRUTE_ROWS)
    ]
    return torch.cat(rows)


def search_rows() -> list[str]:
    """One table row per N: both searches' medians, their ratio and their largest difference."""
    rows = []
    for size in SIZES:
        cloud = datasets.make("two_moons").sample(size, torch.Generator().manual_seed(size)).double()
        k = divergence.neighbour_order(size)
        blocked = median_ms(lambda cloud=cloud, k=k: divergence.kth_neighbour_distances(cloud, k), REPEATS)
        brute = median_ms(lambda cloud=cloud, k=k: brute_kth(cloud, k), max(3, REPEATS // (size // 1000)))
        gap = float((divergence.kth_neighbour_distances(cloud, k) - brute_kth(cloud, k)).abs().max())
        rows.append(f"| {size:,} | {k} | {blocked:.1f} | {brute:.1f} | {brute / blocked:.1f}× | {gap:.1e} |")
    return rows


def readout_rows() -> list[str]:
    """One table row per lesson at its defaults: the run and its readout's medians."""
    rows = []
    for name in LESSONS:
        page = registry.page(name)
        settings = simulation_settings(page.defaults)
        run = page.run(settings)
        run_ms = median_ms(lambda page=page, settings=settings: page.run(settings), 3)
        measure_ms = median_ms(
            lambda page=page, run=run, settings=settings: page.measure(run, settings), REPEATS
        )
        particles = run.xs.shape[1]
        rows.append(f"| {name} | {particles:,} | {len(run.times)} | {run_ms:.0f} | {measure_ms:.0f} |")
    return rows


def main() -> None:
    torch.set_num_threads(1)
    machine = f"{machine_line()} · nproc = {os.cpu_count()}"
    search = search_rows()
    readout = readout_rows()
    markdown = "\n".join(
        [
            "## KL readout: the neighbour search and a lesson's readout (`bench/kl_readout.py`)",
            "",
            machine,
            "",
            f"One torch thread. Medians of {REPEATS} calls after a warm-up; two moons clouds, k = ⅔√N.",
            "",
            "| N | k | strips and blocks (ms) | brute force, baseline (ms) | speed-up | largest difference |",
            "|--:|--:|--:|--:|--:|--:|",
            *search,
            "",
            "`fit.measure` at each one-cloud lesson's defaults (KL of 20 frames of at most 1,000 particles "
            "against p at each frame's time; the noise bands are already kept, as after a page's first "
            "visit), next to the run it measures:",
            "",
            "| lesson | particles | frames | run (ms) | KL readout (ms) |",
            "|---|--:|--:|--:|--:|",
            *readout,
        ]
    )
    print(markdown)
    write_section("kl_readout", markdown)


if __name__ == "__main__":
    main()
