"""Fixtures for the widget in headless Chromium: a real server process and a browser.

The server is `python -m bot.cli serve` on a free port with its own data dir, so a test
can stop it (a real dropped connection) and start it again on the same port and data.
The browser is Debian's `chromium` (installed by `make test`), never one Playwright
downloads.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.support.prepared import PreparedState
from tests.support.switchboard_server import SwitchboardServer, demo_server

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium's own connections get refused on a
# machine without internet, and it slows down.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXPECT_TIMEOUT_MS = 15_000
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="package")
def browser_output() -> Path:
    """Where browser tests leave their screenshots: test-results/browser/ in the checkout
    (git ignores it), or SWITCHBOARD_BROWSER_OUTPUT."""
    folder = Path(os.environ.get("SWITCHBOARD_BROWSER_OUTPUT", ROOT / "test-results" / "browser"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def server(
    tmp_path: Path, prepared: PreparedState, request: pytest.FixtureRequest
) -> Iterator[SwitchboardServer]:
    if request.node.get_closest_marker("one_server"):
        # A module marked `one_server` shares `module_server`: its tests are each a
        # visitor (or a staff member) of their own. A test that stopped it (to empty its
        # database or change its secret) and failed while it was down leaves it to here.
        shared: SwitchboardServer = request.getfixturevalue("module_server")
        if not shared.running:
            shared.start()
        yield shared
        return
    # A test marked `server_env(NAME="value")` runs its server with those settings too.
    marker = request.node.get_closest_marker("server_env")
    with demo_server(tmp_path / "var", prepared, marker.kwargs if marker else None) as running:
        yield running


@pytest.fixture(scope="module")
def module_server(
    tmp_path_factory: pytest.TempPathFactory, prepared: PreparedState
) -> Iterator[SwitchboardServer]:
    """One server for a module whose tests are each a visitor of their own: a start
    costs 10 to 20 s. A module marked `one_server` takes it as its `server`."""
    with demo_server(tmp_path_factory.mktemp("server") / "var", prepared) as running:
        yield running


# Package scope, not session: Playwright's sync API keeps an event loop running in the
# main thread while it is open, which would break asyncio.run() in the tests after these.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium "
            "(scripts/system-packages.sh), or install the chromium package yourself."
        )
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser, server: SwitchboardServer) -> Iterator[Page]:
    context = browser.new_context(base_url=server.base_url, viewport={"width": 1100, "height": 760})
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    tab = context.new_page()
    console: list[str] = []
    errors: list[str] = []
    tab.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    print("--- browser console ---", *console, sep="\n")
    assert not errors, f"uncaught errors in the page: {errors}"
