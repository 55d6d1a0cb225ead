"""Engine benchmark: wall time of ``core.sde.backward`` driven by the exact mixture score.

Times the backward process (score_fn = ``GaussianMixture.marginal_score``, T = 4, λ = 1) at several
particle counts (at N = 100,000 also keeping only 100 frames), one default-size run (2,000 particles,
200 steps) per preset, and a naive broadcasting torch loop of the same step as a baseline; splits one
step into its parts; prints the results and rewrites the "engine" section of bench/RESULTS.md.
Run from the repository root:

    .venv/bin/python bench/engine.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: `core`, `bench`

import math
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.autograd.profiler_util import FunctionEvent
from torch.profiler import ProfilerActivity, profile, record_function

from bench._results import machine_line, median_ms, write_section
from core import datasets, sde
from core.mixture import GaussianMixture

T_END = 4.0
NUM_STEPS = 500
DEFAULT_PARTICLES, DEFAULT_STEPS = 2_000, 200  # the app's default run
BASELINE_PARTICLES, BASELINE_STEPS = 100_000, 100
SMALL_REPEATS, LARGE_REPEATS = 7, 5  # timed runs after one warm-up; LARGE for N = 100,000
RATE_TARGET = 30e6  # particle-steps/s at N = 100,000 on eight_gaussians
DEFAULT_RUN_TARGET_MS = 100.0

SCORE, FRAME_COPY, OTHER_OPS, PYTHON = (
    "score evaluation",
    "frame copy into the trajectory",
    "other ops (divergence check, …)",
    "Python between ops",
)
STEP_PARTS = {  # top-level torch.profiler event of a backward step -> the part of the step it belongs to
    SCORE: SCORE,
    "aten::randn": "randn (noise)",
    "aten::mul": "update arithmetic",
    "aten::add_": "update arithmetic",
    "aten::copy_": FRAME_COPY,
    "aten::select": FRAME_COPY,
}
PART_ORDER = [*dict.fromkeys(STEP_PARTS.values()), OTHER_OPS, PYTHON]


@dataclass(frozen=True)
class Case:
    """One timed configuration of the backward process, with its target if it has one."""

    kind: str
    dataset: str
    num_particles: int
    num_steps: int
    repeats: int
    min_rate: float | None = None  # particle-steps per second
    max_ms: float | None = None
    num_frames: int | None = None  # frames backward keeps; None: every step


TARGET_CASE = Case("scaling", "eight_gaussians", 100_000, NUM_STEPS, LARGE_REPEATS, min_rate=RATE_TARGET)
FEW_FRAMES_CASE = Case(
    "num_frames = 100", "eight_gaussians", 100_000, NUM_STEPS, LARGE_REPEATS, num_frames=100
)


@dataclass(frozen=True)
class Timing:
    """The median wall time of a case."""

    case: Case
    num_components: int
    median_ms: float

    @property
    def rate(self) -> float:
        """Particle-steps per second."""
        return self.case.num_particles * self.case.num_steps / (self.median_ms / 1e3)

    @property
    def target(self) -> str:
        """The target in words, or an empty string."""
        if self.case.min_rate is not None:
            return f"≥ {self.case.min_rate / 1e6:.0f} M/s"
        return "" if self.case.max_ms is None else f"< {self.case.max_ms:.0f} ms"

    @property
    def verdict(self) -> str:
        """'pass' or 'miss' against the target, or an empty string."""
        if self.case.min_rate is not None:
            return "pass" if self.rate >= self.case.min_rate else "miss"
        if self.case.max_ms is not None:
            return "pass" if self.median_ms < self.case.max_ms else "miss"
        return ""


@dataclass(frozen=True)
class StepProfile:
    """Where the steps of one profiled backward run spend their time (all times µs per step)."""

    label: str
    plain_step_us: float  # median wall time without the profiler
    step_us: float  # wall time under torch.profiler
    parts_us: dict[str, float]  # adding up to step_us
    score_hotspots: list[tuple[str, float]]  # (operator, share of the score's time)
    other_ops_us: list[tuple[str, float]]  # the largest of the other ops, (operator, µs per step)
    reused_copy_us: float  # the frame copy into an already-touched buffer, without the profiler
    buffer_mb: float  # size of the trajectory buffer that backward allocates per run


def main() -> None:
    """Run every measurement, print the markdown report and write it to bench/RESULTS.md."""
    machine = machine_line()  # before the timings: the load average is other processes'
    start_wall, start_others, start_reference_us = time.perf_counter(), others_cpu_seconds(), reference_us()
    timings, baseline_ms, profiles = measure_all()
    wall = time.perf_counter() - start_wall
    others_share = (others_cpu_seconds() - start_others) / (wall * os.cpu_count())
    contention = contention_line(others_share, (start_reference_us, reference_us()))
    report = render(machine, contention, timings, baseline_ms, profiles)
    print(report)
    write_section("engine", report)


def measure_all() -> tuple[list[Timing], float, list[StepProfile]]:
    """Time every case and the baseline; profile the N = 100,000 run and the slowest default-size run."""
    mixtures = {name: datasets.make(name) for name in datasets.DATASETS}
    largest_cloud = max(mixtures, key=lambda name: mixtures[name].num_components)
    timings = [time_case(case, mixtures[case.dataset]) for case in cases(largest_cloud)]
    baseline_ms = time_baseline(mixtures["eight_gaussians"])
    slowest_default = max((t for t in timings if t.case.kind == "default size"), key=lambda t: t.median_ms)
    profiles = [
        profile_step(mixtures[timing.case.dataset], timing)
        for timing in (find_timing(timings, TARGET_CASE), slowest_default)
    ]
    return timings, baseline_ms, profiles


def others_cpu_seconds() -> float:
    """CPU seconds used since boot by every process but this one, hypervisor steal included (Linux)."""
    ticks = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    busy_ticks = sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait
    return busy_ticks / os.sysconf("SC_CLK_TCK") - time.process_time()


def reference_us() -> float:
    """Median µs of a fixed reference op, softmax over a 160 × 2,000 array: it tracks the host's speed."""
    logits = torch.randn(160, 2_000, generator=torch.Generator().manual_seed(0))
    return 1e3 * median_ms(lambda: torch.softmax(logits, dim=0), 50)


