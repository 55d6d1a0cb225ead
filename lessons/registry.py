"""Every page of the app, declared once: its URL path, title, icon, script, and, for a lesson, its
defaults, its controls, the engine run behind it and the colour of its cloud.

``app.py`` builds the navigation from ``PAGES``; the generic lesson view (``lessons/view.py``), the
tests and the benchmarks read the same entries. No Streamlit here: importing this module runs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lessons import duality_model, fit, simulate, splitting_model
from lessons.figures import COLOURS
from lessons.settings import OPTIONS, SAMPLER_LABELS, Settings


@dataclass(frozen=True)
class Page:
    """One page. ``url_path`` is "" for the default (home) page; ``layout`` names the lesson view's
    arrangement (lessons/view.py): "cloud" (one animated cloud with its distance readouts), "split",
    "duality", "learning", "samplers" (lessons/sampler_view.py), or "" for a page that is not a lesson
    view."""

    url_path: str
    title: str
    icon: str
    script: str
    defaults: Settings = field(default_factory=Settings)
    controls: tuple[str, ...] = ()
    run: Callable[[Settings], object] | None = None
    measure: Callable[[object, Settings], object] | None = None
    colour: str = COLOURS["reference"]
    layout: str = ""
    cloud_title: str = ""
    time_symbol: str = "t"
    time_axis: str = "forward time t"
    counts_down: bool = False  # frames run from t = T down to 0: labelled with t′ = T − t too
    control_labels: tuple[tuple[str, str], ...] = ()  # (control, label) where this page names it otherwise

    @property
    def name(self) -> str:
        """The page's name in tests, benchmarks and session state: its URL path, "home" for the default."""
        return self.url_path or "home"

    @property
    def is_lesson(self) -> bool:
        return bool(self.controls)

    def cloud_label(self, settings: Settings) -> str:
        """The cloud's title at ``settings``: ``cloud_title``, naming MALA instead of ULA when a page
        with the Langevin step control runs MALA, and the sampler on a page with the sampler control."""
        if "langevin_step" in self.controls and settings.langevin_step == "mala":
            return self.cloud_title.replace("(ULA)", "(MALA)")
        if "sampler" in self.controls:
            return f"{self.cloud_title} ({SAMPLER_LABELS[settings.sampler].split(' (')[0]})"
        return self.cloud_title

    def control_label(self, name: str) -> str:
        """The label of control ``name`` on this page: its own where it has one, else the option's."""
        return dict(self.control_labels).get(name, OPTIONS[name].label)


HOME = Page("", "Home", ":material/home:", "lessons/home.py")
LESSONS = (
    Page(
        "langevin",
        "1 · Langevin dynamics",
        ":material/all_inclusive:",
        "lessons/langevin.py",
        defaults=Settings(dataset="gaussian", step_size=0.05, num_steps=200, start="box"),
        controls=(
            *("dataset", "start", "particles", "step_size", "langevin_step", "num_steps", "seed"),
            *("field", "show_density", "show_paths", "trail"),
        ),
        run=simulate.langevin_run,
        measure=fit.measure,
        colour=COLOURS["langevin"],
        layout="cloud",
        cloud_title="Langevin (ULA) particles",
        time_symbol="τ",
        time_axis="Langevin time τ = k h",
        control_labels=(("show_density", "Exact density p (the target)"),),
    ),
    Page(
        "forward",
        "2 · Forward diffusion",
        ":material/trending_flat:",
        "lessons/forward.py",
        defaults=Settings(dataset="two_moons", step_size=0.02, t_end=4.0, method="exact"),
        controls=(
            *("dataset", "method", "particles", "step_size", "t_end", "seed"),
            *("field", "show_density", "show_paths", "trail"),
        ),
        run=simulate.forward_run,
        measure=fit.measure,
        colour=COLOURS["forward"],
        layout="cloud",
        cloud_title="Forward (OU) particles",
    ),
    Page(
        "splitting",
        "3 · Splitting a step",
        ":material/call_split:",
        "lessons/splitting.py",
        defaults=Settings(dataset="two_moons", step_size=0.1, time=0.3, lam=1.0, particles=500),
        controls=("dataset", "time", "particles", "step_size", "lam", "seed"),
        run=splitting_model.split_run,
        measure=splitting_model.measure_halves,
        colour=COLOURS["langevin"],
        layout="split",
    ),
    Page(
        "backward",
        "4 · Backward diffusion",
        ":material/undo:",
        "lessons/backward.py",
        defaults=Settings(dataset="two_moons", step_size=0.02, t_end=4.0, lam=1.0),
        controls=(
            *("dataset", "sampler", "particles", "step_size", "t_end", "lam", "seed"),
            *("field", "show_density", "show_paths", "trail"),
        ),
        run=simulate.backward_run,
        measure=fit.measure,
        colour=COLOURS["backward"],
        layout="cloud",
        cloud_title="Backward particles",
        counts_down=True,
        time_axis="forward time t (runs from T down to 0)",
        control_labels=(("sampler", "Sampler"), ("lam", "λ of Euler–Maruyama (0 = ODE, 1 = reverse SDE)")),
    ),
    Page(
        "duality",
        "5 · Duality",
        ":material/compare_arrows:",
        "lessons/duality.py",
        defaults=Settings(dataset="eight_gaussians", step_size=0.02, t_end=4.0, lam=1.0, particles=500),
        controls=(
            "dataset",
            "particles",
            "step_size",
            "t_end",
            "lam",
            "seed",
            "show_density",
            "show_paths",
            "trail",
        ),
        run=duality_model.duality_run,
        colour=COLOURS["backward"],
        layout="duality",
    ),
    Page(
        "learning",
        "6 · Learning the score",
        ":material/neurology:",
        "lessons/learning.py",
        defaults=Settings(dataset="two_moons", train_steps=2000, time=0.3, particles=500),
        controls=("dataset", "train_steps", "time", "particles", "seed"),
        colour=COLOURS["backward"],
        layout="learning",
    ),
    Page(
        "samplers",
        "7 · Samplers and step counts",
        ":material/speed:",
        "lessons/samplers.py",
        # budget 50, uniform grid, Euler–Maruyama vs DPM-Solver; the denoiser view at t = 0.5
        defaults=Settings(dataset="two_moons", particles=500, time=0.5),
        controls=("dataset", "evaluations", "grid", "sampler", "second_sampler", "seed", "time"),
        colour=COLOURS["backward"],
        layout="samplers",
    ),
)
OWN_DATA = Page("own-data", "Your own data", ":material/draw:", "lessons/own_data.py")
PAGES = (HOME, *LESSONS, OWN_DATA)
BY_NAME = {page.name: page for page in PAGES}
SECTIONS = {"Langevin Lab": (HOME,), "Lessons": LESSONS, "Explore": (OWN_DATA,)}  # the sidebar's groups


def page(name: str) -> Page:
    """The page called ``name`` (its URL path, or "home"); KeyError names the pages that exist."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no page {name!r}; pages: {', '.join(BY_NAME)}") from None
