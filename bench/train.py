"""Training benchmark: how long until a learned score samples as well as the exact one.

For every preset in ``core.datasets.DATASETS``: train ``core.score_net`` by denoising score matching
and, every ``EVAL_EVERY`` steps, run the backward process (T = 4, 200 steps, λ = 1, 2,000 particles)
with the learned score and with the exact score ``mixture.marginal_score``, from the same starting
particles with the same noise seeds. Success: the learned cloud's sliced Wasserstein distance to fresh
data is within 1.5× the exact-score cloud's. The clock counts training only (evaluations are paused
out of it, and reported apart); a run stops at success or after ``CAP_S`` seconds of training.
Each preset is trained from several seeds; the table gives medians. Prints the results and rewrites
the "train" section of bench/RESULTS.md.  Run from the repository root:

    .venv/bin/python bench/train.py            # --repeats 3 --threads 1
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: `core`, `bench`

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from bench._results import machine_line, write_section
from core import datasets, metrics, score_net, sde
from core.mixture import GaussianMixture
from core.score_net import ScoreNet, ScoreNetConfig

PARTICLES, T_END, NUM_STEPS, LAM = 2_000, 4.0, 200, 1.0  # the sampler both scores drive
NUM_PROJECTIONS = 256
RATIO_TARGET = 1.5  # learned SW / exact SW
TIME_TARGET_S = 15.0  # training seconds per preset
CAP_S = 60.0  # training seconds before a run gives up
EVAL_EVERY = 100  # training steps between two evaluations
MAX_STEPS = 1_000_000  # never reached: the time cap ends a run first
CONFIG = ScoreNetConfig()  # the defaults: hidden 64, 3 layers, 11,714 parameters
BATCH_SIZE, LR = 512, 2e-3
DATA_SEED, START_SEED, NOISE_SEED, PROJECTION_SEED = 101, 102, 103, 104


@dataclass(frozen=True)
class Run:
    """One training run: where it stopped and how well the learned score sampled there."""

    seed: int
    reached: bool
    steps: int
    train_s: float  # wall seconds of training only
    train_cpu_s: float  # CPU seconds of training only
    eval_s: float  # wall seconds spent evaluating
    ratio: float  # learned SW / exact SW at the last evaluation
    learned_sw: float


@dataclass(frozen=True)
class Preset:
    """All runs on one preset, with the exact-score reference."""

    name: str
    num_components: int
    exact_sw: float
    runs: list[Run]

    @property
    def reached(self) -> int:
        """Number of runs that met the ratio target."""
        return sum(run.reached for run in self.runs)

    def median(self, field: str) -> float:
        """Median over the runs of one ``Run`` field."""
        return statistics.median(getattr(run, field) for run in self.runs)

    @property
    def verdict(self) -> str:
        """'pass' when every run met the ratio within TIME_TARGET_S of training, else 'miss'."""
        ok = all(run.reached and run.train_s < TIME_TARGET_S for run in self.runs)
        return "pass" if ok else "miss"


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def sampler_distance(score_fn: Callable[[Tensor, float], Tensor], x_start: Tensor, data: Tensor) -> float:
    """SW₂ between the backward cloud (score_fn, fixed noise seed) and ``data`` (fixed projections)."""
    trajectory = sde.backward(
        score_fn, x_start, t_end=T_END, num_steps=NUM_STEPS, lam=LAM, generator=_gen(NOISE_SEED)
    )
    if trajectory.diverged:
        return float("inf")
    return metrics.sliced_wasserstein(
        trajectory.final, data, num_projections=NUM_PROJECTIONS, generator=_gen(PROJECTION_SEED)
    )


def train_until_close(
    mixture: GaussianMixture, x_start: Tensor, data: Tensor, exact_sw: float, seed: int
) -> Run:
    """Train from ``seed`` until the learned sampler is within RATIO_TARGET of the exact one, or CAP_S."""
    generator = _gen(seed)
    clock = {"train": 0.0, "cpu": 0.0, "eval": 0.0}
    last = {"steps": 0, "ratio": float("inf"), "sw": float("inf"), "reached": False}
    started = [time.perf_counter(), time.process_time()]
    model = ScoreNet(CONFIG, generator=generator)

    def evaluate(step: int, loss: float) -> bool | None:
        if step % EVAL_EVERY:
            return None
        clock["train"] += time.perf_counter() - started[0]
        clock["cpu"] += time.process_time() - started[1]
        evaluation_started = time.perf_counter()
        learned_sw = sampler_distance(model, x_start, data)
        ratio = learned_sw / exact_sw
        last.update(steps=step, ratio=ratio, sw=learned_sw, reached=ratio <= RATIO_TARGET)
        clock["eval"] += time.perf_counter() - evaluation_started
        if last["reached"] or clock["train"] >= CAP_S:
            return False
        started[:] = [time.perf_counter(), time.process_time()]
        return None

    with torch.no_grad():  # train() re-enables gradients; the evaluations in the callback need none
        score_net.train(
            mixture,
            steps=MAX_STEPS,
            batch_size=BATCH_SIZE,
            lr=LR,
            generator=generator,
            callback=evaluate,
            model=model,
        )
    return Run(
        seed=seed,
        reached=bool(last["reached"]),
        steps=int(last["steps"]),
        train_s=clock["train"],
        train_cpu_s=clock["cpu"],
        eval_s=clock["eval"],
        ratio=float(last["ratio"]),
        learned_sw=float(last["sw"]),
    )


def bench_preset(name: str, repeats: int) -> Preset:
    """The exact-score reference and ``repeats`` training runs (seeds 0, 1, …) on one preset."""
    mixture = datasets.make(name)
    data = mixture.sample(PARTICLES, _gen(DATA_SEED))  # (N, 2) fresh data
    x_start = torch.randn(PARTICLES, 2, generator=_gen(START_SEED))  # (N, 2) ~ N(0, I)
    exact_sw = sampler_distance(mixture.marginal_score, x_start, data)
    runs = []
    for seed in range(repeats):
        run = train_until_close(mixture, x_start, data, exact_sw, seed)
        print(
            f"  {name:16s} seed {seed}: {'reached' if run.reached else 'capped '} after {run.steps:5d} steps, "
            f"train {run.train_s:5.1f} s wall / {run.train_cpu_s:5.1f} s CPU, eval {run.eval_s:5.1f} s, "
            f"ratio {run.ratio:.2f}",
            flush=True,
        )
        runs.append(run)
    return Preset(name, mixture.num_components, exact_sw, runs)


def markdown(presets: list[Preset], repeats: int, machine: str) -> str:
    """The "train" section of RESULTS.md."""
    rows = [
        "| preset | K | reached | train s (median) | train s (range) | train CPU s | steps | "
        "SW exact | SW learned | ratio | target | result |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for preset in presets:
        times = [run.train_s for run in preset.runs]
        rows.append(
            f"| {preset.name} | {preset.num_components} | {preset.reached}/{len(preset.runs)} | "
            f"{preset.median('train_s'):.1f} | {min(times):.1f}–{max(times):.1f} | "
            f"{preset.median('train_cpu_s'):.1f} | {preset.median('steps'):,.0f} | {preset.exact_sw:.3f} | "
            f"{preset.median('learned_sw'):.3f} | {preset.median('ratio'):.2f} | "
            f"≤ {RATIO_TARGET}× in < {TIME_TARGET_S:.0f} s | {preset.verdict} |"
        )
    all_times = [run.train_s for preset in presets for run in preset.runs]
    eval_total = sum(run.eval_s for preset in presets for run in preset.runs)
    passed = sum(preset.verdict == "pass" for preset in presets)
    model = ScoreNet(CONFIG)
    return "\n".join(
        [
            "## Training: time until the learned score samples like the exact one",
            "",
            machine,
            "",
            f"`core.score_net.train` on each preset's mixture: `ScoreNetConfig()` defaults (hidden "
            f"{CONFIG.hidden}, {CONFIG.layers} layers, {CONFIG.fourier_features} Fourier features of x, "
            f"{model.num_parameters():,} parameters), Adam lr {LR:g}, batch {BATCH_SIZE}. Every "
            f"{EVAL_EVERY} steps the backward process (T = {T_END:g}, {NUM_STEPS} steps, λ = {LAM:g}, "
            f"{PARTICLES:,} particles, same start and noise seeds) runs with the learned and with the exact "
            f"score; success when SW₂(learned cloud, data) ≤ {RATIO_TARGET}× SW₂(exact cloud, data) "
            f"({NUM_PROJECTIONS} projections, {PARTICLES:,} fresh data points). Training seconds exclude "
            f"the evaluations ({eval_total:.0f} s in all); cap {CAP_S:.0f} s of training. {repeats} "
            "training seeds per preset; medians over seeds (the ratio and SW are those of the last "
            "evaluation, the one that met the target when it was met).",
            "",
            *rows,
            "",
            f"**{passed} of {len(presets)} presets** met the target in every run; slowest run "
            f"{max(all_times):.1f} s, median run {statistics.median(all_times):.1f} s. "
            "The time resolution is one evaluation interval "
            f"({EVAL_EVERY} steps). Wall and CPU seconds differ when other processes share the cores "
            "(see the load average above).",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="training seeds per preset")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the app uses 1)")
    parser.add_argument("--presets", default=",".join(datasets.DATASETS), help="comma-separated names")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    machine = machine_line()
    print(machine, flush=True)
    presets = [bench_preset(name, args.repeats) for name in args.presets.split(",")]
    text = markdown(presets, args.repeats, machine_line())
    print(text)
    if not args.no_write:
        write_section("train", text)


if __name__ == "__main__":
    main()
