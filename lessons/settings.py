"""The lesson settings: one frozen config, its allowed values, and its URL form (no Streamlit here).

Every control is a choice among fixed options (or a seed, or a toggle), so a URL can only ever
name a valid setup: ``parse_query`` turns anything else into the default plus a plain-words note.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from urllib.parse import urlencode, urlsplit, urlunsplit

from lessons import user_data

DATASET_LABELS = {
    "eight_gaussians": "Eight Gaussians (ring)",
    "two_moons": "Two moons",
    "spiral": "Spiral",
    "checkerboard": "Checkerboard",
    "rings": "Concentric rings",
    "smiley": "Smiley",
    "two_modes": "Two tilted modes",
    "gaussian": "Standard Gaussian N(0, I)",
    "single_point": "A single point",
    "custom": "Your own data",
}
FIELD_LABELS = {
    "none": "none",
    "score": "score s_t",
    "forward": "forward drift −x",
    "backward": "backward drift x + (1+λ)s_t",
    "langevin": "Langevin drift (1+λ)s_t",
}
START_LABELS = {"target": "target", "box": "box", "point": "point"}
METHOD_LABELS = {"exact": "exact", "euler": "Euler–Maruyama"}
TRAIL_LABELS = {"tail": "short tail", "full": "full history"}
LANGEVIN_STEP_LABELS = {"ula": "ULA", "mala": "MALA"}  # unadjusted, or Metropolis-adjusted (MATH §9)
SAMPLER_LABELS = {  # the score-only samplers of core.samplers.SAMPLERS (MATH §9)
    "euler_maruyama": "Euler–Maruyama (reverse SDE)",
    "probability_flow": "Euler (probability-flow ODE)",
    "ddpm": "DDPM (ancestral)",
    "ddim": "DDIM",
    "heun": "Heun (2nd-order ODE)",
    "dpm_solver_2m": "DPM-Solver++(2M)",
    "predictor_corrector": "Predictor–corrector",
}
GRID_LABELS = {"uniform": "uniform in t", "log_snr": "log-SNR", "karras": "Karras"}  # core.time_grids.GRIDS
SEED_MAX = 9999
QUOTED_CHARACTERS = 20  # at most this much of an ignored value is shown back to the student
# escaped in a quoted value: what can start or form inline Markdown (escapes, code, emphasis,
# strikethrough, links and images, HTML and autolinks, entities, Streamlit's :icons: and :colour[text],
# $formulas$, e-mail autolinks, tables), and the quote mark, so that the quote ends where it seems to
ESCAPED = frozenset("\\`*_~[]()!<>&:$@|'")


@dataclass(frozen=True)
class Option:
    """A control: its label, its allowed values (empty for the free seed) and how to show them."""

    label: str
    values: tuple = ()
    widget: str = "select_slider"  # select_slider | selectbox | segmented | toggle | seed | data


OPTIONS: dict[str, Option] = {
    "dataset": Option("Dataset", tuple(DATASET_LABELS), "selectbox"),
    "particles": Option("Particles", (100, 200, 500, 1000, 2000, 5000, 10000)),
    "step_size": Option("Step size h", (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 1.5, 2.0)),
    "num_steps": Option("Steps", (10, 20, 50, 100, 200, 500, 1000)),
    "t_end": Option("Total time T", (0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)),
    "time": Option("Time t", tuple(round(0.05 * k, 2) for k in range(61))),
    "lam": Option("λ (0 = ODE, 1 = reverse SDE)", (0.0, 0.25, 0.5, 1.0, 1.5, 2.0)),
    "train_steps": Option("Training steps", (50, 200, 500, 1000, 2000, 4000)),
    "start": Option("Start from", tuple(START_LABELS), "segmented"),
    "method": Option("Forward step", tuple(METHOD_LABELS), "segmented"),
    "langevin_step": Option("Langevin step", tuple(LANGEVIN_STEP_LABELS), "segmented"),
    "evaluations": Option("Score evaluations (budget)", (5, 10, 20, 50, 100, 200)),
    "grid": Option("Time grid", tuple(GRID_LABELS), "selectbox"),
    "sampler": Option("First sampler", tuple(SAMPLER_LABELS), "selectbox"),
    "second_sampler": Option("Second sampler", tuple(SAMPLER_LABELS), "selectbox"),
    "field": Option("Arrows", tuple(FIELD_LABELS), "selectbox"),
    "seed": Option("Random seed", widget="seed"),
    "show_density": Option("Exact density p_t", (True, False), "toggle"),
    "show_paths": Option("Trace a few particles", (True, False), "toggle"),
    "trail": Option("Traced paths", tuple(TRAIL_LABELS), "segmented"),
    "bandwidth": Option("KDE bandwidth σ₀", user_data.BANDWIDTHS),
    "points": Option("Your points", ("",), "data"),  # "" = none; any user_data.encode'd text is allowed too
}
LABELS = {
    "dataset": DATASET_LABELS,
    "field": FIELD_LABELS,
    "start": START_LABELS,
    "method": METHOD_LABELS,
    "trail": TRAIL_LABELS,
    "langevin_step": LANGEVIN_STEP_LABELS,
    "grid": GRID_LABELS,
    "sampler": SAMPLER_LABELS,
    "second_sampler": SAMPLER_LABELS,
}


@dataclass(frozen=True)
class Settings:
    """Everything a lesson's simulation depends on; each page uses a subset of the fields."""

    dataset: str = "eight_gaussians"
    particles: int = 1000
    step_size: float = 0.02
    num_steps: int = 200
    t_end: float = 4.0
    time: float = 0.5
    lam: float = 1.0
    train_steps: int = 2000
    start: str = "box"
    method: str = "exact"
    langevin_step: str = "ula"  # lesson 1: ULA (as before the choice existed) or MALA
    evaluations: int = 50  # lesson 7: the budget of score evaluations of a sampler run
    grid: str = "uniform"
    sampler: str = "euler_maruyama"
    second_sampler: str = "dpm_solver_2m"
    field: str = "none"
    seed: int = 0
    show_density: bool = True
    show_paths: bool = True
    trail: str = "tail"
    bandwidth: float = 0.1
    points: str = ""  # own data, user_data.encode'd; used when dataset == "custom"


