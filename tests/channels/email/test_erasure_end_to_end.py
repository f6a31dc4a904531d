"""A customer erased everywhere, end to end, on SQLite and PostgreSQL (here beside the
real Dovecot the email tests start).

Ada chats on the web widget, texts (signed Twilio webhooks, replies through the Twilio
stand-in), is handed off to Slack (the stand-in), where Sam claims and answers in the
thread, mails the support mailbox (read over IMAP by the poller), has a ticket and
receives an SMS campaign (sent by the app's own campaign scheduler and sender). An
admin erases her. Afterwards no text column of any table (reflected from the database,
so tables added later are searched too), no file of the data directory (the SQLite file
in it), no message the Slack stand-in holds and no mail in the IMAP folder holds her
name, email, phone or words; Twilio was asked to delete each of her messages; reports
still count her conversations, and the campaign report still counts her send, whose
ledger row keeps no address; a subscriber got a signed `customer.erased`; a replayed
signed Twilio webhook does not bring her back, and a new text from her number starts a
new customer with nothing of the old.
"""

from __future__ import annotations

import imaplib
import json
from collections.abc import Iterator
from datetime import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, func, select

from bot.app import create_app
from bot.settings import DatabaseSettings, Settings, WebhookSettings
from crm_store import consents, erasures, webhook_subscriptions
from crm_store.models import CampaignSend, Conversation, Customer, Identity, Interaction
from knowledge.embeddings import SentenceEncoder
from tests.support.app import add_staff, eventually, services
from tests.support.campaigns import campaign
from tests.support.customers import ADA, open_sms_conversation, seed
from tests.support.mail import RECEIVER, append, email_settings, imap_session, mail
from tests.support.mail_servers import Dovecot, SmtpServer
from tests.support.ports import free_port
from tests.support.slack_cards import card_of, card_text, handoff_id_on, wait_thread_ts
from tests.support.slack_requests import HANDOFF_CHANNEL, Slack, slack_settings
from tests.support.slack_standin import SlackStandIn
from tests.support.sms_harness import CUSTOMER, text_in, twilio_settings
from tests.support.twilio_standin import TwilioStandIn
from tests.support.webchat import Visitor
from tests.support.webhook_receiver import WebhookReceiver

SAM = "USAM000001"
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
# What must be gone: her name, email, phone (as stored and as dialled) and her words
# (every message of hers mentions the teapot; Sam's reply names her).
NEEDLES = ("Lovelace", ADA, CUSTOMER, CUSTOMER[2:], "teapot", "Teapot")


@pytest.fixture
def client(
    settings: Settings,
    database_url: str,
    stand_in: TwilioStandIn,
    standin: SlackStandIn,
    dovecot: Dovecot,
    folder: str,
    smtp: SmtpServer,
    encoder: SentenceEncoder,
) -> Iterator[TestClient]:
    if database_url.startswith("sqlite"):  # where a default install keeps it
        url = f"sqlite:///{settings.data_dir / 'switchboard.db'}"
        settings = settings.model_copy(
            update={"database": DatabaseSettings(url=url, auto_migrate=True)}
        )
    everything = slack_settings(twilio_settings(settings, stand_in), standin).model_copy(
        update={
            "email": email_settings(dovecot, folder, smtp),
            "webhooks": WebhookSettings(allowed_hosts=["127.0.0.1"]),
            # No quiet hours (the run may fall in them) and a quick scheduler pass.
            "campaigns": settings.campaigns.model_copy(
                update={
                    "quiet_hours_start": time(0),
                    "quiet_hours_end": time(0),
                    "poll_interval_seconds": 0.2,
                }
            ),
        }
    )
    with TestClient(create_app(everything, encoder=encoder)) as client:
        seed(services(client).database)
        open_sms_conversation(services(client).database)
        yield client


def found_in_tables(client: TestClient) -> list[str]:
    """Every needle in any text or JSON value of any table, as `table.column`."""
    database = services(client).database
    reflected = MetaData()
    reflected.reflect(database.engine)
    hits = []
    with database.engine.connect() as connection:
        for table in reflected.sorted_tables:
            for row in connection.execute(select(table)).mappings():
                for column, value in row.items():
                    if isinstance(value, (dict, list)):
                        value = json.dumps(value, ensure_ascii=False)
                    if isinstance(value, str) and any(n in value for n in NEEDLES):
                        hits.append(f"{table.name}.{column}")
    return sorted(set(hits))


def found_in_files(data_dir: Path) -> list[str]:
    return [
        str(path.relative_to(data_dir))
        for path in data_dir.rglob("*")
        if path.is_file() and any(n.encode() in path.read_bytes() for n in NEEDLES)
    ]


