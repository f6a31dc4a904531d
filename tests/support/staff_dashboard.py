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


def support_report_in_the_agreed_shape(start: str, end: str) -> dict[str, Any]:
    """A support report in the shape agreed for `GET /api/v1/reports/support` (built in
    parallel to the dashboard), to check that the page draws each part of it."""
    cycles = {
        "cycles": 40,
        "clock": {"p50_seconds": 95.0, "p90_seconds": 1800.0},
        "business": {"p50_seconds": 60.0, "p90_seconds": 900.0},
        "histogram": [
            {"bucket": "< 1 min", "cycles": 12},
            {"bucket": "1-5 min", "cycles": 18},
            {"bucket": "5-60 min", "cycles": 7},
            {"bucket": "> 1 h", "cycles": 3},
        ],
    }
    return {
        "range": {"from": start, "to": end, "channel": None},
        "conversations_by_channel": [
            {"channel": "web", "conversations": 31},
            {"channel": "email", "conversations": 9},
        ],
        "conversations_over_time": [
            {
                "day": "2026-11-01",
                "opened": 5,
                "resolved": 4,
                "resolved_by_bot": 3,
                "handed_off": 1,
            },
            {
                "day": "2026-11-02",
                "opened": 7,
                "resolved": 6,
                "resolved_by_bot": 4,
                "handed_off": 2,
            },
        ],
        "bot_resolution": {
            "rate": 0.6,
            "resolved_by_bot": 24,
            "denominator": 40,
            "definition": "resolved with no person, not reopened within 7 days",
        },
        "handoff": {
            "rate": 0.25,
            "handoffs": 10,
            "denominator": 40,
            "definition": "handed to a person",
            "reasons": [
                {"reason": "customer_asked", "count": 6},
                {"reason": "low_confidence", "count": 4},
            ],
        },
        "first_response": cycles,
        "resolution_time": cycles,
        "agents": [
            {
                "agent": "Priya Shah",
                "conversations": 6,
                "replies": 14,
                "median_reply_seconds": 120.0,
            },
        ],
        "satisfaction": {
            "score": 4.4,
            "responses": 12,
            "asked": 30,
            "response_rate": 0.4,
            "trend": [
                {"week": "2026-W44", "score": 4.2, "responses": 5},
                {"week": "2026-W45", "score": 4.6, "responses": 7},
            ],
        },
        "knowledge": {
            "answered": 50,
            "fallen_back": 8,
            "top_unanswered": [
                {
                    "question": "do you sell gift cards?",
                    "count": 3,
                    "examples": ["gift cards?", "can I buy a gift card"],
                },
            ],
        },
    }
