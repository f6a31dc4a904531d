"""The app manifest in the repo asks Slack for what the code listens to."""

from __future__ import annotations

from pathlib import Path

import yaml

from channels.slack import EVENTS_PATH

MANIFEST = Path(__file__).parents[3] / "deploy" / "slack" / "manifest.yml"


def test_the_manifest_sends_everything_to_the_events_path() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    settings = manifest["settings"]
    (command,) = manifest["features"]["slash_commands"]
    urls = {
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        command["url"],
    }
    assert len(urls) == 1 and urls.pop().endswith(EVENTS_PATH)
    assert command["command"] == "/switchboard"
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "message.channels",
        "message.groups",
        "app_mention",
    }
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "chat:write",
        "commands",
        "app_mentions:read",
        "channels:history",
        "groups:history",
        "users:read",
        "users:read.email",
    }
    assert settings["interactivity"]["is_enabled"] is True
