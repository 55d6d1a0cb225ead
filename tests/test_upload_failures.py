"""Uploaded files and canvas edits that used to crash the own-data page: values of any finite size
or spread, UTF-16, UTF-32 and Latin-1 text, binary files, files over the limit (the same limit as the
server's), and forged strokes. Each is read, or refused in one plain line with the session intact."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lessons import drawing, user_data

ROOT = Path(__file__).resolve().parents[1]
RING = np.stack([np.cos(np.arange(12) * np.pi / 6), 0.5 * np.sin(np.arange(12) * np.pi / 6)], -1)


def csv_of(points: np.ndarray, header: str = "x,y") -> str:
    return "\n".join([header, *(f"{float(x)!r},{float(y)!r}" for x, y in points)]) + "\n"


def own_data_script() -> None:
    """The own-data import as the page runs it, on the file held in ``st.session_state["file"]``."""
    import numpy as np
    import streamlit as st

    from lessons.own_data_import import use_own_data

    use_own_data(st.session_state.get("file"), np.zeros((0, 2)), 0.1)


def import_file(content: bytes, at: AppTest | None = None) -> AppTest:
    at = at or AppTest.from_function(own_data_script, default_timeout=60)
    at.session_state["file"] = content
    return at.run()


def unit_spread(points: np.ndarray, bandwidth: float = 0.1) -> np.ndarray:
    """MATH §3's standardisation, in float64 on the points as given: centred, ½ trace Cov = 1 − σ₀²."""
    centred = points - points.mean(axis=0)
    return centred * np.sqrt((1 - bandwidth**2) / np.square(centred).mean())


@pytest.mark.parametrize(
    "points",
    [1.7e9 + 60 * RING, 1e-20 * RING, 1e300 * RING, 3e6 * RING + 1e6],
    ids=["unix times", "spread 1e-20", "near 1e308", "above 1e6"],
)
def test_points_of_any_finite_size_or_spread_keep_their_shape(points):
    read, _ = user_data.parse_csv(csv_of(points).encode())
    shown = user_data.decode(user_data.encode(user_data.standardized(read, 0.1)))
    assert np.abs(shown - unit_spread(RING)).max() <= 1e-3  # thousandths in the URL form
    at = import_file(csv_of(points).encode())
    assert not at.exception and not at.warning
    assert "own_preview" in str(at.get("bidi_component")[0].proto.id)


@pytest.mark.parametrize(
    ("encoding", "note"),
    [
        ("utf-8", None),
        ("utf-8-sig", None),
        ("utf-16", None),
        ("utf-16-le", None),
        ("utf-16-be", None),
        ("utf-32", None),
        ("latin-1", "read as Windows-1252 (Latin-1)"),
    ],
)
def test_text_files_in_the_usual_encodings_are_read(encoding, note):
    content = csv_of(RING, header="x (café),y (µm)").encode(encoding)
    points, notes = user_data.parse_csv(content)
    assert np.allclose(points, RING)
    assert notes == ([] if note is None else [f"The file is not UTF-8: it was {note}."])


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "not text"),
        ("\n".join(["x,y", *["1.0,2.0"] * 6, "1.0000000000000002,2.0"]).encode(), "same point"),
        (b"x,y\n" + b"0.5,0.5\n" * (user_data.MAX_BYTES // 8), "the limit is 1 MB"),
        (b"[Log in](http://host.example),![x](http://host.example/p.png)\n1,2\n", "at least 5"),
    ],
    ids=["binary", "one point to rounding", "over the limit", "markup"],
)
def test_a_file_that_cannot_be_used_gets_one_plain_line_and_the_session_goes_on(content, words):
    at = import_file(content)
    assert not at.exception
    assert [words in warning.value for warning in at.warning] == [True], [w.value for w in at.warning]
    assert "\n" not in at.warning[0].value and "http" not in at.warning[0].value
    import_file(csv_of(RING).encode(), at)  # the same session, a good file next
    assert not at.exception and not at.warning and at.get("bidi_component")


def test_the_app_reads_files_up_to_the_servers_upload_limit_and_no_further():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    server_bytes = config["server"]["maxUploadSize"] * 1024 * 1024  # Streamlit counts MB of 2^20 bytes
    assert server_bytes == user_data.MAX_BYTES
    padded = csv_of(RING).encode().ljust(server_bytes, b"\n")
    assert len(user_data.parse_csv(padded)[0]) == len(RING)
    with pytest.raises(ValueError, match="the limit is 1 MB"):
        user_data.parse_csv(padded + b"\n")


@pytest.mark.parametrize(
    "edit",
    [
        {"kind": "pen", "path": [[1e300, 0.0], [-1e300, 0.0]]},
        {"kind": "pen", "path": [[999999, 999999], [-999999, 3]]},
        {"kind": "eraser", "path": [[1e308, -1e308]]},
        {"kind": "box", "path": [[-999999, -999999], [999999, 999999]]},
        {"kind": "lasso", "path": [["abc", 1], [2, 3]]},
        {"kind": "pen", "path": "abc"},
        {"kind": "pen", "path": [[1, 2]] * (drawing.MAX_PATH + 1)},
        {"kind": "pen", "path": [[0, 0], [1, 1]], "spacing": -1},
        {"kind": ["pen"], "path": [[0, 0]]},
        {"kind": "tool", "tool": {"name": "pen"}},
    ],
)
def test_a_forged_canvas_edit_is_used_within_the_canvas_or_refused_in_one_plain_line(edit):
    start = drawing.Drawing(points=RING.copy())
    drawn, notes = start.with_edits([{"id": 1, **edit}], grid=user_data.drawing_grid(), extent=3.0)
    assert drawn.applied == 1, "acknowledged, so the browser stops sending it"
    assert np.isfinite(drawn.points).all() and np.abs(drawn.points).max() <= 3.0
    assert len(drawn.points) <= drawing.MAX_DRAWN
    assert len(notes) <= 1 and all("\n" not in note and len(note) < 200 for note in notes)
    if notes:
        assert np.array_equal(drawn.points, start.points), "a refused edit changes nothing"


def test_edit_numbers_that_are_not_counts_are_refused_and_later_edits_still_apply():
    line = {"kind": "pen", "path": [[0.0, 0.0], [1.0, 0.0]], "spacing": 0.1}
    edits = [{"id": "abc", **line}, {"id": True, **line}, {"id": -3, **line}, {"id": 2, **line}]
    drawn, notes = drawing.Drawing().with_edits(edits, grid=user_data.drawing_grid(), extent=3.0)
    assert len(drawn.points) == 11 and drawn.applied == 2
    assert notes == ["The canvas sent a stroke without its number: it was left out."]
