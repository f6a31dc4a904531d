"""The demo is wired in development only: production serves no demo page and imports no
demo code (checked in a fresh interpreter, where nothing else has imported it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_APP = """
import json, sys
from fastapi.testclient import TestClient
from bot.app import create_app
from bot.conversation.dialogue import Reply
from bot.settings import DatabaseSettings, DemoSettings, Settings, WebChatSettings


class Quiet:
    async def respond(self, turn):
        return [Reply(text="hello")]


settings = Settings(
    environment=sys.argv[1],
    data_dir=sys.argv[2],
    database=DatabaseSettings(url="sqlite:///" + sys.argv[2] + "/sb.db", auto_migrate=True),
    webchat=WebChatSettings(secret_key="s" * 40),
    demo=DemoSettings(enabled=sys.argv[1] == "development"),  # as `make run` has it
)
app = create_app(settings, dialogue=Quiet())
with TestClient(app) as client:
    page = client.get("/")
    script = client.get("/widget.js")
print(json.dumps({
    "page": page.status_code,
    "demo_links": "demo customer" in page.text,
    "script": script.status_code,
    "demo_modules": sorted(m for m in sys.modules if m == "demo" or m.startswith("demo.")),
}))
"""


def _serve(environment: str, tmp_path: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    env = {k: v for k, v in env.items() if not k.startswith("SWITCHBOARD_")}
    done = subprocess.run(
        [sys.executable, "-c", _APP, environment, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("environment", ["production"])
def test_production_serves_no_demo_page_and_imports_no_demo_code(
    environment: str, tmp_path: Path
) -> None:
    seen = _serve(environment, tmp_path)
    assert seen["page"] == 404
    assert seen["script"] == 200
    assert seen["demo_modules"] == []


def test_development_serves_the_demo_page_with_signed_demo_customers(tmp_path: Path) -> None:
    seen = _serve("development", tmp_path)
    assert seen["page"] == 200
    assert seen["demo_links"] is True
    assert seen["script"] == 200
    assert "demo.page" in seen["demo_modules"]
