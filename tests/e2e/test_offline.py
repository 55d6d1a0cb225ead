"""The app in a classroom without internet: every page of the registry, opened in a real browser whose
every request to a host other than the app's own server is aborted, asks for nothing elsewhere, settles,
draws its charts, shows its icons and favicon, and raises no exception.

A ``:material/...:`` favicon made the browser fetch an SVG from fonts.gstatic.com; app.py now hands
Streamlit a PNG (assets/favicon.png) that the server sends itself. The page icons, fonts and plotly.js
are all served by the app (Streamlit's bundle, static/).
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest
from helpers_browser import BROKEN_SESSION, require_browser

from harness.server import SETTLED
from lessons import registry
from lessons.settings import OPTIONS

require_browser()  # no Chromium or playwright: one skip line for the module (a failure under CI=true)

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
TIMEOUT_MS = 90_000  # a page's first simulation on a busy machine
QUIET_MS = 1_500  # after the page settles: time for late requests (favicon, fonts, lazy chunks)
# Every font face the page asked for, and whether the browser got it ("error" when a request failed)
FONTS = """async () => { await document.fonts.ready;
    return [...document.fonts].map(f => ({family: f.family, status: f.status})); }"""
CHARTS = "() => [...document.querySelectorAll('.lab-chart')].map(g => g._fullData?.length ?? 0)"
FAVICON = """async () => {
    const link = document.querySelector("link[rel='shortcut icon']") || document.querySelector("link[rel~='icon']");
    if (!link) return null;
    const answer = await fetch(link.href);
    return {href: link.href, ok: answer.ok, type: answer.headers.get('content-type')};
}"""


def is_local(url: str) -> bool:
    """Whether ``url`` stays on this machine (data: and blob: URLs never leave the browser)."""
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname in LOCAL_HOSTS


@pytest.fixture(scope="module")
def offline(browser):
    """A browser context with no internet: every request to another host is aborted and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")
    context.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []

    def only_local(route) -> None:
        if is_local(route.request.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_local)
    yield context, outside
    context.close()


def page_url(app_url: str, page: registry.Page) -> str:
    """The page's address, with small runs (and the shortest training) for the lessons."""
    query = {"particles": "200"} if page.is_lesson else {}
    if "train_steps" in page.controls:
        query["train_steps"] = str(OPTIONS["train_steps"].values[0])
    return f"{app_url}/{page.url_path}" + (f"?{urlencode(query)}" if query else "")


@pytest.mark.parametrize("page", registry.PAGES, ids=lambda page: page.name)
def test_the_page_works_with_no_internet(offline, app_url, page):
    context, outside = offline
    before = len(outside)
    tab = context.new_page()
    seen: list[str] = []  # every request and websocket the tab opened, routed or not
    errors: list[str] = []
    tab.on("request", lambda request: seen.append(request.url))
    tab.on("websocket", lambda socket: seen.append(socket.url))
    tab.on("pageerror", lambda error: errors.append(str(error)))
    try:
        tab.goto(page_url(app_url, page))
        tab.wait_for_function(SETTLED)
        if page.layout == "learning":  # its charts appear once a network is trained
            tab.locator(".st-key-train").get_by_role("button").first.click()
        tab.wait_for_function(SETTLED, arg=1)
        tab.wait_for_timeout(QUIET_MS)
        tab.wait_for_function(SETTLED, arg=1)

        assert outside[before:] == [], f"{page.name} asked other hosts for {outside[before:]}"
        assert [url for url in seen if not is_local(url)] == []
        assert errors == [], f"{page.name}: {errors}"
        assert tab.evaluate(BROKEN_SESSION) == []
        exceptions = tab.locator('[data-testid="stException"]').all_inner_texts()
        assert exceptions == [], f"{page.name}: {exceptions}"
        charts = tab.evaluate(CHARTS)
        assert charts and all(charts), f"{page.name} drew {charts}"
        failed_fonts = [face for face in tab.evaluate(FONTS) if face["status"] == "error"]
        assert failed_fonts == [], f"{page.name}: {failed_fonts}"
        favicon = tab.evaluate(FAVICON)
        assert favicon and is_local(favicon["href"]) and favicon["ok"], favicon
        assert favicon["type"].startswith("image/png"), favicon
    finally:
        tab.close()