def contention_line(others_share: float, reference_times_us: tuple[float, float]) -> str:
    """Other processes' share of the CPUs during the run (flagged above 10 %) and the reference op."""
    flag = " — **busy machine: the timings are inflated**" if others_share > 0.1 else ""
    return (
        f"Other processes used {others_share:.0%} of the CPU capacity during this run{flag}. "
        f"Reference op (softmax over a fixed 160 × 2,000 array) before / after the run: "
        f"{reference_times_us[0]:.0f} / {reference_times_us[1]:.0f} µs; it also grows when the host "
        "is busy in ways the first figure cannot see (inside a VM)."
    )


def cases(largest_cloud: str) -> list[Case]:
    """Particle-count scaling on eight_gaussians, the largest point cloud, and every default-size run."""
    return [
        Case("scaling", "eight_gaussians", 1_000, NUM_STEPS, SMALL_REPEATS),
        Case("scaling", "eight_gaussians", 10_000, NUM_STEPS, SMALL_REPEATS),
        TARGET_CASE,
        FEW_FRAMES_CASE,
        Case("largest cloud", largest_cloud, 2_000, NUM_STEPS, SMALL_REPEATS),
        *(
            Case(
                "default size",
                name,
                DEFAULT_PARTICLES,
                DEFAULT_STEPS,
                SMALL_REPEATS,
                max_ms=DEFAULT_RUN_TARGET_MS,
            )
            for name in datasets.DATASETS
        ),
    ]


def prior_sample(num_particles: int) -> Tensor:
    """A fixed draw of x_start ~ N(0, I), (N, 2)."""
    return torch.randn(num_particles, 2, generator=torch.Generator().manual_seed(0))


def time_case(case: Case, mixture: GaussianMixture) -> Timing:
    """Median wall time of ``sde.backward`` with the exact score for one case."""
    x_start = prior_sample(case.num_particles)

    def run() -> None:
        trajectory = sde.backward(
            mixture.marginal_score,
            x_start,
            t_end=T_END,
            num_steps=case.num_steps,
            generator=torch.Generator().manual_seed(1),
            num_frames=case.num_frames,
        )
        if trajectory.divergence is not None:
            raise RuntimeError(f"{case.dataset}: {trajectory.divergence.message}")

    return Timing(case, mixture.num_components, median_ms(run, case.repeats))


def find_timing(timings: list[Timing], case: Case) -> Timing:
    """The timing of ``case``."""
    return next(timing for timing in timings if timing.case == case)


def naive_score(mixture: GaussianMixture, x: Tensor, t: float) -> Tensor:
    """∇ log p_t(x) the textbook way: (N, K, 2) offsets, per-component quadratic forms, softmax over K."""
    decay = math.exp(-t)
    means = decay * mixture.means  # (K, 2)
    covs = decay**2 * mixture.covs + (1.0 - decay**2) * torch.eye(2)  # (K, 2, 2)
    precisions = torch.linalg.inv(covs)  # (K, 2, 2)
    offsets = x[:, None, :] - means  # (N, K, 2)
    pulls = torch.einsum("kij,nkj->nki", precisions, offsets)  # (N, K, 2)
    quadratic = (offsets * pulls).sum(-1)  # (N, K)
    log_joint = torch.log(mixture.weights) - 0.5 * torch.logdet(covs) - 0.5 * quadratic
    responsibilities = torch.softmax(log_joint, dim=-1)  # (N, K)
    return -(responsibilities[..., None] * pulls).sum(1)


