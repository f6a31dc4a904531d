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
from crm_store import Database, consents
from crm_store.base import utcnow
from crm_store.models import CampaignSend, Customer, WebCampaignMessage
from engagement.rules import WEB_CARRY_OVER
from tests.support.app import eventually, services
from tests.support.campaigns import OPEN_RULES, campaign, schedule
from tests.support.fakes import ScriptedDialogue
from tests.support.webchat import Visitor

pytestmark = pytest.mark.migrated_database  # its stores start at the newest migration

ADA = "ada@example.com"
SPRING = ("system", "Spring sale: 15% off with BACK15")


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


def send_web_campaign(client: TestClient) -> None:
    """A web chat campaign to everyone, sent by the app's own workers."""
    db = database(client)
    found = campaign(db, name="Spring sale", content={"web": {"body": SPRING[1]}})
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


def chatted_and_sent_a_campaign(client: TestClient, email: str | None = ADA) -> Visitor:
    """The customer's first widget session (signed in as `email`; None: anonymous) says
    hello, then a web campaign is sent to everyone: it lands in that session."""
    first = Visitor(client, signed_in_as=email)
    first.say("hello")
    send_web_campaign(client)
    return first


def test_a_signed_in_customers_new_session_shows_the_message_once_and_no_other_does(
    client: TestClient,
) -> None:
    first = chatted_and_sent_a_campaign(client)
    assert showings(client) == [(None, None)]  # written to the first session, not shown

    second = Visitor(client, signed_in_as=ADA)  # another device
    assert second.replay().count(SPRING) == 1
    [(shown_by, copy)] = showings(client)
    assert shown_by == second.session_id and copy is not None
    # The second session replays its own conversation as before (reconnect, reload).
    assert second.transcript() == [SPRING]
    assert second.replay() == [SPRING]

    third = Visitor(client, signed_in_as=ADA)  # cleared storage, say
    assert third.transcript() == []
    assert third.replay() == []
    # Nor does the session it was written to show it now that another widget did.
    assert first.transcript() == [("customer", "hello"), ("bot", "Hello from the bot")]
    assert showings(client) == [(second.session_id, copy)]
    with database(client).transaction() as session:
        ledger = session.scalars(select(CampaignSend.state)).all()
    assert ledger == ["sent"]  # one send; showing it elsewhere sent nothing again


def test_a_message_its_own_session_already_replayed_is_not_carried(client: TestClient) -> None:
    first = chatted_and_sent_a_campaign(client)
    assert first.replay().count(SPRING) == 1
    assert showings(client) == [(first.session_id, None)]

    second = Visitor(client, signed_in_as=ADA)
    assert second.transcript() == []
    assert second.replay() == []
    assert first.transcript().count(SPRING) == 1  # still in its own session


def test_sessions_opened_at_the_same_moment_show_it_once_in_total(client: TestClient) -> None:
    first = chatted_and_sent_a_campaign(client)
    visitors = [Visitor(client, signed_in_as=ADA) for _ in range(6)]
    together = threading.Barrier(len(visitors))

    def open_widget(visitor: Visitor) -> list[tuple[str, str]]:
        together.wait()
        return visitor.transcript()

    with ThreadPoolExecutor(len(visitors)) as pool:
        shown = list(pool.map(open_widget, visitors))
    assert sum(messages.count(SPRING) for messages in shown) == 1
    assert SPRING not in first.transcript()
    [(shown_by, copy)] = showings(client)
    assert shown_by in {visitor.session_id for visitor in visitors} and copy is not None


def test_an_anonymous_visitors_new_session_does_not_get_it(client: TestClient) -> None:
    first = chatted_and_sent_a_campaign(client, email=None)
    second = Visitor(client)  # the same person? nothing says so
    assert second.transcript() == []
    assert second.replay() == []
    assert showings(client) == [(None, None)]
    assert first.transcript().count(SPRING) == 1  # their browser still shows it


def test_a_message_older_than_the_window_is_not_carried(client: TestClient) -> None:
    chatted_and_sent_a_campaign(client)
    with database(client).transaction() as session:
        session.execute(
            update(WebCampaignMessage).values(
                written_at=utcnow() - WEB_CARRY_OVER - timedelta(minutes=1)
            )
        )
    assert Visitor(client, signed_in_as=ADA).transcript() == []
    assert showings(client) == [(None, None)]


def test_a_message_whose_purpose_the_customer_withdrew_since_is_not_carried(
    client: TestClient,
) -> None:
    first = chatted_and_sent_a_campaign(client)
    with database(client).transaction() as session:
        consents.record_consent(
            session,
            channel="web",
            address=first.session_id,
            decision=consents.WITHDRAWN,
            means="widget",
            source="test",
            purposes=(consents.MARKETING,),
        )
    assert Visitor(client, signed_in_as=ADA).transcript() == []
    assert showings(client) == [(None, None)]


def test_a_customer_never_seen_before_has_nothing_carried(client: TestClient) -> None:
    """A signed-in newcomer (no customer with that email) costs a read and writes nothing."""
    assert Visitor(client, signed_in_as="newcomer@example.com").replay() == []
    with database(client).transaction() as session:
        found: Any = session.scalars(select(Customer)).all()
    assert found == []
