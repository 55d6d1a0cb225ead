"""Nothing a link or the drawing canvas sends is shown as Markdown: a note names the parameter and
quotes at most a short prefix of the value, every punctuation character of it backslash-escaped.

The check follows CommonMark and GFM, not the app's code: a backslash before an ASCII punctuation
character makes it a plain character; inline markup (code, emphasis, strikethrough, links, images,
HTML, autolinks with a scheme, www. or @, entities, Streamlit's :icons: and $formulas$) needs one of
MARKUP or a dot after www; ``#``, ``-``, ``+`` and ``=`` make markup only at the start of a line, and a
note quotes mid-line. So a quoted value passes when each of those characters in it is escaped.
"""

from __future__ import annotations

import re
import string

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from test_pages import assert_no_exception, open_page

from lessons import drawing, user_data
from lessons.settings import FIELD_NAMES, QUOTED_CHARACTERS, Settings, parse_query

PAYLOADS = (
    "![x](http://host.example/p.png)",
    "[Log in again here](http://host.example/login)",
    "http://host.example/x and www.host.example",
    '<img src="x" onerror="alert(1)">',
    "$\\frac{1}{0}$ :red[alert] :material/warning:",
    "line\n# heading\n- item",
    "a" * 100_000 + "**bold**",
)
markdownish = st.text(alphabet=st.sampled_from([*string.punctuation, *"ax1 \n\t\u202e\u200b"]), max_size=60)
any_value = st.one_of(st.sampled_from(PAYLOADS), markdownish, st.text(max_size=200))
MARKUP = frozenset("\\`*_~[]()!<>&:$@|")
QUOTE = re.compile(r"'((?:\\.|[^'\\])*)'")  # a quoted value: escaped characters, or neither ' nor a backslash
NOTE_LIMIT = 200  # characters in one note, whatever the value's length


def literal_text(source: str) -> str | None:
    """What CommonMark shows for ``source`` if it makes no inline markup, else None: every character
    that can start or form inline markup mid-line (MARKUP, and a dot that does not follow a digit,
    as in www.) is backslash-escaped."""
    shown, at = [], 0
    while at < len(source):
        char = source[at]
        if char == "\\" and at + 1 < len(source) and source[at + 1] in string.punctuation:
            shown.append(source[at + 1])
            at += 2
            continue
        if char in MARKUP or (char == "." and not (shown and shown[-1].isdigit())):
            return None
        shown.append(char)
        at += 1
    return "".join(shown)


def quoted_part(note: str, name: str) -> str:
    """The value as a note quotes it: between ``name='`` and the closing quote before ' from'."""
    head, tail = f"Ignored {name}='", "' from the link"
    assert note.startswith(head) and tail in note, note
    return note[len(head) : note.rindex(tail)].removesuffix("…")


def assert_quoted_literally(note: str, name: str, value: str) -> None:
    shown = literal_text(quoted_part(note, name))
    assert shown is not None, f"markup can come from {value[:40]!r}: {note}"
    assert len(note) <= NOTE_LIMIT, len(note)
    if value.isprintable():
        assert shown == value[:QUOTED_CHARACTERS]
    assert shown.isprintable(), "a control character (a new line, a direction override) reached the page"


@hypothesis_settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(FIELD_NAMES), value=any_value)
def test_every_url_parameter_is_quoted_as_plain_text_whatever_its_value(name, value):
    _, notes = parse_query({name: value}, Settings())
    for note in notes:
        assert_quoted_literally(note, name, value)


def test_a_link_full_of_markup_shows_plain_notes_on_the_page_and_nothing_else_of_it():
    for payload in PAYLOADS[:3]:
        at = open_page("learning", **dict.fromkeys(FIELD_NAMES, payload))
        assert_no_exception(at)
        texts = [
            element.value
            for kind in ("markdown", "info", "warning", "caption", "error", "success")
            for element in getattr(at, kind)
        ]
        notes = [text for text in texts if text.startswith("Ignored ")]
        assert len(notes) == len(FIELD_NAMES)
        for note in notes:
            name = note.removeprefix("Ignored ").split("=", 1)[0]
            assert_quoted_literally(note, name, payload)
        assert not [text for text in texts if payload in text]


@hypothesis_settings(max_examples=60, deadline=None)
@given(kind=any_value, tool=any_value, spacing=any_value, path=any_value)
def test_forged_canvas_edits_are_refused_in_notes_that_quote_them_as_plain_text(kind, tool, spacing, path):
    edits = [
        {"id": 1, "kind": kind, "path": path},
        {"id": 2, "kind": "tool", "tool": tool},
        {"id": 3, "kind": "pen", "spacing": spacing, "path": [[0.0, 0.0], [1.0, 0.0]]},
    ]
    drawn, notes = drawing.Drawing().with_edits(edits, grid=user_data.drawing_grid(), extent=3.0)
    assert drawn.applied == 3
    for note in notes:
        assert len(note) <= NOTE_LIMIT and "\n" not in note
        quotes = QUOTE.findall(note)  # what the note quotes of the edit
        assert all(literal_text(quote.removesuffix("…")) is not None for quote in quotes), note
        own_words = QUOTE.sub("", note)
        assert set(own_words) <= set(string.ascii_letters + string.digits + " .,:;"), note
