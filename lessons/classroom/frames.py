"""The time slider's frame, between browsers: the teacher's page reports the frame its animated chart
shows; a following student's page moves its own chart's slider there. Two tiny v2 components with no
look of their own (the pattern of lessons/presenter.py's sidebar closer)."""

from __future__ import annotations

import time

import streamlit as st

_FIND_CHART = "[...document.querySelectorAll('.lab-chart')].find((g) => g._fullLayout?.sliders?.length)"

_REPORTER = st.components.v2.component(
    "lab_class_frame_report",
    html="",
    js=f"""export default function ({{ parentElement, setStateValue }}) {{
  parentElement.__labReport = setStateValue;
  if (parentElement.__labTimer) return;
  let last;
  parentElement.__labTimer = setInterval(() => {{
    const chart = {_FIND_CHART};
    const active = chart ? (chart._fullLayout.sliders[0].active ?? 0) : null;
    if (active !== last) {{ last = active; parentElement.__labReport("frame", active); }}
  }}, 250);
  return () => {{ clearInterval(parentElement.__labTimer); parentElement.__labTimer = 0; }};
}}""",
)

_FOLLOWER = st.components.v2.component(
    "lab_class_frame_follow",
    html="",
    js=f"""export default function ({{ data }}) {{
  if (data == null || data.frame == null) return;
  let tries = 0;
  const apply = () => {{
    const chart = {_FIND_CHART};
    if (!chart || !window.Plotly) {{ if (tries++ < 2) setTimeout(apply, 250); return; }}
    const slider = chart._fullLayout.sliders[0];
    const step = slider.steps?.[data.frame];
    if (step && slider.active !== data.frame) window.Plotly.animate(chart, ...step.args).catch(() => {{}});
  }};
  apply();
}}""",
)


def reported_frame(key: str) -> int | None:
    """The frame the teacher's animated chart shows, as its browser last reported it (None: no chart)."""
    result = _REPORTER(key=key, on_frame_change=_ignore)
    frame = getattr(result, "frame", None)
    return frame if isinstance(frame, int) and not isinstance(frame, bool) else None


def follow_frame(frame: int | None, key: str) -> None:
    """Move this page's animated chart to ``frame``. Called at every poll with the poll's time in its
    data, so the browser applies it again each time: a chart drawn again since (its slider back at
    the start) or a poll's message lost on a loaded server is put right at the next poll."""
    _FOLLOWER(data={"frame": frame, "poll": time.time()}, key=key)


def _ignore() -> None:
    """The frame reaches Python as the component's state; nothing more to do when it changes."""
