"""The staff dashboard in a narrow window (a small laptop at 800 px, a phone at 390 px)
over the demo data: nothing reaches past the window's edge, and a table wider than its
panel (the leads to call first) scrolls in its own box, every column reachable."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.staff_dashboard import PAST_THE_EDGE, sign_in, staff_token, wait_for_round
from tests.support.switchboard_server import SwitchboardServer, seed_demo_data

pytestmark = [pytest.mark.browser, pytest.mark.one_server]


@pytest.fixture(scope="module")
def admin_token(module_server: SwitchboardServer) -> str:
    """The demo data, seeded once, and an admin's token: both widths only read them."""
    seed_demo_data(module_server)
    return staff_token(module_server, "Nia Narrow", "nia@example.com", "admin")


@pytest.mark.parametrize("width", [800, 390])
def test_a_narrow_window_shows_every_column_within_the_page(
    page: Page, server: SwitchboardServer, admin_token: str, browser_output: Path, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, admin_token)
    wait_for_round(page, 0)
    # The page itself never scrolls sideways (the presets wrapped, a chart column was
    # at least 420 px, the leads table ran past the panel and the window).
    assert page.evaluate(PAST_THE_EDGE) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # The leads table scrolls in its box, inside the panel; its last column is reached.
    box = page.locator("#table-leads")
    box.scroll_into_view_if_needed()
    widths = box.evaluate("(b) => [b.scrollWidth, b.clientWidth, b.getBoundingClientRect().right]")
    assert widths[0] > widths[1], "the demo's leads table is wider than the window's panel"
    assert widths[2] <= width
    box.evaluate("(b) => { b.scrollLeft = b.scrollWidth; }")
    opened = box.get_by_role("columnheader", name="Opened")
    # The page scrolled down to the header row only (scrolling to the cell itself would
    # scroll the box sideways too, the thing checked here).
    opened.evaluate("(th) => window.scrollBy(0, th.getBoundingClientRect().top - 100)")
    expect(opened).to_be_in_viewport()
    page.screenshot(path=browser_output / f"staff-dashboard-{width}px.png")