def naive_backward(mixture: GaussianMixture, x_start: Tensor, num_steps: int) -> Tensor:
    """The backward step (λ = 1) as a plain loop over ``naive_score``, keeping every frame like backward."""
    h = T_END / num_steps
    noise_scale = math.sqrt(2.0 * h)
    generator = torch.Generator().manual_seed(1)
    frames = torch.empty((num_steps + 1, *x_start.shape))
    frames[0] = x = x_start
    for k in range(num_steps):
        drift = x + 2.0 * naive_score(mixture, x, T_END - k * h)
        x = x + h * drift + noise_scale * torch.randn(x.shape, generator=generator)
        frames[k + 1] = x
    return frames


def time_baseline(mixture: GaussianMixture) -> float:
    """Median ms of ``naive_backward`` at the baseline size, after checking its score against the engine's."""
    x = prior_sample(1_000)
    torch.testing.assert_close(naive_score(mixture, x, 0.3), mixture.marginal_score(x, 0.3))
    x_start = prior_sample(BASELINE_PARTICLES)
    return median_ms(lambda: naive_backward(mixture, x_start, BASELINE_STEPS), LARGE_REPEATS)


def record_frames(x: Tensor, frames: Tensor) -> None:
    """Copy x into frames 1..S of ``frames`` (S+1, N, 2), as backward's loop does."""
    for k in range(1, len(frames)):
        frames[k] = x


def profile_step(mixture: GaussianMixture, timing: Timing) -> StepProfile:
    """Split the steps of one profiled backward run of a timed case into the parts of ``PART_ORDER``."""
    case = timing.case
    events, wall_us = profiled_backward(mixture, case)
    parts_us = dict.fromkeys(PART_ORDER, 0.0)
    other_ops_us: Counter[str] = Counter()
    for event in (event for event in events if event.cpu_parent is None):
        part = STEP_PARTS.get(event.name, OTHER_OPS)
        parts_us[part] += event.cpu_time_total / case.num_steps
        if part == OTHER_OPS:
            other_ops_us[event.name.removeprefix("aten::")] += event.cpu_time_total / case.num_steps
    parts_us[PYTHON] = wall_us / case.num_steps - sum(parts_us.values())
    x = prior_sample(case.num_particles)
    frames = torch.empty((case.num_steps + 1, *x.shape))
    reused_copy_us = median_ms(lambda: record_frames(x, frames), 5) * 1e3 / case.num_steps
    label = f"{case.dataset}, N = {case.num_particles:,}, {case.num_steps} steps"
    plain_step_us = 1e3 * timing.median_ms / case.num_steps
    step_us = wall_us / case.num_steps
    return StepProfile(
        label,
        plain_step_us,
        step_us,
        parts_us,
        score_hotspots(events),
        other_ops_us.most_common(2),
        reused_copy_us,
        frames.nbytes / 1e6,
    )


def profiled_backward(mixture: GaussianMixture, case: Case) -> tuple[list[FunctionEvent], float]:
    """torch.profiler events of one backward run of ``case``, score calls labelled, and its wall µs."""
    x_start = prior_sample(case.num_particles)

    def labelled_score(x: Tensor, t: float) -> Tensor:
        with record_function(SCORE):
            return mixture.marginal_score(x, t)

    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        start = time.perf_counter()
        sde.backward(
            labelled_score,
            x_start,
            t_end=T_END,
            num_steps=case.num_steps,
            generator=torch.Generator().manual_seed(1),
        )
        wall_us = 1e6 * (time.perf_counter() - start)
    return list(profiler.events()), wall_us


def score_hotspots(events: list[FunctionEvent], top: int = 4) -> list[tuple[str, float]]:
    """The ``top`` operators (or the score's own Python) by self time, as shares of the score's time."""
    scores = [event for event in events if event.name == SCORE]
    self_us = Counter({"its own Python": sum(event.self_cpu_time_total for event in scores)})
    for operator in (op for event in scores for op in descendants(event)):
        self_us[operator.name.removeprefix("aten::")] += operator.self_cpu_time_total
    total_us = sum(event.cpu_time_total for event in scores)
    return [(name, us / total_us) for name, us in self_us.most_common(top)]


def descendants(event: FunctionEvent) -> Iterator[FunctionEvent]:
    """Every event nested inside ``event``."""
    for child in event.cpu_children:
        yield child
        yield from descendants(child)