FIELD_NAMES = tuple(f.name for f in fields(Settings))
VIEW_FIELDS = ("field", "show_density", "show_paths", "trail")  # how a run is shown, not what is simulated


def simulation_settings(settings: Settings) -> Settings:
    """The settings an engine run depends on (its cache key): the view fields at their defaults, so
    that switching arrows, the density or the traced paths never simulates again."""
    return replace(settings, **{name: getattr(Settings, name) for name in VIEW_FIELDS})


def parse_query(params: Mapping[str, str], defaults: Settings) -> tuple[Settings, list[str]]:
    """Settings from URL parameters; unknown names are ignored, invalid values fall back to
    ``defaults`` with a note each."""
    values, notes = {}, []
    for name in FIELD_NAMES:
        if name not in params:
            continue
        parsed = parse_value(name, str(params[name]))
        if parsed is None:
            default = getattr(defaults, name)
            notes.append(
                f"Ignored {name}={quoted(params[name])} from the link: kept {format_value(name, default)}."
            )
        else:
            values[name] = parsed
    return replace(defaults, **values), notes


def parse_value(name: str, text: str) -> object | None:
    """The allowed value of control ``name`` written as ``text`` in a URL, or None if there is none."""
    option = OPTIONS[name]
    if option.widget == "seed":
        return (
            int(text)
            if text.isascii() and text.isdigit() and len(text) <= 6 and int(text) <= SEED_MAX
            else None
        )
    if option.widget == "data":
        return text if text == "" or user_data.decode(text) is not None else None
    if option.widget == "toggle":
        return {"1": True, "true": True, "0": False, "false": False}.get(text.lower())
    if isinstance(option.values[0], str):
        return text if text in option.values else None
    try:
        number = float(text)
    except ValueError:
        return None
    matches = [v for v in option.values if math.isclose(v, number, rel_tol=1e-9, abs_tol=1e-12)]
    return matches[0] if matches else None


def to_query(settings: Settings, names: tuple[str, ...]) -> dict[str, str]:
    """URL parameters for the controls ``names`` of ``settings``."""
    return {name: _url_text(getattr(settings, name)) for name in names}


def share_url(page_url: str, page: str, query: Mapping[str, str]) -> str:
    """The link to ``page`` with ``query``, from the address the browser shows for the app.

    ``page_url`` is ``st.context.url``: the app's address (with any ``server.baseUrlPath``) and, on a
    page other than the default one, that page's path already (``…/backward``); query and anchor are
    not part of it. The page path is added only where it is missing, so it never appears twice.
    """
    scheme, host, path, _, _ = urlsplit(page_url)
    path = path.rstrip("/")
    if not path.endswith(f"/{page}"):
        path = f"{path}/{page}"
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def format_value(name: str, value: object) -> str:
    """How a control's value is shown to a student."""
    if name in LABELS:
        return LABELS[name][value]
    if name == "points":
        points = user_data.decode(str(value))
        return "none" if points is None else f"{len(points)} points"
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)


def quoted(value: object, limit: int = QUOTED_CHARACTERS) -> str:
    """``value`` as a note may show it back, in Markdown that shows it literally: a number as it is;
    anything else as at most ``limit`` characters of its text between single quotes (``…`` when there
    was more), each character that is not printable written as its escape (``\\n``, ``\\u202e``),
    and each character that can make inline markup (``ESCAPED``, and a dot that does not follow a
    digit: ``www.`` starts an autolink) backslash-escaped. In CommonMark a backslash-escaped
    punctuation character is a plain character, so no link, image, autolink, HTML, emphasis, formula
    or icon can come from ``value``; a note quotes it mid-line, where a leading ``#``, ``-`` or ``+``
    makes no heading or list."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    text = value if isinstance(value, str) else repr(value)
    shown = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text[:limit])
    escaped = "".join(
        f"\\{char}" if char in ESCAPED or (char == "." and not shown[:at][-1:].isdigit()) else char
        for at, char in enumerate(shown)
    )
    return f"'{escaped}{'…' if len(text) > limit else ''}'"


def _url_text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return f"{value:g}" if isinstance(value, float) else str(value)
