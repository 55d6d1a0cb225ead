"""The committed plotly.js bundle, without a browser: it is the file that build/plotly/ records (checksum), of
the plotly.js version the installed plotly package ships (file name and header), and static/, which
Streamlit serves to anyone, holds nothing else: the recipe lives in build/plotly/."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import plotly.offline

from lessons import chart

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
RECIPE = ROOT / "build" / "plotly"
VERSION = plotly.offline.get_plotlyjs_version()
BUNDLE = STATIC / f"plotly-{VERSION}-lab2.min.js"


def test_static_holds_the_bundle_of_the_installed_plotly_js_version_and_nothing_else():
    served = sorted(str(p.relative_to(STATIC)) for p in STATIC.rglob("*") if p.is_file())
    assert served == [BUNDLE.name]


def test_the_charts_load_that_bundle():
    assert chart.PLOTLY_JS.resolve() == BUNDLE


def test_the_bundles_header_names_the_same_plotly_js_version():
    header = BUNDLE.read_bytes()[:300].decode()
    assert re.search(r"plotly\.js v(\d+\.\d+\.\d+) ", header).group(1) == VERSION


def test_the_bundle_is_the_file_whose_checksum_the_recipe_records():
    recorded = (RECIPE / "bundle.sha256").read_text()
    assert recorded == f"{hashlib.sha256(BUNDLE.read_bytes()).hexdigest()}  {BUNDLE.name}\n"


def test_the_recipe_lives_outside_static_and_pins_the_same_plotly_js():
    for name in ("build_plotly.sh", "lab-patches.cjs", "package-lock.json", "README.md"):
        assert (RECIPE / name).is_file(), name
    lock = json.loads((RECIPE / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/plotly.js"]["version"] == VERSION
