"""Training benchmark: how long until a learned score samples as well as the exact one.

For every preset in ``core.datasets.DATASETS``: train ``core.score_net`` by denoising score matching in
chunks of ``CHUNK_STEPS`` steps and, after each chunk, run the backward process (T = 4, 200 steps,
λ = 1, 2,000 particles) with the learned score and with the exact score ``mixture.marginal_score``,
from the same starting particles with the same noise seeds. Success: the learned cloud's sliced
Wasserstein distance to fresh data is within 1.5× the exact-score cloud's. A sharper milestone: the
learned cloud's mean log-likelihood under the exact density within 0.2 nats of the exact-score cloud's.
The clock counts training only (evaluations are off the clock, reported apart); a run stops once both
are met or after ``CAP_S`` seconds of training. Each preset is trained from several seeds; the table gives medians. Prints the results and rewrites
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
SHARP_GAP = -0.2  # nats: the sharper milestone, mean log p(learned cloud) − mean log p(exact cloud)
CAP_S = 60.0  # training seconds before a run gives up
CHUNK_STEPS = 200  # training steps between two evaluations (one score_net.train call each)
CONFIG = ScoreNetConfig()  # the defaults: hidden 64, 3 layers, 11,714 parameters
BATCH_SIZE, LR = 512, 3e-3
DATA_SEED, START_SEED, NOISE_SEED, PROJECTION_SEED = 101, 102, 103, 104


@dataclass(frozen=True)
class Evaluation:
    """The learned sampler after some training: the clocks so far and how close its cloud is."""

    steps: int
    train_s: float  # wall seconds of training only
    train_cpu_s: float  # CPU seconds of training only
    ratio: float  # SW₂(learned cloud, data) / SW₂(exact cloud, data)
    learned_sw: float
    log_likelihood_gap: float  # mean log p(learned cloud) − mean log p(exact-score cloud)


@dataclass(frozen=True)
class Run:
    """One training run: the first evaluation meeting each target (the last one if it was not met)."""

    seed: int
    close: Evaluation  # SW ratio <= RATIO_TARGET
    close_reached: bool
    sharp: Evaluation  # Δ log-lik >= SHARP_GAP
    sharp_reached: bool
    eval_s: float  # wall seconds spent evaluating


@dataclass(frozen=True)
class Preset:
    """All runs on one preset, with the exact-score reference."""

    name: str
    num_components: int
    exact_sw: float
    runs: list[Run]

    def reached(self, target: str) -> str:
        """'k/n': how many runs met the target ('close' or 'sharp')."""
        return f"{sum(getattr(run, target + '_reached') for run in self.runs)}/{len(self.runs)}"

    def median(self, target: str, field: str) -> float:
        """Median over the runs of one ``Evaluation`` field at the target."""
        return statistics.median(getattr(getattr(run, target), field) for run in self.runs)

    def time_range(self, target: str) -> str:
        """'min–max' training seconds to the target."""
        times = [getattr(run, target).train_s for run in self.runs]
        return f"{min(times):.1f}–{max(times):.1f}"

    @property
    def verdict(self) -> str:
        """'pass' when every run met the SW target within TIME_TARGET_S of training, else 'miss'."""
        ok = all(run.close_reached and run.close.train_s < TIME_TARGET_S for run in self.runs)
        return "pass" if ok else "miss"


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def backward_cloud(score_fn: Callable[[Tensor, float], Tensor], x_start: Tensor) -> Tensor | None:
    """The backward process's final cloud (N, 2) from x_start with a fixed noise seed; None if it diverged."""
    trajectory = sde.backward(
        score_fn, x_start, t_end=T_END, num_steps=NUM_STEPS, lam=LAM, generator=_gen(NOISE_SEED)
    )
    return None if trajectory.diverged else trajectory.final


def distance(cloud: Tensor | None, data: Tensor) -> float:
    """SW₂(cloud, data) with fixed projections (inf for a diverged run)."""
    if cloud is None:
        return float("inf")
    return metrics.sliced_wasserstein(
        cloud, data, num_projections=NUM_PROJECTIONS, generator=_gen(PROJECTION_SEED)
    )


