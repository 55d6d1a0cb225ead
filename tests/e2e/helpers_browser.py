"""What the browser tests need from the machine: the system Chromium, its flags, and playwright.

``require_browser()``, called at the top of a test module, skips the module with one line when either
is missing, and fails its collection instead under ``CI=true``: CI must run the browser tests.
"""

from __future__ import annotations

import os

import pytest

from harness.server import CHROMIUM


def missing_requirement() -> str | None:
    """Why the browser tests cannot run here (no Chromium, no playwright), or None if they can."""
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (.ci/run installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"playwright is not importable ({error}); pip install -r requirements-dev.txt"
    return None


def require_browser() -> None:
    """Skip the calling module with a one-line reason if the tests cannot run; fail under CI=true."""
    reason = missing_requirement()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests must run under CI=true, but: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}", allow_module_level=True)


# JavaScript: a hash of any nested numbers, strings and typed arrays (numbers to 4 decimals)
DIGEST = """(values) => {
    let h = 2166136261;
    const add = v => { h = Math.imul(h ^ (Math.round(+v * 1e4) | 0), 16777619); };
    const walk = v => {
        if (v === null || v === undefined) return;
        if (typeof v === 'number') add(v);
        else if (typeof v === 'string') for (const c of v) add(c.charCodeAt(0));
        else if (ArrayBuffer.isView(v)) v.forEach(add);
        else if (Array.isArray(v)) v.forEach(walk);
        else if (typeof v === 'object') Object.keys(v).sort().forEach(k => walk(v[k]));
    };
    walk(values);
    return h >>> 0;
}"""
# every drawn chart's data and animation frames, in page order: equal for two tabs that show the same
# simulation; changes with any setting that changes a chart
CHARTS_DIGEST = f"""() => ({DIGEST})([...document.querySelectorAll('.lab-chart')].map(g => [
    (g.data || []).map(t => [t.x, t.y, t.z]), (g._transitionData?._frames || []).map(f => f.data)]))"""
# What Streamlit shows when a session breaks: its connection-error dialog, or an exception box
BROKEN_SESSION = """() => [
    ...[...document.querySelectorAll('[role="dialog"]')].map(d => d.innerText),
    ...[...document.querySelectorAll('[data-testid="stException"]')].map(e => e.innerText),
].filter(text => /Connection error|ForwardMsg|Traceback|Error/.test(text))"""


def shown_setting(page, name: str, widget: str) -> str:
    """The value the control with key ``name`` shows, as ``settings.format_value`` writes it."""
    box = page.locator(f".st-key-{name}")
    if widget == "select_slider":
        return slider_input(page, name).get_attribute("aria-valuetext")
    if widget == "selectbox":
        return box.locator('input[role="combobox"]').input_value()
    if widget == "toggle":
        return "on" if box.locator('input[type="checkbox"]').is_checked() else "off"
    if widget == "seed":
        return box.locator("input").input_value()
    if widget == "segmented":
        return box.locator('button[aria-checked="true"]').inner_text().strip()
    raise AssertionError(f"no reader for a {widget} control")


def slider_input(page, name: str):
    """The focusable input of the select slider with key ``name`` (the arrow keys move it)."""
    return page.locator(f'.st-key-{name} input[type="range"]')
