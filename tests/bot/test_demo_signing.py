"""The demo page signs demo customers' identities only when the demo is explicitly on
(`SWITCHBOARD_DEMO__ENABLED`, which `make run` sets), and then only the seed's fixed
customers: a development server reachable on a network hands out no verified sessions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from bot.app import create_app
from bot.settings import DatabaseSettings, DemoSettings, Settings, WebChatSettings
from channels.web.identity import identity_hash
from tests.support.fakes import ScriptedDialogue

REPO = Path(__file__).parents[2]
_IDENTITY = re.compile(r'data-identifier="([^"]*)" data-identifier-hash="([0-9a-f]+)"')


def demo_settings(tmp_path: Path, *, demo: bool) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'sb.db'}", auto_migrate=True),
        webchat=WebChatSettings(secret_key="s" * 40),
        demo=DemoSettings(enabled=demo),
    )


@pytest.fixture
def demo_off(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(demo_settings(tmp_path, demo=False), dialogue=ScriptedDialogue())
    with TestClient(app) as client:
        yield client


@pytest.fixture
def demo_on(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(demo_settings(tmp_path, demo=True), dialogue=ScriptedDialogue())
    with TestClient(app) as client:
        yield client


def test_without_the_demo_setting_the_page_signs_nobody(demo_off: TestClient) -> None:
    page = demo_off.get("/", params={"as": "ada@example.com"})
    assert page.status_code == 200 and "/widget.js" in page.text
    assert "data-identifier" not in page.text
    assert "?as=" not in page.text  # no "continue as a demo customer" links either


def test_with_the_demo_on_a_demo_customer_is_signed_and_the_widget_accepts_it(
    demo_on: TestClient,
) -> None:
    page = demo_on.get("/", params={"as": "ada@example.com"})
    found = _IDENTITY.search(page.text)
    assert found is not None and found.group(1) == "ada@example.com"
    secret = demo_on.app.state.services.settings.identity_secret()  # type: ignore[attr-defined]
    assert found.group(2) == identity_hash(secret, "ada@example.com")
    session = demo_on.post(
        "/api/v1/webchat/sessions",
        json={"identifier": found.group(1), "identifier_hash": found.group(2)},
    )
    assert session.status_code == 200


@pytest.mark.parametrize("address", ["mallory@example.com", "ADA@example.com", "ada@example.com "])
def test_with_the_demo_on_only_the_seeds_fixed_customers_are_signed(
    demo_on: TestClient, address: str
) -> None:
    page = demo_on.get("/", params={"as": address})
    assert page.status_code == 200
    assert "data-identifier" not in page.text


def test_the_startup_log_says_whether_the_demo_signs(
    demo_on: TestClient, demo_off: TestClient
) -> None:
    def web_status(client: TestClient) -> str:
        services = client.app.state.services  # type: ignore[attr-defined]
        return next(p.status for p in services.channels if p.name == "web chat")

    assert "SWITCHBOARD_DEMO__ENABLED" in web_status(demo_on)
    assert "never expose" in web_status(demo_on)
    assert "anonymous only" in web_status(demo_off)


def test_production_refuses_the_demo(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="SWITCHBOARD_DEMO__ENABLED"):
        Settings(
            environment="production",
            database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'sb.db'}"),
            webchat=WebChatSettings(secret_key="s" * 40),
            demo=DemoSettings(enabled=True),
        )


def test_make_run_turns_the_demo_on_and_serve_alone_does_not() -> None:
    recipe = (REPO / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    serve = next(line for line in recipe.splitlines() if "switchboard serve" in line)
    assert "SWITCHBOARD_DEMO__ENABLED=true" in serve
    assert DemoSettings().enabled is False


def test_the_demo_page_marks_whom_the_chat_is_signed_in_as(demo_on: TestClient) -> None:
    """The page looks the same for every demo customer: the link of the one it signs
    is marked, else the anonymous visitor's."""
    current = re.compile(r'<li aria-current="true"><a href="([^"]*)">([^<]*)</a>')
    as_grace = current.findall(demo_on.get("/", params={"as": "grace@example.com"}).text)
    assert as_grace == [
        (
            "/?as=grace@example.com",
            "Grace Hopper: order 5120 is delayed; one open ticket, T-1001 "
            "&quot;Invoice shows the wrong VAT number&quot;",
        )
    ]
    assert current.findall(demo_on.get("/").text) == [("/", "anonymous visitor")]
    for stranger in ("mallory@example.com", "ADA@example.com"):
        page = demo_on.get("/", params={"as": stranger}).text
        assert current.findall(page) == [("/", "anonymous visitor")]