def log_likelihood(mixture: GaussianMixture, cloud: Tensor | None) -> float:
    """Mean log p(x) of the cloud under the preset (−inf for a diverged run)."""
    return float("-inf") if cloud is None else metrics.mean_log_likelihood(mixture, cloud)


def train_until_close(
    mixture: GaussianMixture, x_start: Tensor, data: Tensor, exact: tuple[float, float], seed: int
) -> Run:
    """Train from ``seed`` in chunks until both targets are met (SW ratio, then Δ log-lik), or CAP_S.

    Each chunk is one ``score_net.train`` call of CHUNK_STEPS steps on the same model (one cosine
    learning-rate cycle); the learned sampler is evaluated after each chunk, off the clock.
    """
    exact_sw, exact_log_likelihood = exact
    generator = _gen(seed)
    train_s = train_cpu_s = eval_s = 0.0
    steps = 0
    first: dict[str, Evaluation] = {}  # target -> first evaluation that met it
    wall, cpu = time.perf_counter(), time.process_time()
    model = ScoreNet(CONFIG, generator=generator)
    while True:
        score_net.train(
            mixture, steps=CHUNK_STEPS, batch_size=BATCH_SIZE, lr=LR, generator=generator, model=model
        )
        steps += CHUNK_STEPS
        train_s += time.perf_counter() - wall
        train_cpu_s += time.process_time() - cpu
        evaluation_started = time.perf_counter()
        with torch.no_grad():
            cloud = backward_cloud(model, x_start)
        learned_sw = distance(cloud, data)
        gap = log_likelihood(mixture, cloud) - exact_log_likelihood
        eval_s += time.perf_counter() - evaluation_started
        now = Evaluation(steps, train_s, train_cpu_s, learned_sw / exact_sw, learned_sw, gap)
        if now.ratio <= RATIO_TARGET:
            first.setdefault("close", now)
        if gap >= SHARP_GAP:
            first.setdefault("sharp", now)
        if len(first) == 2 or train_s >= CAP_S:
            break
        wall, cpu = time.perf_counter(), time.process_time()
    return Run(
        seed,
        close=first.get("close", now),
        close_reached="close" in first,
        sharp=first.get("sharp", now),
        sharp_reached="sharp" in first,
        eval_s=eval_s,
    )


def bench_preset(name: str, repeats: int) -> Preset:
    """The exact-score reference and ``repeats`` training runs (seeds 0, 1, …) on one preset."""
    mixture = datasets.make(name)
    data = mixture.sample(PARTICLES, _gen(DATA_SEED))  # (N, 2) fresh data
    x_start = torch.randn(PARTICLES, 2, generator=_gen(START_SEED))  # (N, 2) ~ N(0, I)
    exact_cloud = backward_cloud(mixture.marginal_score, x_start)
    exact = (distance(exact_cloud, data), log_likelihood(mixture, exact_cloud))
    runs = []
    for seed in range(repeats):
        run = train_until_close(mixture, x_start, data, exact, seed)
        for target, evaluation, reached in [
            ("SW ratio", run.close, run.close_reached),
            ("Δ log-lik", run.sharp, run.sharp_reached),
        ]:
            print(
                f"  {name:16s} seed {seed} {target:9s}: {'reached' if reached else 'capped '} after "
                f"{evaluation.steps:5d} steps, train {evaluation.train_s:5.1f} s wall / "
                f"{evaluation.train_cpu_s:5.1f} s CPU, ratio {evaluation.ratio:.2f}, "
                f"Δ log-lik {evaluation.log_likelihood_gap:+.2f}",
                flush=True,
            )
        runs.append(run)
    return Preset(name, mixture.num_components, exact[0], runs)


