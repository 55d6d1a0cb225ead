"""Lesson 6's training: the Train button and its live progress, the stores of trained networks, and
the views of a trained network against the exact score.

Where a trained network is kept, and who sees it:

- A preset's network depends only on the dataset, the training steps and the seed, settings that
  every student can see and share in a link, and training is reproducible for a seed: every session
  that trained it would get the same weights. So preset networks are **shared by the server**
  (``_model_store``): a network trained once saves the next student its seconds of CPU, and shows
  nothing private.
- A network trained on a student's own data would show that drawing to anyone who saw its samples,
  so it is **kept in its session only** (``st.session_state``), and is gone when the session ends.

Every network is stored under ``network_key``: everything its weights depend on (own points and
bandwidth included). A stopped training never replaces a network of the same key trained for more
steps. The clouds generated with a network (``learned``) are cached for the server, keyed by
the settings and the network's key and steps, which only a session that holds the network asks for.
Memory: a network holds at most 4 snapshots of ≈ 47 kB of weights and one loss per step, so
at most NETWORK_BYTES; the server keeps SHARED_NETWORKS preset networks and each session
SESSION_NETWORKS own-data ones: for a class of 40, at most (64 + 40 × 2) × 256 kB ≈ 37 MB.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from lessons import engine_cache, lesson_figures, scheduler, score_learning, url_state, work_budget
from lessons.presenter import show
from lessons.settings import OPTIONS, Settings, format_value
from lessons.simulate import data_only

CACHE_ENTRIES = 24
SHARED_NETWORKS = 64  # preset networks kept for the whole server, the least recently used dropped first
SESSION_NETWORKS = 2  # own-data networks kept per session
NETWORK_BYTES = 256_000  # the most one stored network holds (weights of every snapshot and the losses)
TRAIN_BUDGET_S = 3.0  # CPU seconds one training may cost a shared server (the work budget of issue 17)
SECONDS_PER_SAMPLE = 2.7e-6  # CPU seconds per training sample (step × batch), one thread: bench/RESULTS.md
SHARED_WITH_EVERYONE = "shared with everyone using this server"
KEPT_FOR_THIS_SESSION = "kept for you alone: it learned your own data, which stay in your session"


class NetworkStore:
    """Trained networks by ``network_key``, at most ``capacity`` of them, the least recently used
    dropped first; safe to use from several sessions' threads at once."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._networks: OrderedDict[tuple, score_learning.TrainedScore] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> score_learning.TrainedScore | None:
        """The network stored under ``key``, if any (one lookup: what it returns stays usable even
        if another session's network pushes it out next)."""
        with self._lock:
            trained = self._networks.get(key)
            if trained is not None:
                self._networks.move_to_end(key)
            return trained

    def offer(self, key: tuple, trained: score_learning.TrainedScore) -> score_learning.TrainedScore:
        """Store ``trained`` unless the network under ``key`` was trained for more steps; returns
        the one that is kept."""
        with self._lock:
            kept = self._networks.get(key)
            if kept is None or len(trained.losses) >= len(kept.losses):
                self._networks[key] = kept = trained
            self._networks.move_to_end(key)
            while len(self._networks) > self.capacity:
                self._networks.popitem(last=False)
            return kept

    def clear(self) -> None:
        """Forget every network."""
        with self._lock:
            self._networks.clear()

    def __len__(self) -> int:
        return len(self._networks)


@st.cache_resource
def _model_store() -> NetworkStore:
    """The preset networks, shared by every session of the server."""
    return NetworkStore(SHARED_NETWORKS)


def _session_store() -> NetworkStore:
    """The own-data networks of this session only."""
    return st.session_state.setdefault("_own_data_networks", NetworkStore(SESSION_NETWORKS))


def network_key(settings: Settings) -> tuple:
    """Everything a trained network's weights depend on: the dataset (with the own points and their
    bandwidth when it is the student's own), the training steps and the seed."""
    if settings.dataset == "custom":
        return (settings.dataset, settings.points, settings.bandwidth, settings.train_steps, settings.seed)
    return (settings.dataset, settings.train_steps, settings.seed)


def store_for(settings: Settings) -> NetworkStore:
    """Where a network trained for these settings is kept: the session's own store for own data,
    the server's shared one for a preset."""
    return _session_store() if settings.dataset == "custom" else _model_store()


def who_sees(settings: Settings) -> str:
    """Who else sees the network trained for these settings, in words."""
    return KEPT_FOR_THIS_SESSION if settings.dataset == "custom" else SHARED_WITH_EVERYONE


def network_bytes(trained: score_learning.TrainedScore) -> int:
    """The memory a stored network holds: its snapshots' weights and its losses."""
    weights = sum(t.numel() * t.element_size() for _, state in trained.snapshots for t in state.values())
    return weights + trained.losses.nbytes


