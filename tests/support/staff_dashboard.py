"""Driving the staff dashboard (`/staff/`) of a server process in a page (Playwright):
a staff token made with the CLI, signing in, waiting for a round of charts, reading a
chart's numbers back from Plotly and the API's answer for the same filters."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.support.switchboard_server import SwitchboardServer


def staff_token(server: SwitchboardServer, name: str, email: str, role: str) -> str:
    """`switchboard staff create` against the server's store; the token it prints."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env["SWITCHBOARD_DATA_DIR"] = str(server.data_dir)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "staff",
            "create",
            "--name",
            name,
            "--email",
            email,
            "--role",
            role,
        ],
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def ask_for_a_person(server: SwitchboardServer, visitor: dict[str, str]) -> str:
    """A web chat visitor (`visitor`: the session's fields, a name or none) asks for a
    person: a handoff waiting in the queue. Returns the visitor's widget token."""
    return visitor_says(server, visitor, "I want to talk to a person")["token"]


def visitor_says(server: SwitchboardServer, visitor: dict[str, str], text: str) -> dict[str, str]:
    """A new web chat session (`visitor`: its fields) sends `text`; the session (its
    `session_id` and widget `token`)."""
    session = httpx.post(f"{server.base_url}/api/v1/webchat/sessions", json=visitor).json()
    said = httpx.post(
        f"{server.base_url}/api/v1/webchat/messages",
        json={"client_message_id": "1", "text": text},
        headers={"Authorization": f"Bearer {session['token']}"},
        timeout=60,
    )
    assert said.status_code == 200, said.text
    return {"session_id": str(session["session_id"]), "token": str(session["token"])}


def sign_in(page: Page, token: str) -> None:
    page.goto("/staff/")
    page.get_by_label("Staff token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#who")).to_be_visible()


def loads(page: Page) -> int:
    """How many rounds of drawing the page has finished (its `data-loaded` counter)."""
    value = page.locator("body").get_attribute("data-loaded")
    return int(value or 0)


def wait_for_round(page: Page, after: int) -> int:
    """Wait until the page finished its next round of drawing after round `after`."""
    expect(page.locator("body")).to_have_attribute("data-loaded", str(after + 1))
    expect(page.locator("body")).not_to_have_attribute("data-loading", "true")
    return after + 1


def chart(page: Page, element_id: str) -> list[dict[str, Any]]:
    """The traces Plotly drew in that chart (what the page gave it)."""
    return page.evaluate(f"() => document.getElementById({element_id!r}).data")


def api(server: SwitchboardServer, token: str, path: str, **params: str) -> dict[str, Any]:
    answer = httpx.get(
        server.base_url + path,
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()


# Every shown element (outside a table's own scrolling box and Plotly's drawing) whose
# right edge is past the window's: its tag, id and right edge.
PAST_THE_EDGE = """() => [...document.querySelectorAll('body *')]
    .filter((e) => e.offsetParent && !e.closest('.table') && !e.closest('svg'))
    .map((e) => [e.tagName + '#' + e.id, Math.round(e.getBoundingClientRect().right)])
    .filter(([, right]) => right > window.innerWidth + 1)"""


# Each drawn chart whose title (Plotly's `.gtitle`) reaches outside the chart's box: its
# id, the title's width and the box's. Plotly neither wraps nor shrinks a long title.
_CUT_TITLES = """() => [...document.querySelectorAll('.chart')]
    .filter((box) => box.offsetParent && box.querySelector('.gtitle'))
    .map((box) => [box.id, box.getBoundingClientRect(),
                   box.querySelector('.gtitle').getBoundingClientRect()])
    .filter(([, b, t]) => t.left < b.left || t.right > b.right)
    .map(([id, b, t]) => id + ': title ' + Math.round(t.width) + ' px in ' + Math.round(b.width))"""


def _redrawn_at(page: Page, width: int) -> None:
    """Make the window `width` px wide and wait for Plotly's redraw (on the window's resize
    event, a little later): every chart as wide as the inside of its box."""
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart')].filter((box) => box.offsetParent)"
        ".every((box) => !box._fullLayout || Math.abs(box._fullLayout.width"
        " - box.clientWidth) < 2)"
    )


def cut_off_chart_titles(page: Page, width: int) -> list[str]:
    """The charts whose titles do not fit their box once the window is `width` px wide."""
    _redrawn_at(page, width)
    return page.evaluate(_CUT_TITLES)


# Each drawn chart whose drawing (Plotly's `.main-svg`) reaches over the chart box's
# border: its id, the drawing's right edge and the inside of the border's.
_OVER_BORDERS = """() => [...document.querySelectorAll('.chart')]
    .filter((box) => box.offsetParent && box.querySelector('.main-svg'))
    .map((box) => [box.id, box.getBoundingClientRect().left + box.clientLeft + box.clientWidth,
                   box.querySelector('.main-svg').getBoundingClientRect().right])
    .filter(([, inside, drawn]) => drawn > inside + 0.5)
    .map(([id, inside, drawn]) => id + ': drawn to ' + drawn.toFixed(1) + ' px, border at '
         + inside.toFixed(1))"""


def charts_over_their_borders(page: Page, width: int) -> list[str]:
    """The charts whose drawing covers their box's right border once the window is
    `width` px wide."""
    _redrawn_at(page, width)
    return page.evaluate(_OVER_BORDERS)
