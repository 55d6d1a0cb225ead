"""Every engine call of every page waits for a free core instead of failing when the server is busy.

A server whose cores are all taken by other students answers each engine call (``engine_cache.on_a_core``)
with ``scheduler.MustWait``; ``engine_cache.guarded`` turns that into a visible wait and runs the call
once a core is free. A call outside ``guarded`` raised MustWait into the page instead: a student saw
"This app has encountered an error" on lesson 5's grid picture and lesson 6's generated clouds under
load (bench/soak.py). Here every core is always busy except while the page itself waits for one.
"""

from __future__ import annotations

import pytest
from helpers_apptest import chart_payloads
from streamlit.testing.v1 import AppTest
from test_pages import ROOT, assert_no_exception

from lessons import registry, scheduler

UNSEEN_SEED = "4321"  # no other test runs this seed: every engine call is a cache miss


class AlwaysBusy(scheduler.Cores):
    """Cores that another session always holds, except the one a page waits for (``holding``)."""

    def run(self, compute, check):
        if self.held_here:
            return scheduler.checked(compute, check)
        raise scheduler.MustWait


@pytest.fixture
def busy_server(monkeypatch):
    monkeypatch.setattr(scheduler, "SERVER_CORES", AlwaysBusy(1))


@pytest.mark.parametrize("page", [page.name for page in registry.LESSONS])
def test_every_lesson_waits_for_a_core_and_draws_its_charts_when_every_core_is_busy(busy_server, page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.query_params["seed"] = UNSEEN_SEED
    at.switch_page(registry.page(page).script).run()
    assert_no_exception(at)
    assert not at.error, [error.value for error in at.error]


def test_lesson_6_trains_and_generates_when_every_core_is_busy(busy_server):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    for name, value in {"train_steps": "50", "particles": "200", "seed": UNSEEN_SEED}.items():
        at.query_params[name] = value
    at.switch_page(registry.page("learning").script).run()
    at.button(key="train").click().run()
    assert_no_exception(at)
    assert not at.error, [error.value for error in at.error]
    assert len(chart_payloads(at)) == 4  # loss, fields, exact vs learned samples, snapshots
