"""Load on one server, without browsers, and the work budget's calibration.

    .venv/bin/python bench/load.py calibrate     # CPU ns per particle-step of every lesson's run (one torch thread)

``calibrate`` times each lesson's real run and its KL readout (noise bands of new data included) on one
torch thread at K = 1, 8, 160 and 300 mixture components, fits a + b K, and prints the coefficients
``lessons/work_budget.py`` holds.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root

import argparse
import functools
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import torch

from lessons import duality_model, noise_bands, registry, simulate, user_data, work_budget
from lessons.settings import Settings

CALIBRATION_PARTICLES = 2000
CALIBRATION_STEP = 0.002  # small enough that no calibration run blows up (own data at σ₀ = 0.1)
CALIBRATION_STEPS = 500
CALIBRATION_REPEATS = 3
OWN_POINTS = 300


def calibration_datasets() -> dict[str, dict]:
    """Settings overrides of datasets with 1, 8, 160 and 300 mixture components."""
    own = user_data.encode(np.random.default_rng(0).normal(size=(OWN_POINTS, 2)))
    return {
        "gaussian": {"dataset": "gaussian"},
        "eight_gaussians": {"dataset": "eight_gaussians"},
        "two_moons": {"dataset": "two_moons"},
        "own data": {"dataset": "custom", "points": own, "bandwidth": 0.1},
    }


def cpu_seconds(compute: Callable[[], object]) -> tuple[float, object]:
    started = time.process_time()
    result = compute()
    return time.process_time() - started, result


def forget_bands() -> None:
    """Empty the per-server caches of noise bands and densities, as for data the server never saw."""
    for cached in (noise_bands._kl_band, noise_bands._width_band, simulate._marginal_densities):
        cached.cache_clear()


def readout(page: registry.Page) -> Callable[[object, Settings], object]:
    return duality_model.measure if page.name == "duality" else page.measure


def calibration_point(page: registry.Page, overrides: dict) -> tuple[int, float, float, float]:
    """(K, ns per particle-step of the run, ns per readout particle for new data and for data whose
    noise bands are cached) at one dataset, medians."""
    settings = replace(
        page.defaults,
        particles=CALIBRATION_PARTICLES,
        step_size=CALIBRATION_STEP,
        t_end=CALIBRATION_STEP * CALIBRATION_STEPS,
        num_steps=CALIBRATION_STEPS,
        **overrides,
    )
    components = simulate.dataset(settings).num_components
    units = settings.particles * work_budget.steps(page.name, settings)
    size = noise_bands.kl_size(settings.particles)
    runs, cold, warm = [], [], []
    for _ in range(CALIBRATION_REPEATS):
        seconds, run = cpu_seconds(lambda: page.run(settings))
        runs.append(seconds / units)
        forget_bands()
        measure = functools.partial(readout(page), run, settings)
        cold.append(cpu_seconds(measure)[0] / size)
        warm.append(cpu_seconds(measure)[0] / size)
    return components, *(statistics.median(times) * 1e9 for times in (runs, cold, warm))


def calibrate() -> None:
    """Print each page's fitted coefficients of work_budget (a + b K ns), with the points behind them."""
    torch.set_num_threads(1)
    print(f"nproc {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    for name in work_budget.SIMULATION_NS:
        page = registry.page(name)
        points = [calibration_point(page, overrides) for overrides in calibration_datasets().values()]
        ks, *columns = (np.array(column) for column in zip(*points, strict=True))
        (run_b, run_a), (cold_b, cold_a), (warm_b, warm_a) = (np.polyfit(ks, ns, 1) for ns in columns)
        print(
            f"{name}: run ({run_a:.0f}, {run_b:.2f}); new-data readout ({cold_a:.0f}, {cold_b:.0f}); "
            f"cached-band readout ({warm_a:.0f}, {warm_b:.0f}) ns"
        )
        for k, run_ns, cold_ns, warm_ns in points:
            print(
                f"    K={k:4d}: run {run_ns:7.1f} ns/particle-step; readout {cold_ns:9.0f} / {warm_ns:9.0f} ns/particle"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("calibrate", help="measure the work budget's coefficients")
    arguments = parser.parse_args()
    if arguments.command == "calibrate":
        calibrate()


if __name__ == "__main__":
    main()
