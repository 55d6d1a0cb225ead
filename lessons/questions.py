"""The prediction questions of class mode, by lesson (the registry's page names): the teacher asks one,
the class answers, and "Reveal" applies its setting for everyone and shows the answer. Each answer is
what the lesson's readouts show at that setting over 8 seeds (tests/test_classroom_questions.py).
No Streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    """``asked`` is the setting shown while the class thinks (changes to the page's defaults),
    ``revealed`` the one "Reveal" applies; ``answer`` is one of ``choices``; ``why`` names the readout
    that shows it."""

    id: str
    page: str
    text: str
    choices: tuple[str, ...]
    answer: str
    why: str
    asked: tuple[tuple[str, object], ...] = ()
    revealed: tuple[tuple[str, object], ...] = ()


QUESTIONS = (
    Question(
        "langevin-wide-h",
        "langevin",
        "h goes from 0.05 to 1.0 on the standard Gaussian. Will the cloud end up wider, narrower, or the same?",
        ("Wider", "Narrower", "The same"),
        "Wider",
        "ULA's step is biased: on N(0, I) it settles at variance 1 / (1 − h/2) = 2 at h = 1. The readouts "
        "below the chart show the measured variance next to that closed form, and the verdict says too wide.",
        asked=(("dataset", "gaussian"), ("start", "target"), ("step_size", 0.05)),
        revealed=(("dataset", "gaussian"), ("start", "target"), ("step_size", 1.0)),
    ),
    Question(
        "langevin-moons-blow-up",
        "langevin",
        "Two moons, started from the target, at h = 0.05. Will the cloud stay on the moons, blur, or blow up?",
        ("Stay on the moons", "Blur", "Blow up"),
        "Blow up",
        "Near the thin moons the score is steep: a step of 0.05 overshoots, and the particles fly off. "
        "The chart says the run blew up; h = 0.001 stays on the moons.",
        asked=(("dataset", "two_moons"), ("start", "target"), ("step_size", 0.001)),
        revealed=(("dataset", "two_moons"), ("start", "target"), ("step_size", 0.05)),
    ),
    Question(
        "forward-euler-variance",
        "forward",
        "The forward step switches from exact to Euler–Maruyama at h = 0.5. At T, will the cloud's variance "
        "be larger than 1, smaller, or 1?",
        ("Larger than 1", "Smaller than 1", "1"),
        "Larger than 1",
        "Euler–Maruyama's OU step settles at variance 1 / (1 − h/2) = 4/3 at h = 0.5; the readouts show the "
        "measured variance at T next to that closed form. The exact step stays at 1.",
        asked=(("method", "exact"), ("step_size", 0.5)),
        revealed=(("method", "euler"), ("step_size", 0.5)),
    ),
    Question(
        "backward-ode-paths",
        "backward",
        "λ goes from 1 (reverse SDE) to 0 (the probability-flow ODE). Will the traced paths be smoother, "
        "rougher, or the same?",
        ("Smoother", "Rougher", "The same"),
        "Smoother",
        "At λ = 0 the backward step adds no noise: each particle follows the flow, so its path is a smooth "
        "curve. The final KL is also smaller at this h.",
        asked=(("lam", 1.0),),
        revealed=(("lam", 0.0),),
    ),
    Question(
        "duality-own-start",
        "duality",
        "Start the backward run from the forward run's own endpoints. Will the particles come back to where "
        "they started?",
        ("Yes, each to its own start", "Nearer their own start", "No, anywhere in the data"),
        "No, anywhere in the data",
        "The cloud comes back to the data distribution, but not particle by particle: at t = 0 a backward "
        "particle is as far from its own partner's start as from a random particle's (the partner chart's "
        "ratio is near 1).",
        revealed=(("t_end", 4.0),),
    ),
    Question(
        "duality-short-time",
        "duality",
        "Now T = 0.5. Will a backward particle land nearer its own forward partner's start than a random one?",
        ("Nearer its own", "As near as a random one", "Farther"),
        "Nearer its own",
        "Over a short time a particle has not forgotten where it began: the partner chart's ratio at t = 0 "
        "drops well below 1. The path still does not retrace the forward one.",
        asked=(("t_end", 4.0),),
        revealed=(("t_end", 0.5),),
    ),
)
BY_ID = {question.id: question for question in QUESTIONS}


def for_page(page: str) -> tuple[Question, ...]:
    """The questions of the registry page named ``page`` (none for a page without any)."""
    return tuple(question for question in QUESTIONS if question.page == page)
