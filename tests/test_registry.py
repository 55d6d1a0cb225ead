"""The lesson registry is the one list of pages: the navigation, the tests and the benchmarks read it,
the page scripts declare nothing of their own, and the URL paths teachers have shared never change."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harness.server import app_pages
from lessons import registry, view
from lessons.settings import OPTIONS, to_query

ROOT = Path(__file__).resolve().parents[1]
SHARED_PATHS = {"langevin", "forward", "splitting", "backward", "duality", "learning", "samplers", "own-data"}


def test_the_url_paths_of_shared_links_are_all_still_pages():
    paths = {page.url_path for page in registry.PAGES} - {""}
    assert paths >= SHARED_PATHS  # pages may be added, never removed


def test_every_page_is_declared_once_with_an_existing_script():
    names = [page.name for page in registry.PAGES]
    assert len(names) == len(set(names))
    assert len({page.script for page in registry.PAGES}) == len(names)
    assert [page for page in registry.PAGES if not page.url_path] == [registry.HOME]
    for page in registry.PAGES:
        assert (ROOT / page.script).is_file(), page.script


@pytest.mark.parametrize("page", registry.LESSONS, ids=lambda page: page.name)
def test_every_lesson_declares_real_controls_with_url_writable_defaults(page):
    assert page.controls and len(set(page.controls)) == len(page.controls)
    assert set(page.controls) <= set(OPTIONS)
    assert to_query(page.defaults, page.controls)
    assert page.layout in view.LAYOUTS


@pytest.mark.parametrize("page", registry.LESSONS, ids=lambda page: page.name)
def test_a_lesson_script_is_its_prose_and_one_call_to_the_lesson_view(page):
    tree = ast.parse((ROOT / page.script).read_text())
    assigned = [node for node in tree.body if isinstance(node, ast.Assign)]
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    calls = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and ast.unparse(node.value.func) == "lesson_view"
    ]
    assert not assigned and not functions, "settings and views belong in the registry and lessons/view.py"
    assert [ast.literal_eval(call.args[0]) for call in calls] == [page.name]


def test_the_benchmarks_and_browser_tests_see_the_registry_pages():
    assert app_pages() == {page.name: page.script for page in registry.PAGES}


def test_looking_up_a_page_that_does_not_exist_names_the_ones_that_do():
    with pytest.raises(KeyError, match="pages: home, langevin"):
        registry.page("nope")
