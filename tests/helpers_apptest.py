"""Shared helpers for the UI tests: plotly figure JSON as the browser receives it, decoded to numpy."""

from __future__ import annotations

import base64
import json

import numpy as np
import plotly.graph_objects as go
from streamlit.testing.v1 import AppTest

from harness.payloads import chart_payloads
from lessons import chart


def decode(array: object) -> np.ndarray:
    """A plotly JSON array as numpy: typed arrays ``{"dtype", "bdata"[, "shape"]}`` (plotly >= 6) or
    plain lists, where ``None`` (a line gap) becomes NaN."""
    if isinstance(array, dict) and "bdata" in array:
        out = np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
        if "shape" in array:
            out = out.reshape([int(size) for size in str(array["shape"]).split(",")])
        return out
    if isinstance(array, list) and any(value is None for value in np.ravel(np.array(array, dtype=object))):
        return np.array(array, dtype=float)
    return np.asarray(array)


def figure_json(figure: go.Figure) -> str:
    """The figure as the app's charts send it (lessons/chart.py)."""
    return chart.figure_json(figure).decode()


def figure_spec(figure: go.Figure) -> dict:
    return json.loads(figure_json(figure))


def chart_specs(at: AppTest) -> dict[str, dict]:
    return {key: json.loads(payload) for key, payload in chart_payloads(at).items()}
