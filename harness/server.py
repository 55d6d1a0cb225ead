"""The app as a browser sees it, shared by the browser benchmarks and the real-browser tests: the system
Chromium and its flags, the app's pages from the lesson registry, and a Streamlit server on a free port.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from lessons import registry
from lessons.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")  # Debian's Chromium, driven by Playwright; never downloaded
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_ENV = {**os.environ, "MALLOC_ARENA_MAX": "2"}  # the server's environment under `make run`
SERVER_START_TIMEOUT = 90.0  # seconds; a cold import of torch + streamlit on a busy machine
# JavaScript for wait_for_function: the script has finished and every chart (at least ``least``) is drawn
SETTLED = """(least = 0) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const charts = [...document.querySelectorAll('.lab-chart')];  // lessons/chart.py
    return app?.dataset.testScriptState === 'notRunning' && !document.querySelector('[data-testid="stSkeleton"]')
        && charts.length >= least && charts.every(g => g._fullData?.length > 0);
}"""


def app_pages() -> dict[str, str]:
    """Page name ("home" for the default page, else its url path) -> script, home first (the registry)."""
    return {page.name: page.script for page in registry.PAGES}


def page_constants(path: str) -> tuple[tuple[str, ...], Settings]:
    """The registry's controls (() for a page without any) and defaults of the page with script ``path``
    (the tests look pages up by script; by name, read ``registry.page(name)`` directly)."""
    (page,) = [page for page in registry.PAGES if page.script == path]
    return page.controls, page.defaults


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(log_path: Path, base_url_path: str = "") -> Iterator[tuple[str, int]]:
    """``streamlit run app.py`` headless on a free port, as `make run` starts it: yields (base URL, pid)
    once /_stcore/health answers "ok", and stops it after. RuntimeError, with the log's end, if the
    server exits or is not healthy in time. ``base_url_path`` is ``server.baseUrlPath`` (the app behind
    a path prefix, as a proxy may serve it); the base URL then ends in it."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"),
        *("--server.port", str(port), "--server.address", "127.0.0.1"),
        *("--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"),
        *("--server.baseUrlPath", base_url_path),
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=SERVER_ENV, stdout=log, stderr=subprocess.STDOUT)
    base = "/".join(part for part in (f"http://127.0.0.1:{port}", base_url_path.strip("/")) if part)
    try:
        _wait_healthy(f"{base}/_stcore/health", process, log_path)
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:
            if answer.read().strip() == b"ok":
                return
        time.sleep(0.25)
    raise RuntimeError(
        f"streamlit not healthy after {SERVER_START_TIMEOUT:.0f} s:\n{log_path.read_text()[-3000:]}"
    )
