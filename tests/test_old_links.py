"""Links teachers shared before the lesson registry and the view settings existed still open the same
setup: every URL path and query parameter of the earlier version keeps its meaning."""

from __future__ import annotations

import pytest
from test_pages import assert_no_exception, open_page, widget

from lessons.settings import parse_value

OLD_LINKS = [  # (page, query as an earlier version wrote it)
    ("backward", {"step_size": "0.05", "particles": "200", "dataset": "spiral"}),
    (
        "langevin",
        {"dataset": "gaussian", "start": "point", "particles": "200", "step_size": "1", "num_steps": "50"},
    ),
    (
        "forward",
        {"method": "euler", "t_end": "0.5", "particles": "200", "show_paths": "0", "field": "score"},
    ),
    ("splitting", {"time": "0.05", "lam": "2", "particles": "200", "seed": "12"}),
    ("duality", {"t_end": "0.5", "lam": "0", "particles": "200", "show_density": "0"}),
    ("learning", {"train_steps": "50", "time": "1", "particles": "200", "dataset": "spiral"}),
]


@pytest.mark.parametrize(("page", "query"), OLD_LINKS, ids=[page for page, _ in OLD_LINKS])
def test_an_old_link_restores_every_setting_it_names(page, query):
    at = open_page(page, **query)
    assert_no_exception(at)
    assert not [info.value for info in at.info if "Ignored" in info.value]
    for name, text in query.items():
        assert widget(at, name).value == parse_value(name, text), name
        assert at.query_params[name] == text, f"{name} changed its form in the address"
