"""What the server says about its channels at start when none is configured: one line
each (web chat on, the others off with the setting that turns them on), and /healthz
shows each channel's state beside the database's."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.support.checked_app import plain_settings, started


def test_with_every_channel_off_each_says_off_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with started(plain_settings(tmp_path)) as client:
        response = client.get("/healthz")
    lines = [m for m in caplog.messages if " is o" in m]
    assert lines == [
        "web chat is on: the widget at /widget.js; "
        "the demo page at / (development; anonymous only)",
        "SMS is off: set SWITCHBOARD_TWILIO__* to turn it on",
        "email is off: set SWITCHBOARD_EMAIL__FROM_ADDRESS",
        "Slack is off: SWITCHBOARD_SLACK__BOT_TOKEN is not set",
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["channels"] == {
        "web chat": {"state": "on", "reason": None, "checked_at": None},
        "sms": {
            "state": "off",
            "reason": "set SWITCHBOARD_TWILIO__* to turn it on",
            "checked_at": None,
        },
        "email": {
            "state": "off",
            "reason": "set SWITCHBOARD_EMAIL__FROM_ADDRESS",
            "checked_at": None,
        },
        "slack": {
            "state": "off",
            "reason": "SWITCHBOARD_SLACK__BOT_TOKEN is not set",
            "checked_at": None,
        },
    }