def render(
    machine: str, contention: str, timings: list[Timing], baseline_ms: float, profiles: list[StepProfile]
) -> str:
    """The markdown report: setup, timing table, baseline comparison, step breakdown and its reading."""
    return "\n\n".join(
        [
            "## Engine: `core.sde.backward` with the exact score",
            machine,
            contention,
            f"Backward process from T = {T_END:g} to 0, λ = 1, score_fn = `mixture.marginal_score`, "
            "x_start ~ N(0, I) fixed; median of the timed runs after one warm-up; "
            "rate = N × steps / median (M = 10⁶ particle-steps per second).",
            timing_table(timings),
            baseline_line(timings, baseline_ms),
            breakdown_table(profiles),
            limits_paragraph(profiles, timings),
        ]
    )


def timing_table(timings: list[Timing]) -> str:
    """Markdown table of every timed case with its target and verdict."""
    lines = [
        "| run | preset | K | N | steps | repeats | median ms | M particle-steps/s | target | result |",
        "|---|---|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for t in timings:
        lines.append(
            f"| {t.case.kind} | {t.case.dataset} | {t.num_components} | {t.case.num_particles:,} | "
            f"{t.case.num_steps} | {t.case.repeats} | {t.median_ms:.1f} | {t.rate / 1e6:.1f} | "
            f"{t.target} | {t.verdict} |"
        )
    return "\n".join(lines)


def baseline_line(timings: list[Timing], baseline_ms: float) -> str:
    """One sentence comparing the engine at N = 100,000 with the naive broadcasting loop."""
    engine = find_timing(timings, TARGET_CASE)
    baseline_rate = BASELINE_PARTICLES * BASELINE_STEPS / (baseline_ms / 1e3)
    return (
        f"Baseline, a naive broadcasting torch loop of the same step ((N, K, 2) offsets, per-component "
        f"quadratic forms, `torch.softmax` over K, every frame kept) on eight_gaussians, "
        f"N = {BASELINE_PARTICLES:,}, {BASELINE_STEPS} steps ({LARGE_REPEATS} repeats): "
        f"{baseline_ms:.0f} ms = {baseline_rate / 1e6:.1f} M particle-steps/s. "
        f"The engine is **{engine.rate / baseline_rate:.1f}×** faster at the same N."
    )


def breakdown_table(profiles: list[StepProfile]) -> str:
    """Markdown table: µs per step (share of the step) of each part, one column per profile."""
    lines = [
        "| µs per step, under torch.profiler | " + " | ".join(p.label for p in profiles) + " |",
        "|---" + "|--:" * len(profiles) + "|",
        "| whole step, without the profiler | "
        + " | ".join(f"{p.plain_step_us:.0f}" for p in profiles)
        + " |",
        "| whole step | " + " | ".join(f"{p.step_us:.0f}" for p in profiles) + " |",
    ]
    for part in PART_ORDER:
        cells = [f"{p.parts_us[part]:.0f} ({p.parts_us[part] / p.step_us:.0%})" for p in profiles]
        lines.append(f"| {part} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def limits_paragraph(profiles: list[StepProfile], timings: list[Timing]) -> str:
    """What limits the engine, in words, from the measured breakdowns and the num_frames run."""
    sentences = [profile_sentence(p) for p in profiles]
    large = profiles[0]
    all_frames_ms = find_timing(timings, TARGET_CASE).median_ms
    few_frames_ms = find_timing(timings, FEW_FRAMES_CASE).median_ms
    sentences.append(
        f"At {large.label} the frame copies take {large.parts_us[FRAME_COPY]:.0f} µs per step because "
        f"backward allocates a new {large.buffer_mb:.0f} MB (S+1)×N×2 buffer per run and each frame "
        f"lands on untouched pages (into a reused buffer: {large.reused_copy_us:.0f} µs); keeping "
        f"{FEW_FRAMES_CASE.num_frames} frames instead takes the run from {all_frames_ms:.0f} to "
        f"{few_frames_ms:.0f} ms."
    )
    return "**What limits it.** " + " ".join(sentences)


def profile_sentence(step_profile: StepProfile) -> str:
    """Which part dominates a step, and what dominates its score evaluation."""
    parts = step_profile.parts_us
    biggest = max(parts, key=parts.__getitem__)
    hotspots = ", ".join(f"{name} {share:.0%}" for name, share in step_profile.score_hotspots)
    other_ops = ", ".join(f"{name} {us:.0f} µs" for name, us in step_profile.other_ops_us)
    return (
        f"At {step_profile.label} the largest part of a step is {biggest} "
        f"({parts[biggest] / step_profile.step_us:.0%}); inside the score the largest self times are "
        f"{hotspots}; the largest other ops are {other_ops}."
    )


if __name__ == "__main__":
    main()
