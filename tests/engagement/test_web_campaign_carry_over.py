"""A web chat campaign message is for the customer, not for one browser: on SQLite and
PostgreSQL, through the real app and its own campaign sender. It lands in the customer's
latest widget conversation as before; a new session the host page signed in for the
same customer shows it, once, when no widget has shown it yet; a message shown by any
widget is never shown by another (crm_store/web_campaign_messages.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from bot.app import create_app
from bot.settings import CampaignSettings, DatabaseSettings, Settings, WebChatSettings
from channels.web.identity import identity_hash
from crm_store import Database, consents
from crm_store.base import utcnow
from crm_store.models import CampaignSend, Customer, WebCampaignMessage
from engagement.rules import WEB_CARRY_OVER
from tests.support.app import eventually, services
from tests.support.campaigns import OPEN_RULES, campaign, schedule
from tests.support.fakes import ScriptedDialogue

ADA = "ada@example.com"
SPRING = "Spring sale: 15% off with BACK15"


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path / "var",
        database=DatabaseSettings(url=database_url, auto_migrate=True),
        webchat=WebChatSettings(secret_key="s" * 40),
        campaigns=CampaignSettings(poll_interval_seconds=0.05),
    )
    with TestClient(create_app(settings, dialogue=ScriptedDialogue())) as client:
        yield client


def database(client: TestClient) -> Database:
    return services(client).database


def start_session(client: TestClient, email: str | None = None) -> tuple[str, str]:
    """A new widget session, signed in as `email` by the host page (None: anonymous):
    (session id, token)."""
    body = {}
    if email is not None:
        secret = services(client).settings.identity_secret()
        body = {"identifier": email, "identifier_hash": identity_hash(secret, email)}
    response = client.post("/api/v1/webchat/sessions", json=body)
    assert response.status_code == 200, response.text
    return response.json()["session_id"], response.json()["token"]


def say(client: TestClient, token: str, text: str) -> None:
    response = client.post(
        "/api/v1/webchat/messages",
        headers={"Authorization": f"Bearer {token}"},
        json={"client_message_id": "first", "text": text},
    )
    assert response.status_code == 200, response.text


def read(client: TestClient, token: str) -> list[str]:
    """What the widget's HTTP read from the start shows."""
    response = client.get("/api/v1/webchat/messages", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return [message["text"] for message in response.json()["messages"]]


def replay(client: TestClient, token: str) -> list[str]:
    """What the widget's socket replays from the start (the widget's way: the pong to
    a ping after "ready" marks the end of the replay)."""
    with client.websocket_connect("/api/v1/webchat/ws") as ws:
        ws.send_json({"type": "hello", "token": token, "after": 0})
        assert ws.receive_json()["type"] == "ready"
        ws.send_json({"type": "ping"})
        texts = []
        while (frame := ws.receive_json())["type"] != "pong":
            if frame["type"] == "message":
                texts.append(frame["text"])
        return texts


def send_web_campaign(client: TestClient, body: str = SPRING) -> None:
    """A web chat campaign to everyone, sent by the app's own workers."""
    db = database(client)
    found = campaign(db, name=f"Campaign {utcnow().timestamp()}", content={"web": {"body": body}})
    schedule(db, found, OPEN_RULES, utcnow())

    def sent() -> bool:
        with db.transaction() as session:
            states = session.scalars(
                select(CampaignSend.state).where(CampaignSend.campaign_id == found.id)
            ).all()
        return bool(states) and all(state in ("sent", "suppressed") for state in states)

    eventually(sent)


def showings(client: TestClient) -> list[tuple[str | None, int | None]]:
    with database(client).transaction() as session:
        return [
            (row.shown_session, row.carried_interaction_id)
            for row in session.scalars(select(WebCampaignMessage))
        ]


def test_a_signed_in_customers_new_session_shows_the_message_once_and_no_other_does(
    client: TestClient,
) -> None:
    _, first_token = start_session(client, ADA)
    say(client, first_token, "hello")
    send_web_campaign(client)
    assert showings(client) == [(None, None)]  # written to the first session, not shown

    second, second_token = start_session(client, ADA)  # another device
    assert replay(client, second_token).count(SPRING) == 1
    [(shown_by, copy)] = showings(client)
    assert shown_by == second and copy is not None
    # The second session replays its own conversation as before (reconnect, reload).
    assert read(client, second_token).count(SPRING) == 1
    assert replay(client, second_token).count(SPRING) == 1

    _, third_token = start_session(client, ADA)  # cleared storage, say
    assert SPRING not in read(client, third_token)
    assert SPRING not in replay(client, third_token)
    # Nor does the session it was written to show it now that another widget did.
    assert read(client, first_token) == ["hello", "Hello from the bot"]
    assert showings(client) == [(second, copy)]
    with database(client).transaction() as session:
        ledger = session.scalars(select(CampaignSend.state)).all()
    assert ledger == ["sent"]  # one send; showing it elsewhere sent nothing again


def test_a_message_its_own_session_already_replayed_is_not_carried(client: TestClient) -> None:
    first, first_token = start_session(client, ADA)
    say(client, first_token, "hello")
    send_web_campaign(client)
    assert replay(client, first_token).count(SPRING) == 1
    assert showings(client) == [(first, None)]

    _, second_token = start_session(client, ADA)
    assert read(client, second_token) == []
    assert replay(client, second_token) == []
    assert read(client, first_token).count(SPRING) == 1  # still in its own session


def test_sessions_opened_at_the_same_moment_show_it_once_in_total(client: TestClient) -> None:
    _, first_token = start_session(client, ADA)
    say(client, first_token, "hello")
    send_web_campaign(client)
    tokens = [start_session(client, ADA)[1] for _ in range(6)]
    together = threading.Barrier(len(tokens))

    def open_widget(token: str) -> list[str]:
        together.wait()
        return read(client, token)

    with ThreadPoolExecutor(len(tokens)) as pool:
        shown = list(pool.map(open_widget, tokens))
    assert sum(texts.count(SPRING) for texts in shown) == 1
    assert SPRING not in read(client, first_token)
    [(shown_by, copy)] = showings(client)
    assert shown_by is not None and copy is not None


def test_an_anonymous_visitors_new_session_does_not_get_it(client: TestClient) -> None:
    _, first_token = start_session(client)
    say(client, first_token, "hello")
    send_web_campaign(client)
    _, second_token = start_session(client)  # the same person? nothing says so
    assert read(client, second_token) == []
    assert replay(client, second_token) == []
    assert showings(client) == [(None, None)]
    assert read(client, first_token).count(SPRING) == 1  # their browser still shows it


def test_a_message_older_than_the_window_is_not_carried(client: TestClient) -> None:
    _, first_token = start_session(client, ADA)
    say(client, first_token, "hello")
    send_web_campaign(client)
    with database(client).transaction() as session:
        session.execute(
            update(WebCampaignMessage).values(
                written_at=utcnow() - WEB_CARRY_OVER - timedelta(minutes=1)
            )
        )
    _, second_token = start_session(client, ADA)
    assert read(client, second_token) == []
    assert showings(client) == [(None, None)]


def test_a_message_whose_purpose_the_customer_withdrew_since_is_not_carried(
    client: TestClient,
) -> None:
    first, first_token = start_session(client, ADA)
    say(client, first_token, "hello")
    send_web_campaign(client)
    with database(client).transaction() as session:
        consents.record_consent(
            session,
            channel="web",
            address=first,
            decision=consents.WITHDRAWN,
            means="widget",
            source="test",
            purposes=(consents.MARKETING,),
        )
    _, second_token = start_session(client, ADA)
    assert read(client, second_token) == []
    assert showings(client) == [(None, None)]


def test_a_customer_never_seen_before_has_nothing_carried(client: TestClient) -> None:
    """A signed-in newcomer (no customer with that email) costs a read and writes nothing."""
    _, token = start_session(client, "newcomer@example.com")
    assert replay(client, token) == []
    with database(client).transaction() as session:
        found: Any = session.scalars(select(Customer)).all()
    assert found == []
