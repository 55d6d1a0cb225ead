"""The home page links every lesson; every lesson's "Reset to defaults" brings back its defaults and
its default address; `make run` takes a port. Pages are driven through Streamlit's AppTest."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace

import pytest
from test_pages import ROOT, assert_no_exception, chart_spec, open_page, other_value, particles_of, widget

from lessons import home, registry
from lessons.settings import to_query

LESSONS = tuple(page.name for page in registry.LESSONS)


def test_the_home_page_links_every_lesson_once_with_its_title_and_a_description():
    at = open_page("home")
    links = [(link.proto.page, link.value, link.proto.external) for link in at.page_link]
    for page in registry.LESSONS:
        assert links.count((page.url_path, page.title, False)) == 1, (page.name, links)
    assert (registry.OWN_DATA.url_path, registry.OWN_DATA.title, False) in links
    assert len(links) == len(registry.LESSONS) + 1, links
    captions = [caption.value for caption in at.caption]
    for page in (*registry.LESSONS, registry.OWN_DATA):
        description = home.DESCRIPTIONS[page.name]
        assert description and "\n" not in description, page.name
        assert description in captions, page.name


def test_every_home_link_opens_its_page():
    at = open_page("home")
    for link in at.page_link:
        (page,) = [page for page in registry.PAGES if page.url_path == link.proto.page]
        at.switch_page(page.script).run()
        assert_no_exception(at)
        if page.is_lesson:  # its own Reset button: this page's controls are on screen
            assert at.button(key=f"_reset_{page.name}"), page.name
        else:
            assert at.title[0].value == page.title


def changed_settings(name: str):
    """The page's defaults with every control moved to another allowed value (200 particles)."""
    page = registry.page(name)
    changed = {control: other_value(control, getattr(page.defaults, control)) for control in page.controls}
    return replace(page.defaults, **{**changed, "particles": 200})


@pytest.mark.parametrize("name", LESSONS)
def test_reset_brings_every_control_and_the_address_back_to_the_defaults(name):
    page = registry.page(name)
    changed = changed_settings(name)
    at = open_page(name, **to_query(changed, page.controls))
    seed = widget(at, "seed")
    seed.set_value(other_value("seed", seed.value)).run()  # and one move by hand
    assert_no_exception(at)
    assert dict(at.query_params) != to_query(page.defaults, page.controls)

    at.button(key=f"_reset_{name}").click().run()
    assert_no_exception(at)
    for control in page.controls:
        assert widget(at, control).value == getattr(page.defaults, control), control
    assert dict(at.query_params) == to_query(page.defaults, page.controls)
    if page.run is not None:  # lesson 6 draws its cloud only after training
        assert len(particles_of(chart_spec(at, "cloud"))) == page.defaults.particles


def visit(at, page: registry.Page) -> None:
    """Open ``page`` as from the sidebar: an address without settings."""
    at.query_params.clear()
    at.switch_page(page.script).run()
    assert_no_exception(at)


def test_after_a_reset_the_page_comes_back_at_its_defaults_and_other_pages_keep_theirs():
    forward, backward = registry.page("forward"), registry.page("backward")
    at = open_page("backward", **to_query(changed_settings("backward"), backward.controls))
    visit(at, forward)
    at.select_slider(key="particles").set_value(200).run()
    at.button(key="_reset_forward").click().run()
    assert_no_exception(at)
    visit(at, backward)  # kept settings: what the student last had here
    assert dict(at.query_params) == to_query(changed_settings("backward"), backward.controls)
    visit(at, forward)  # the reset forgot the kept 200 particles
    for control in forward.controls:
        assert widget(at, control).value == getattr(forward.defaults, control), control
    assert dict(at.query_params) == to_query(forward.defaults, forward.controls)


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
@pytest.mark.parametrize(("arguments", "port"), [(["PORT=8600"], "8600"), ([], "8501")])
def test_make_run_serves_on_the_port_it_is_given(arguments, port):
    dry_run = subprocess.run(
        ["make", "-n", "run", *arguments], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    (command,) = [line for line in dry_run.splitlines() if "streamlit run app.py" in line]
    assert command.endswith(f"--server.port {port}"), command