def trained_score(settings: Settings) -> score_learning.TrainedScore | None:
    """The network trained for these settings, if this session may see one."""
    return store_for(settings).get(network_key(settings))


@dataclass
class _Training:
    """This session's training under way: the job, the visit of lesson 6 it last advanced in, and
    the step it was paused at while the student was on another page (None if it never was)."""

    job: score_learning.TrainingJob
    visit: int
    paused_at: int | None = None


def training(settings: Settings) -> score_learning.TrainedScore | None:
    """The Train button and, while training runs, one chunk per rerun with a progress bar, a live
    loss curve and a Stop button; returns the network this session sees for the settings.

    A training left for another page waits there and goes on when the student comes back, with a
    note that it was paused; one whose setup changed stops, keeps what it learned, and says so.
    """
    notes = st.container()
    trained = _train_a_chunk(settings, notes)
    _show_notes(notes)
    return trained


def _train_a_chunk(settings: Settings, notes: DeltaGenerator) -> score_learning.TrainedScore | None:
    """The buttons, then the next chunk of this session's training and its progress (with a rerun
    for the chunk after), or the network this session sees for the settings."""
    running = _current_training(settings)
    if st.button("Train the network", key="train", icon=":material/model_training:", type="primary"):
        running = _start(settings)
    if running is None:
        return trained_score(settings)
    stop = st.empty()
    if stop.button("Stop training", key="stop_training", icon=":material/stop:"):
        stop.empty()
        return _finish(running.job)
    _note_pause(running)
    if engine_cache.guarded(lambda _: _advance_on_a_core(running.job), settings) is None:
        return trained_score(settings)
    if running.job.done:
        stop.empty()
        return _finish(running.job)
    _show_progress(running.job, settings)
    _show_notes(notes)
    st.rerun()


def _advance_on_a_core(job: score_learning.TrainingJob) -> bool:
    """The training's next chunk on one of the server's cores, in line with every other run (MustWait
    when none is free: ``engine_cache.guarded`` waits for one and says how many runs are ahead). Never
    cut short: a chunk stopped halfway would leave the network and its losses out of step."""
    scheduler.SERVER_CORES.run(lambda: score_learning.advance_training(job), _never)
    return True


def _never() -> None:
    """A training chunk's cancellation check: it always finishes (the Stop button acts between chunks)."""


def _show_notes(notes: DeltaGenerator) -> None:
    """What happened to a training the student did not see end (each note once), in ``notes``."""
    for note in st.session_state.pop("training_notes", []):
        notes.info(note, icon=":material/info:")


def training_cost(settings: Settings) -> float:
    """The CPU seconds training for these settings is estimated to cost, before it starts:
    steps × batch × SECONDS_PER_SAMPLE."""
    return settings.train_steps * score_learning.TRAIN_BATCH * SECONDS_PER_SAMPLE


def _start(settings: Settings) -> _Training | None:
    """A new training for these settings, or None with a note when it would cost more than
    TRAIN_BUDGET_S."""
    cost = training_cost(settings)
    if cost > TRAIN_BUDGET_S:
        affordable = max(
            steps
            for steps in OPTIONS["train_steps"].values
            if training_cost(replace(settings, train_steps=steps)) <= TRAIN_BUDGET_S
        )
        cost_words = work_budget.seconds_in_words(cost)
        _add_note(
            f"Training for {settings.train_steps:,} steps would take about {cost_words} of the server's "
            f"processor, more than the {TRAIN_BUDGET_S:.0f} s one student may ask of a shared server: "
            f"choose {affordable:,} steps or fewer."
        )
        return None
    running = st.session_state["training"] = _Training(score_learning.start_training(settings), 0)
    return running


def _current_training(settings: Settings) -> _Training | None:
    """This session's training, if it is for these settings; one for another setup is stopped with
    its work kept (``_finish``) and a note."""
    running = st.session_state.get("training")
    if running is None or network_key(running.job.settings) == network_key(settings):
        return running
    job = running.job
    _finish(job)
    _add_note(
        f"The training on {format_value('dataset', job.settings.dataset)} stopped at step "
        f"{len(job.losses):,} of {job.settings.train_steps:,}: the setup changed. What it learned is "
        "kept for that setup."
    )
    return None


def _note_pause(running: _Training) -> None:
    """Remember when the training was paused by a visit to another page, and say so while it runs."""
    visit = url_state.visit_number()
    if running.visit and running.visit != visit:
        running.paused_at = len(running.job.losses)
    running.visit = visit
    if running.paused_at is not None:
        st.info(
            f"The training paused at step {running.paused_at:,} while you were on another page, and "
            "went on when you came back.",
            icon=":material/pause_circle:",
        )


