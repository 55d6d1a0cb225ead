"""One student in the browser: a browser context with one page of the app, instrumented by lab.js, and
what the benchmark does in it (open a page, move a slider, flip a toggle, pick from a selectbox, bump the
seed), each timed from the keydown or pointerdown to the last chart change."""

from __future__ import annotations

import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness.server import SETTLED
from lessons.settings import format_value

VIEWPORT = {"width": 1400, "height": 1000}
TIMEOUT_MS = 120_000  # any wait in the single-session measurements
QUIET_MS = 250  # a move is over once the script has finished and no chart has changed for this long
LAB_JS = f"window.__labQuietMs = {QUIET_MS};\n" + (Path(__file__).parent / "lab.js").read_text()
SETTLED_MOVE = "() => window.__lab.settled()"
LOADED = "() => window.__lab.loaded()"


def page_url(base: str, name: str, **query: object) -> str:
    """The URL of page ``name`` ("home" for the default page) with ``query`` settings."""
    path = "" if name == "home" else name
    return f"{base}/{path}?{urllib.parse.urlencode(query)}" if query else f"{base}/{path}"


@dataclass
class Session:
    """One browser context with one page of the app, instrumented; bytes = websocket bytes received."""

    context: object
    page: object
    bytes: int = 0
    errors: list[str] = field(default_factory=list)

    def received(self, payload: str | bytes) -> None:
        self.bytes += len(payload.encode() if isinstance(payload, str) else payload)


async def new_session(browser, url: str, *, least: int = 1, until: str = SETTLED) -> Session:
    """A new context (no cache, a new Streamlit session) with ``url`` loaded and settled (``until``)."""
    context = await browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    await context.add_init_script(LAB_JS)
    session = Session(context, await context.new_page())
    session.page.on("websocket", lambda ws: ws.on("framereceived", session.received))
    session.page.on("pageerror", lambda error: session.errors.append(str(error)))
    await session.page.goto(url)
    await session.page.wait_for_function(until, arg=least)
    return session


async def interact(session: Session, act: Callable[[], Awaitable[None]], timeout: float = TIMEOUT_MS) -> dict:
    """Do ``act`` and wait until the page has settled with changed charts: the latency (ms, to the last
    chart change), its timeline, and the websocket bytes received."""
    page = session.page
    await page.evaluate("() => window.__lab.mark()")
    start_bytes = session.bytes
    await act()
    await page.wait_for_function(SETTLED_MOVE, timeout=timeout)
    return {**await page.evaluate("() => window.__lab.moveTimes()"), "bytes": session.bytes - start_bytes}


async def move(session: Session, setting: str, key: str, timeout: float = TIMEOUT_MS) -> dict:
    """Press ``key`` (ArrowLeft: one value down, ArrowRight: up) on the select slider ``setting``."""

    async def press() -> None:
        await session.page.locator(f'.st-key-{setting} input[type="range"]').focus()
        await session.page.keyboard.press(key)

    return await interact(session, press, timeout)


async def flip(session: Session, setting: str) -> dict:
    """Click the toggle ``setting``."""
    return await interact(session, session.page.locator(f".st-key-{setting} label").first.click)


async def choose(session: Session, setting: str, value: object) -> dict:
    """Pick ``value`` in the selectbox ``setting``; timed from the click on the option."""
    await session.page.locator(f'.st-key-{setting} input[role="combobox"]').click()
    option = session.page.get_by_role("option", name=format_value(setting, value), exact=True)
    return await interact(session, option.click)


async def bump_seed(session: Session) -> dict:
    """Click the seed's + button (a new simulation) and wait for the new charts."""
    return await interact(
        session, session.page.locator('.st-key-seed [data-testid="stNumberInputStepUp"]').click
    )


async def problems(session: Session) -> list[str]:
    """Exceptions and error boxes on the page, and uncaught JavaScript errors."""
    return [*await session.page.evaluate("() => window.__lab.problems()"), *session.errors]


async def prepare(browser, base: str, name: str, seeds: tuple[int, ...] = (0,)) -> dict:
    """Open a page at its defaults with each of ``seeds`` (warming the server; seed 0 is the default);
    press its primary button if it draws nothing until then (learning: train the network, kept for
    everyone). Whether it needed the button, and whether it has an animated chart."""
    action = animated = False
    for seed in seeds:
        session = await new_session(
            browser, page_url(base, name, **({"seed": seed} if seed else {})), least=0
        )
        page = session.page
        button = page.locator('[data-testid="stBaseButton-primary"]')
        if await page.locator(".lab-chart").count() == 0 and await button.count() == 1:
            action = True
            await button.click()
            await page.wait_for_function("() => window.__lab.cloud() !== undefined", timeout=300_000)
            await page.wait_for_function(SETTLED, arg=1, timeout=300_000)
        animated = await page.evaluate("() => !!window.__lab.cloud()")
        await session.context.close()
    return {"action": action, "animated": animated}
