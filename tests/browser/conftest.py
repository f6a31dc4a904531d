"""Fixtures for the widget in headless Chromium: a real server process and a browser.

The server is `python -m bot.cli serve` on a free port with its own data dir, so a test
can stop it (a real dropped connection) and start it again on the same port and data.
The browser is Debian's `chromium` (installed by `make test`), never one Playwright
downloads.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.conftest import PreparedState

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
STARTUP_TIMEOUT_SECONDS = 30.0
EXPECT_TIMEOUT_MS = 15_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SwitchboardServer:
    """`switchboard serve` as a child process that can be stopped and started again."""

    def __init__(self, data_dir: Path, port: int, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.env = env or {}
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = data_dir / "server.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "SWITCHBOARD_DATA_DIR": str(self.data_dir),
            "SWITCHBOARD_LOG__FORMAT": "text",
            "SWITCHBOARD_DELIVERY__POLL_INTERVAL_SECONDS": "0.1",
            **self.env,
        }
        env.pop("SWITCHBOARD_DATABASE__URL", None)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                pytest.fail(f"server exited with {self._process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"server not healthy after {STARTUP_TIMEOUT_SECONDS} s:\n{self.log()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def messages(self, token: str, after: int = 0) -> list[dict]:
        """The conversation as the server stored it, read with the widget's own token."""
        response = httpx.get(
            f"{self.base_url}/api/v1/webchat/messages",
            params={"after": after},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["messages"]


@pytest.fixture
def server(tmp_path: Path, prepared: PreparedState) -> Iterator[SwitchboardServer]:
    # The demo knowledge index and NLU model are built once per run, not per server.
    data_dir = prepared.seed(tmp_path / "var")
    running = SwitchboardServer(
        data_dir,
        _free_port(),
        {
            "SWITCHBOARD_NLU__MODEL_DIR": str(prepared.nlu_model_dir),
            "SWITCHBOARD_DEMO__ENABLED": "true",  # the demo customer links, as `make run`
        },
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()
        print(f"--- server log ---\n{running.log()}")


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