def _finish(job: score_learning.TrainingJob) -> score_learning.TrainedScore | None:
    """End this session's training: its network offered to its store (unless no step was taken),
    and the network that store keeps for the setup returned."""
    st.session_state.pop("training", None)
    store, key = store_for(job.settings), network_key(job.settings)
    if not job.losses:
        return store.get(key)
    kept = store.offer(key, score_learning.finish_training(job))
    if len(kept.losses) > len(job.losses):
        _add_note(
            f"Stopped at step {len(job.losses):,}. A network trained longer for this setup "
            f"({len(kept.losses):,} steps) is kept, and shown below."
        )
    return kept


def _add_note(note: str) -> None:
    st.session_state.setdefault("training_notes", []).append(note)


def progress_text(job: score_learning.TrainingJob) -> str:
    """How far the training is, as the live loss chart's x-axis title: the words travel with the
    curve they describe, so they always show the same step."""
    done, steps = len(job.losses), job.settings.train_steps
    return f"training step: {done:,} of {steps:,} done · last loss {job.losses[-1]:.3f}"


def _show_progress(job: score_learning.TrainingJob, settings: Settings) -> None:
    st.progress(len(job.losses) / job.settings.train_steps)
    figure = lesson_figures.loss_figure(np.array(job.losses), loss_floor(settings))
    figure["layout"]["xaxis"]["title"]["text"] = progress_text(job)
    show(figure, "live_loss")


def loss_floor(settings: Settings) -> float:
    """``score_learning.exact_score_loss`` of the settings' dataset, cached per dataset only."""
    return _loss_floor(data_only(settings))


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Computing the exact score's loss…")
def _loss_floor(data: Settings) -> float:
    return score_learning.exact_score_loss(data)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Generating with the exact and the learned score…")
def learned(
    settings: Settings, network: tuple, _trained: score_learning.TrainedScore
) -> score_learning.LearnedRun:
    """Cached ``score_learning.learned_run`` of ``_trained``, which ``network`` = (network_key, steps
    trained) names in the cache key (training is reproducible, so the two always go together)."""
    return engine_cache.on_a_core(lambda: score_learning.learned_run(settings, _trained))


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Generating with the earlier snapshots…")
def earlier_snapshots(
    settings: Settings, network: tuple, _trained: score_learning.TrainedScore
) -> tuple[tuple[int, np.ndarray, float], ...]:
    """Cached ``score_learning.earlier_snapshots`` of ``_trained``, named by ``network`` as in ``learned``."""
    return engine_cache.on_a_core(lambda: score_learning.earlier_snapshots(settings, _trained))


def compared_at(chosen: float, compared: float) -> str:
    """Where the fields are compared, in words: the chosen time t, or, below the network's t_min,
    that time and why."""
    if compared == chosen:
        return f"At t = {chosen:g}"
    return (
        f"At t = {compared:g}, the smallest time the network was trained for (t = {chosen:g} would ask "
        "it outside its training range: it answers for that time instead)"
    )


def learning_views(settings: Settings, trained: score_learning.TrainedScore) -> None:
    """The learned field against the exact one at t, then samples generated with both scores."""
    fields = score_learning.compare_fields(settings, trained)
    show(lesson_figures.field_comparison(fields), "fields")
    st.caption(
        f"{compared_at(settings.time, fields.time)}: relative error E‖s_θ − s‖² / E‖s‖² over samples of p_t = "
        f"{fields.relative_error:.3f}. The right panel is bright only where the network is wrong *and* "
        "p_t has mass: errors where there is no data barely matter."
    )
    if refused := work_budget.generation_refusal(settings, len(trained.snapshots)):
        st.warning(refused, icon=":material/tune:")
        return
    network = (network_key(settings), len(trained.losses))
    run = engine_cache.guarded(lambda chosen: learned(chosen, network, trained), settings)
    if run is None:
        return
    show(lesson_figures.learned_figure(run), "cloud")
    st.markdown(
        f"**KL to the data:** exact score `{run.exact_kl:.3f}` nats, learned score "
        f"`{run.learned_kl:.3f}` nats; exact clouds of this size read within ±`{run.margin:.3f}`."
    )
    st.caption(
        "Both generate with the same start and the same noise, through the same "
        f"{score_learning.LEARNED_STEPS - 1} Euler–Maruyama steps and a last denoising step, on a time grid "
        "whose steps shorten near t = 0 (lesson 7 compares grids). With the exact score these steps read "
        "as exact clouds on every preset but the single point, so what the learned score reads beyond "
        "that is the network's own error. KL is measured from the data's exact density, minus what an "
        "exact cloud of this size reads (MATH §10)."
    )
    earlier = engine_cache.guarded(lambda chosen: earlier_snapshots(chosen, network, trained), settings)
    if earlier is not None:
        show(lesson_figures.snapshot_row(run, earlier), "snapshots")
