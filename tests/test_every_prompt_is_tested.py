"""Every "Try this" bullet of every page is claimed by a test: some test quotes a phrase of it (at
least MIN_QUOTE characters, as in ``assert "…" in prompt_text(page)`` or a docstring's '…' quote), so a
new or reworded prompt without a test of its effect fails here. The effect itself is asserted by the
quoting test (test_prompts.py, test_duality_claims.py, test_learning_prompts.py, …)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from lessons import registry

ROOT = Path(__file__).resolve().parent.parent
MIN_QUOTE = 12  # characters: long enough to name one bullet's setting


def try_this_bullets(script: Path) -> list[str]:
    """The bullets of the markdown inside ``st.expander("Try this")`` in ``script``, lines joined."""
    bullets = []
    for node in ast.walk(ast.parse(script.read_text())):
        if isinstance(node, ast.With) and any(_is_try_this(item.context_expr) for item in node.items):
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "markdown":
                    (text,) = call.args
                    assert isinstance(text, ast.Constant), f"{script.name}: a prompt must be plain text"
                    bullets += [" ".join(b.split()) for b in text.value.strip().lstrip("- ").split("\n- ")]
    return bullets


def _is_try_this(expression: ast.expr) -> bool:
    """``st.expander("Try this", …)``."""
    return (
        isinstance(expression, ast.Call)
        and getattr(expression.func, "attr", "") == "expander"
        and bool(expression.args)
        and isinstance(expression.args[0], ast.Constant)
        and expression.args[0].value == "Try this"
    )


def quoted_phrases() -> set[str]:
    """Every string of the tests (whole, and each '…'-separated part of a '…' quote in it), lines
    joined, of at least MIN_QUOTE characters."""
    phrases = set()
    for test in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(test.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = " ".join(node.value.split())
                phrases.add(text)
                for quote in re.findall(r"'([^']+)'", text):
                    phrases.update(part.strip() for part in quote.split("…"))
    return {phrase for phrase in phrases if len(phrase) >= MIN_QUOTE}


PAGES = [page for page in registry.PAGES if try_this_bullets(ROOT / page.script)]


def test_the_pages_with_prompts_are_found():
    assert {"langevin", "forward", "splitting", "backward", "duality", "learning"} <= {p.name for p in PAGES}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_try_this_bullet_is_quoted_by_a_test(page):
    phrases = quoted_phrases()
    untested = [
        bullet
        for bullet in try_this_bullets(ROOT / page.script)
        if not any(phrase in bullet for phrase in phrases)
    ]
    assert untested == [], f"no test quotes these prompts of {page.script}: {untested}"
