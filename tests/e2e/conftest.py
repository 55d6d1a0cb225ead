"""Fixtures for the real-browser tests: one Streamlit server and one headless Chromium for the session.

Without Chromium or playwright the test module skips itself before any fixture runs (see
helpers_browser.py), so playwright is imported lazily, inside the fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.server import CHROMIUM, CHROMIUM_ARGS, streamlit_server

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
TIMEOUT_MS = 60_000  # any single wait in a page: loads, reruns, renders


@pytest.fixture(scope="session")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The file the server writes its output to (quoted in failures)."""
    return tmp_path_factory.mktemp("streamlit") / "server.log"


@pytest.fixture(scope="session")
def app_url(server_log: Path) -> Iterator[str]:
    """``streamlit run app.py``, headless on a free port, for the whole session; its base URL."""
    with streamlit_server(server_log) as (base, _):
        yield base


@pytest.fixture(scope="session")
def browser():
    """Headless system Chromium, launched once for the session."""
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    chromium = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    driver.stop()


@pytest.fixture(scope="session")
def browser_context(browser):
    """One browser context (cookies, cache) shared by the tests' tabs."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder the page screenshots go to (kept out of git by .gitignore)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
