"""Fixtures for the real-browser tests: one Streamlit server and one headless Chromium for the session.

Without Chromium or playwright the test module skips itself before any fixture runs (see
helpers_browser.py), so playwright is imported lazily, inside the fixtures.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers_browser import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
SERVER_START_TIMEOUT = 90.0  # seconds; a cold import of torch + streamlit on a busy CI runner
TIMEOUT_MS = 60_000  # any single wait in a page: loads, reruns, renders


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    """Wait until ``url`` answers "ok"; fail with the server log if it dies or takes too long."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"streamlit not healthy after {SERVER_START_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The file the server writes its output to (quoted in failures)."""
    return tmp_path_factory.mktemp("streamlit") / "server.log"


@pytest.fixture(scope="session")
def app_url(server_log: Path) -> Iterator[str]:
    """``streamlit run app.py``, headless on a free port, for the whole session; its base URL."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "streamlit", "run", "app.py"),
        *("--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1"),
        *("--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"),
    ]
    with server_log.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(f"{base}/_stcore/health", process, server_log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
