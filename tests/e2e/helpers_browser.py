"""What the browser tests need from the machine: the system Chromium, its flags, and playwright.

``require_browser()``, called at the top of a test module, skips the module with one line when either
is missing, and fails its collection instead under ``CI=true``: CI must run the browser tests.
"""

from __future__ import annotations

import os

import pytest

from bench._server import CHROMIUM


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