def found_in_mailbox(dovecot: Dovecot, folder: str) -> int:
    with imap_session(dovecot) as conn:
        conn.select(folder, readonly=True)
        status, data = conn.search(None, "ALL")
        assert status == "OK"
        found = 0
        for number in (data[0] or b"").split():
            _, parts = conn.fetch(number, "(BODY.PEEK[])")
            raw = b"".join(p[1] for p in parts if isinstance(p, tuple))
            found += any(n.encode() in raw for n in NEEDLES)
        return found


def mails_in(dovecot: Dovecot, folder: str) -> int:
    conn: imaplib.IMAP4
    with imap_session(dovecot) as conn:
        status, data = conn.select(folder, readonly=True)
        assert status == "OK"
        return int(data[0] or 0)


def conversation_count(client: TestClient, customer_id: int | None = None) -> int:
    with services(client).database.transaction() as session:
        query = select(func.count()).select_from(Conversation)
        if customer_id is not None:
            query = query.where(Conversation.customer_id == customer_id)
        return session.scalar(query) or 0


def test_an_erased_customer_is_gone_from_every_copy(
    client: TestClient,
    stand_in: TwilioStandIn,
    standin: SlackStandIn,
    dovecot: Dovecot,
    folder: str,
) -> None:
    the = services(client)
    database = the.database
    with database.transaction() as session:
        ada = session.scalars(select(Customer.id).where(Customer.email == ADA)).one()
    add_staff(client, "Sam Carter", "sam@example.com", "agent", SAM)
    admin = add_staff(client, "Root", "root@acme.test", "admin", None)
    receiver = WebhookReceiver(free_port(), secret=SECRET)
    receiver.start()
    with database.transaction() as session:
        webhook_subscriptions.create_subscription(
            session, url=receiver.url, events=["customer.erased"], secret=SECRET, description=None
        )
        from crm_store import staff

        _, token = staff.create_staff(session, name="Ops", email="ops@acme.test", role="admin")
    as_admin = {"Authorization": f"Bearer {token}"}
    assert admin

    # The web widget, signed in as Ada.
    Visitor(client, signed_in_as=ADA).say("Where is my blue teapot order?")

    # SMS, handed off to Slack; Sam claims and answers, Ada texts again into the thread.
    text_in(client, "I want to talk to a human about my teapot", "SMin0001")
    card = card_of(standin)
    thread = wait_thread_ts(client)
    slack = Slack(client, standin)
    assert slack.press(SAM, "handoff_claim", handoff_id_on(card), thread).status_code == 200
    eventually(lambda: "Claimed by Sam Carter" in card_text(standin.posted()[0]))
    reply = {
        "type": "message",
        "channel": HANDOFF_CHANNEL,
        "channel_type": "channel",
        "user": SAM,
        "text": "Hello Ms Lovelace, a new teapot is on its way.",
        "ts": "1800000100.000200",
        "thread_ts": thread,
    }
    assert slack.event(reply, event_id="EvSAMREPLY01").status_code == 200
    eventually(lambda: [p for p in stand_in.accepted if "new teapot" in p.form["Body"]])
    text_in(client, "Thanks, the old teapot arrived cracked", "SMin0002")
    eventually(lambda: [m for m in standin.posted(thread_ts=thread) if "cracked" in m["text"]])

    # Mail to the support mailbox, read over IMAP.
    append(
        dovecot,
        folder,
        mail(
            "The teapot lid is cracked too. Ada Lovelace, +1 415 555 0101",
            subject="Cracked teapot",
            message_id="<teapot-1@example.com>",
            authenticated_by=RECEIVER,
        ),
    )
    assert client.portal.call(the.mail_poller.poll_once) == 1  # type: ignore[union-attr]

    # A ticket.
    agent = {"Authorization": f"Bearer {token}"}
    ticket = client.post(
        "/api/v1/tickets",
        headers=agent,
        json={"customer_id": ada, "subject": "Replace the teapot", "description": "cracked"},
    )
    assert ticket.status_code == 201, ticket.text

    # A campaign SMS to her (she opted in to marketing), addressed by her full name.
    with database.transaction() as session:
        consents.record_consent(
            session,
            channel="sms",
            address=CUSTOMER,
            decision=consents.GRANTED,
            means="import",
            source="test",
            purposes=(consents.MARKETING,),
            customer_id=ada,
        )
    sale = campaign(
        database,
        name="Spring sale",
        filter={
            "all": [
                {"field": "account_id", "op": "is_set", "value": True},
                {"field": "has_channel", "op": "eq", "value": "sms"},
            ]
        },
        content={"sms": {"body": "Dear {{ name }}, our spring sale starts today"}},
    )
    scheduled = client.post(f"/api/v1/campaigns/{sale.id}/schedule", json={}, headers=as_admin)
    assert scheduled.status_code == 200, scheduled.text
    (sent,) = eventually(
        lambda: [p for p in stand_in.accepted if "spring sale" in p.form["Body"]], timeout=30
    )
    assert sent.form["Body"].startswith("Dear Ada Lovelace, our spring sale starts today")
    assert sent.form["To"] == CUSTOMER

    def campaign_sends() -> list[CampaignSend]:
        with database.transaction() as session:
            found = session.scalars(select(CampaignSend).where(CampaignSend.campaign_id == sale.id))
            return list(found)

    (send,) = eventually(lambda: [s for s in campaign_sends() if s.state == "sent"])
    assert send.customer_id == ada and send.address == CUSTOMER
    campaign_report = client.get(f"/api/v1/campaigns/{sale.id}/report", headers=as_admin)
    assert campaign_report.json()["steps"]["sms"]["sent"] == 1, campaign_report.text

    conversations = conversation_count(client, ada)
    everyone = conversation_count(client)
    assert conversations >= 3  # web, SMS, email
    assert found_in_tables(client)  # the search finds her before the erasure
    with database.transaction() as session:
        sms_sids = set(
            session.scalars(
                select(Interaction.provider_message_id).where(
                    Interaction.customer_id == ada, Interaction.channel == "sms"
                )
            )
        ) - {None}

    # The admin erases her; the erasure worker works the checklist.
    started = client.post(f"/api/v1/customers/{ada}/erase", headers=as_admin)
    assert started.status_code == 202, started.text
    erasure = started.json()["id"]

    def finished() -> bool:
        with database.transaction() as session:
            return erasures.get_erasure(session, erasure).status != "running"

    eventually(finished, timeout=60)
    shown = client.get(f"/api/v1/erasures/{erasure}", headers=as_admin).json()
    assert shown["status"] == "done", shown
    report = shown["report"]
    assert {step["name"] for step in shown["steps"]} == {"store", "slack", "sms", "mailbox"}
    assert report["erased"]["mailbox"] == {"mails_deleted": 1}
    assert report["erased"]["slack"]["slack_messages_deleted"] >= 2  # the card, the relay
    assert report["erased"]["sms"]["twilio_messages_deleted"] == len(sms_sids)
    assert {entry["where"] for entry in report["not_reachable"]} >= {
        "inbound mail relay",
        "mobile carriers",
        "database backups",
    }
    assert not any(n in json.dumps(shown) for n in NEEDLES)  # the report holds none of it

    # Nothing of her is left anywhere Switchboard put it.
    assert found_in_tables(client) == []
    assert found_in_files(the.settings.data_dir) == []
    assert [m for m in standin.messages if any(n in json.dumps(m) for n in NEEDLES)] == []
    assert standin.posted(thread_ts=thread) == []  # the thread's bot messages are deleted
    assert mails_in(dovecot, folder) == 0 and found_in_mailbox(dovecot, folder) == 0
    assert set(stand_in.deleted) == sms_sids

    # Reports still count her conversations and her campaign send, whose ledger row
    # keeps no address; a subscriber heard it, signed.
    assert conversation_count(client, ada) == conversations
    assert conversation_count(client) == everyone
    (send,) = campaign_sends()  # pseudonymised: still hers, still sent, no address
    assert (send.customer_id, send.state, send.address) == (ada, "sent", None)
    after = client.get(f"/api/v1/campaigns/{sale.id}/report", headers=as_admin).json()
    assert after["steps"] == campaign_report.json()["steps"]
    (event,) = eventually(lambda: receiver.received)
    assert event[1]["type"] == "customer.erased"
    assert event[1]["data"] == {
        "customer_id": ada,
        "erasure_id": erasure,
        "status": "done",
        "reason": "request",
    }
    receiver.stop()

    # Twilio replays her first text, signed: nothing comes back.
    with database.transaction() as session:
        customers_before = session.scalar(select(func.count()).select_from(Customer))
    text_in(client, "I want to talk to a human about my teapot", "SMin0001")
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == customers_before
        assert session.scalars(select(Identity).where(Identity.address == CUSTOMER)).all() == []
    assert found_in_tables(client) == []

    # She writes again: a new customer, with nothing of the old one.
    text_in(client, "Hello, it's me again", "SMin0003")
    with database.transaction() as session:
        (identity,) = session.scalars(select(Identity).where(Identity.address == CUSTOMER))
        assert identity.customer_id != ada
        texts = session.scalars(
            select(Interaction.text).where(
                Interaction.customer_id == identity.customer_id, Interaction.direction == "in"
            )
        ).all()
    assert list(texts) == ["Hello, it's me again"]