def markdown(presets: list[Preset], repeats: int, machine: str) -> str:
    """The "train" section of RESULTS.md."""
    rows = [
        f"| preset | K | SW exact | ≤ {RATIO_TARGET}× SW: runs | train s | range | steps | ratio | Δ log-lik "
        f"| < {TIME_TARGET_S:.0f} s | Δ log-lik ≥ {SHARP_GAP}: runs | train s | range | steps |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|",
    ]
    for p in presets:
        rows.append(
            f"| {p.name} | {p.num_components} | {p.exact_sw:.3f} | {p.reached('close')} | "
            f"{p.median('close', 'train_s'):.1f} | {p.time_range('close')} | "
            f"{p.median('close', 'steps'):,.0f} | {p.median('close', 'ratio'):.2f} | "
            f"{p.median('close', 'log_likelihood_gap'):+.2f} | {p.verdict} | {p.reached('sharp')} | "
            f"{p.median('sharp', 'train_s'):.1f} | {p.time_range('sharp')} | "
            f"{p.median('sharp', 'steps'):,.0f} |"
        )
    close_times = [run.close.train_s for p in presets for run in p.runs]
    sharp_times = [run.sharp.train_s for p in presets for run in p.runs]
    eval_total = sum(run.eval_s for p in presets for run in p.runs)
    passed = sum(p.verdict == "pass" for p in presets)
    sharp_runs = sum(run.sharp_reached for p in presets for run in p.runs)
    model = ScoreNet(CONFIG)
    return "\n".join(
        [
            "## Training: time until the learned score samples like the exact one",
            "",
            machine,
            "",
            f"`core.score_net.train` on each preset's mixture with the `ScoreNetConfig()` defaults (hidden "
            f"{CONFIG.hidden}, {CONFIG.layers} layers, {CONFIG.fourier_features} Fourier features of x, "
            f"{model.num_parameters():,} parameters), Adam lr {LR:g} (cosine-decayed within each chunk), "
            f"batch {BATCH_SIZE}, in chunks of {CHUNK_STEPS} steps, one torch thread. After each chunk the "
            f"backward process (T = {T_END:g}, {NUM_STEPS} steps, λ = {LAM:g}, {PARTICLES:,} particles, the "
            "same start and noise seeds) runs with the learned and with the exact score. Target: "
            f"SW₂(learned cloud, data) ≤ {RATIO_TARGET}× SW₂(exact cloud, data) ({NUM_PROJECTIONS} "
            f"projections, {PARTICLES:,} fresh data points) within {TIME_TARGET_S:.0f} s of training. "
            "Second, sharper milestone: Δ log-lik = mean log p(learned cloud) − mean log p(exact-score "
            f"cloud) under the preset's exact density ≥ {SHARP_GAP} nats (negative: the learned samples "
            f"are more diffuse). A run trains until both are met or {CAP_S:.0f} s; training seconds "
            f"exclude the evaluations ({eval_total:.0f} s in all). {repeats} training seeds per preset; "
            "medians over seeds of the first evaluation that met each target (of the last evaluation "
            "for a run that did not).",
            "",
            *rows,
            "",
            f"**{passed} of {len(presets)} presets** met the SW target in every run (slowest run "
            f"{max(close_times):.1f} s, median {statistics.median(close_times):.1f} s of training); "
            f"{sharp_runs} of {len(sharp_times)} runs reached Δ log-lik ≥ {SHARP_GAP} (slowest "
            f"{max(sharp_times):.1f} s, median {statistics.median(sharp_times):.1f} s). Times are resolved "
            f"to one chunk ({CHUNK_STEPS} steps). The SW target is loose: {PARTICLES:,}-point clouds put "
            "a sampling floor of about 0.05–0.07 under both distances, so 1.5× still allows a visible "
            "blur of thin structures, which the log-likelihood gap shows. The load average above tells "
            "whether other processes shared the cores during the runs.",
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
    text = markdown(presets, args.repeats, machine_line())  # the load average after the runs
    print(text)
    if not args.no_write:
        write_section("train", text)


if __name__ == "__main__":
    main()
