"""Mail end to end with real servers: Dovecot IMAP in, the engine and store (SQLite and
PostgreSQL), aiosmtpd out. The background tasks are not started: each test drives the
poller and the delivery worker one pass at a time, so nothing depends on timing."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.settings import DatabaseSettings, DeliverySettings, EmailSettings, Settings
from bot.wiring.bootstrap import Services
from bot.wiring.email import mailbox_poller
from channels.email.inbound import ATTACHMENTS_ONLY
from crm_store import consents, customers, history, outbox
from crm_store.models import InboundReceipt, Interaction, OutboxMessage
from knowledge.embeddings import SentenceEncoder
from tests.support.fakes import ScriptedDialogue
from tests.support.mail import RECEIVER, TOKEN, append, email_settings, flags
from tests.support.mail import mail as any_mail
from tests.support.mail_servers import Dovecot, SmtpServer

pytestmark = pytest.mark.migrated_database  # its stores start at the newest migration

ANSWER = "Refunds take 5-7 business days."
# The receiver the mailbox trusts; the mail of these tests passed its DMARC check (mail
# nobody vouched for: tests/channels/email/test_forged_sender.py).


def mail(text: str, **options: object) -> EmailMessage:
    """A mail from a sender the trusted receiver authenticated."""
    return any_mail(text, authenticated_by=RECEIVER, **options)  # type: ignore[arg-type]


@pytest.fixture
def email(dovecot: Dovecot, folder: str, smtp: SmtpServer) -> EmailSettings:
    return email_settings(dovecot, folder, smtp)


@pytest.fixture
def app_settings(tmp_path: Path, database_url: str, email: EmailSettings) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database=DatabaseSettings(url=database_url, auto_migrate=True),
        delivery=DeliverySettings(base_delay_seconds=0.01, max_delay_seconds=0.05),
        email=email,
    )


@pytest.fixture
def dialogue() -> ScriptedDialogue:
    return ScriptedDialogue([ANSWER])


@pytest.fixture
async def app(app_settings: Settings, dialogue: ScriptedDialogue) -> AsyncIterator[object]:
    application = create_app(app_settings, dialogue=dialogue)
    yield application
    application.state.services.close()


@pytest.fixture
def services(app: object) -> Services:
    return app.state.services  # type: ignore[attr-defined, no-any-return]


async def poll(services: Services) -> int:
    assert services.mail_poller is not None
    return await services.mail_poller.poll_once()


def count(services: Services, model: type, *where: object) -> int:
    with services.database.transaction() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        return session.scalar(query) or 0


def inbound_rows(services: Services) -> list[Interaction]:
    with services.database.transaction() as session:
        rows = session.scalars(
            select(Interaction).where(Interaction.direction == "in").order_by(Interaction.id)
        ).all()
        session.expunge_all()
        return list(rows)


async def test_a_question_is_answered_with_threading_headers_and_nothing_marked_read(
    services: Services, dovecot: Dovecot, folder: str, smtp: SmtpServer
) -> None:
    question = mail("How long do refunds take?", message_id="<q1@example.com>",
                    references="<earlier@example.com>")  # fmt: skip
    append(dovecot, folder, question)

    assert await poll(services) == 1
    assert await services.worker.deliver_due() == 1

    [answer] = smtp.recorder.received
    assert smtp.recorder.envelopes == [("support@acme.test", ["ada@example.com"])]
    assert answer["To"] == "ada@example.com"
    assert answer["Subject"] == "Re: Refunds"
    assert answer["In-Reply-To"] == "<q1@example.com>"
    assert answer["References"] == "<earlier@example.com> <q1@example.com>"
    assert answer["Auto-Submitted"] == "auto-replied"
    assert answer.get_body(("plain",)).get_content().strip() == ANSWER
    assert b"\\Seen" not in b" ".join(flags(dovecot, folder))
    with services.database.transaction() as session:
        replies = session.scalars(select(Interaction).where(Interaction.direction == "out")).all()
        assert [r.provider_message_id for r in replies] == [str(answer["Message-ID"])]
        row = session.scalars(select(OutboxMessage)).one()
        assert row.provider_message_id == str(answer["Message-ID"]) and row.status == "sent"


async def test_a_reply_to_the_bots_answer_lands_in_the_same_conversation(
    services: Services, dovecot: Dovecot, folder: str, smtp: SmtpServer
) -> None:
    # Ada writes from work; her home address is on file as hers too.
    with services.database.transaction() as session:
        ada, _ = customers.resolve_identity(
            session, "email", "ada@work.test", email="ada@work.test", verified=True
        )
        customers.resolve_identity(
            session, "email", "ada@home.test", email="ada@work.test", verified=True
        )
    append(
        dovecot,
        folder,
        mail("Where is my parcel?", sender="ada@work.test", message_id="<w1@work.test>"),
    )
    await poll(services)
    await services.worker.deliver_due()
    [answer] = smtp.recorder.received
    bot_id = str(answer["Message-ID"])
    token_address = answer["Reply-To"].addresses[0].addr_spec

    # From home: one reply threaded by In-Reply-To, one whose mail program kept only the
    # Reply-To token, and one new mail with no threading at all.
    append(dovecot, folder, mail("Still not here", sender="ada@home.test", subject="Re: Refunds",
                                 message_id="<h1@home.test>", in_reply_to=bot_id,
                                 references=f"<w1@work.test> {bot_id}"))  # fmt: skip
    append(dovecot, folder, mail("Any news?", sender="ada@home.test", to=token_address))
    append(dovecot, folder, mail("Unrelated question", sender="ada@home.test"))
    # Someone else quoting Ada's thread ids must not get into her conversation.
    append(dovecot, folder, mail("Me too", sender="eve@example.net", in_reply_to=bot_id))
    assert await poll(services) == 4

    rows = inbound_rows(services)
    by_text = {row.text: row for row in rows}
    work = by_text["Where is my parcel?"].conversation_id
    assert by_text["Still not here"].conversation_id == work
    assert by_text["Any news?"].conversation_id == work
    assert by_text["Unrelated question"].conversation_id != work
    assert by_text["Me too"].conversation_id != work
    assert by_text["Still not here"].customer_id == ada.id == by_text["Any news?"].customer_id
    await services.worker.deliver_due()
    [to_home] = [m for m in smtp.recorder.received if m["In-Reply-To"] == "<h1@home.test>"]
    assert to_home["To"] == "ada@home.test"  # the address that wrote, never one from a body
    assert to_home["References"] == f"<w1@work.test> {bot_id} <h1@home.test>"


async def test_a_restarted_poller_neither_skips_nor_repeats(
    services: Services, app_settings: Settings, dovecot: Dovecot, folder: str
) -> None:
    append(dovecot, folder, mail("first", message_id="<r1@example.com>"))
    append(dovecot, folder, mail("second", message_id="<r2@example.com>"))
    assert await poll(services) == 2

    assert services.email_intake is not None
    restarted = mailbox_poller(app_settings.email, services.email_intake, services.database)
    assert await restarted.poll_once() == 0
    append(dovecot, folder, mail("third", message_id="<r3@example.com>"))
    assert await restarted.poll_once() == 1
    assert await restarted.poll_once() == 0
    assert [row.text for row in inbound_rows(services)] == ["first", "second", "third"]


async def test_a_lost_watermark_write_repeats_nothing(
    services: Services, dovecot: Dovecot, folder: str
) -> None:
    append(dovecot, folder, mail("only once", message_id="<once@example.com>"))
    assert await poll(services) == 1
    with services.database.transaction() as session:
        session.execute(__import__("sqlalchemy").text("DELETE FROM mailbox_watermarks"))
    assert await poll(services) == 1  # read again from the mailbox...
    assert count(services, InboundReceipt) == 1  # ...and recognised by its Message-ID
    assert count(services, Interaction) == 2 and count(services, OutboxMessage) == 1


async def test_the_same_mail_by_imap_and_webhook_is_stored_once(
    app: object, services: Services, dovecot: Dovecot, folder: str, smtp: SmtpServer
) -> None:
    question = mail("How long do refunds take?", message_id="<both@example.com>")
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://sb") as client:
        response = await client.post(
            "/webhooks/email/inbound",
            content=question.as_bytes(),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "message/rfc822"},
        )
    assert response.status_code == 200, response.text
    assert response.json()["duplicate"] is False and response.json()["answered"] is True
    append(dovecot, folder, question)
    assert await poll(services) == 1
    assert await services.worker.deliver_due() == 1
    assert await services.worker.deliver_due() == 0

    assert count(services, InboundReceipt) == 1
    assert count(services, Interaction, Interaction.direction == "in") == 1
    assert len(smtp.recorder.received) == 1


async def test_auto_replies_and_bulk_mail_are_logged_and_not_answered(
    services: Services, dovecot: Dovecot, folder: str, smtp: SmtpServer
) -> None:
    append(dovecot, folder, mail("I am out of the office until Monday.",
                                 headers={"Auto-Submitted": "auto-replied"}))  # fmt: skip
    bulk = {"Precedence": "bulk", "List-Id": "<offers.shop.test>"}
    append(dovecot, folder, mail("50% off jackets!", sender="offers@shop.test", headers=bulk))
    append(dovecot, folder, mail("Delivery failed", sender="MAILER-DAEMON@mx.example.com"))
    assert await poll(services) == 3
    assert await services.worker.deliver_due() == 0

    assert smtp.recorder.received == []
    assert count(services, OutboxMessage) == 0
    reasons = [row.attributes["no_reply_reason"] for row in inbound_rows(services)]
    assert reasons == [
        "auto-submitted: auto-replied",
        "precedence: bulk",
        "automated sender: mailer-daemon",
    ]


async def test_automatic_replies_per_sender_are_capped_per_hour(
    tmp_path: Path, database_url: str, dovecot: Dovecot, folder: str, smtp: SmtpServer
) -> None:
    settings = Settings(
        data_dir=tmp_path / "capped",
        database=DatabaseSettings(url=database_url, auto_migrate=True),
        email=email_settings(dovecot, folder, smtp, max_replies_per_hour=2),
    )
    capped = create_app(settings, dialogue=ScriptedDialogue([ANSWER])).state.services
    try:
        for n in range(3):
            append(dovecot, folder, mail(f"question {n}"))
        append(dovecot, folder, mail("question from someone else", sender="bob@example.org"))
        assert await capped.mail_poller.poll_once() == 4
        await capped.worker.deliver_due()

        assert sorted(m["To"] for m in smtp.recorder.received) == [
            "ada@example.com", "ada@example.com", "bob@example.org",
        ]  # fmt: skip
        reasons = [row.attributes.get("no_reply_reason") for row in inbound_rows(capped)]
        assert reasons == [
            None,
            None,
            "reply limit: 2 automatic replies to this address in the last hour",
            None,
        ]
    finally:
        capped.close()


async def test_an_agent_reply_is_sent_threaded_without_auto_submitted(
    services: Services, dovecot: Dovecot, folder: str, smtp: SmtpServer
) -> None:
    append(dovecot, folder, mail("Can a person look at this?", message_id="<p1@example.com>"))
    await poll(services)
    await services.worker.deliver_due()
    smtp.recorder.received.clear()
    # What the Slack desk will do when it lands: log an agent's reply with its outbox row.
    with services.database.transaction() as session:
        [question] = [r for r in history.timeline(session, 1) if r.direction == "in"]
        conversation = history.get_conversation(session, question.conversation_id)
        assert conversation is not None
        record = history.append(session, conversation, history_new_agent_reply())
        outbox.enqueue(session, interaction_id=record.id, conversation_id=conversation.id,
                       channel="email", address="ada@example.com",
                       payload=outbox.payload_for(record))  # fmt: skip
    assert await services.worker.deliver_due() == 1

    [reply] = smtp.recorder.received
    assert reply["Auto-Submitted"] is None and reply["X-Auto-Response-Suppress"] is None
    assert reply["In-Reply-To"] == "<p1@example.com>" and reply["Subject"] == "Re: Refunds"
    assert reply["To"] == "ada@example.com"
    assert reply.get_body(("plain",)).get_content().strip() == "Sam here: I have refunded it."


def history_new_agent_reply():  # type: ignore[no-untyped-def]
    from crm_store.records import NewInteraction

    return NewInteraction(
        direction="out", author="agent", text="Sam here: I have refunded it.",
        delivery_status="pending",
    )  # fmt: skip


def test_the_server_polls_the_mailbox_and_sends_answers_in_the_background(
    app_settings: Settings, dovecot: Dovecot, folder: str, smtp: SmtpServer
) -> None:
    """The app's lifespan starts the poller and the delivery worker, and stops both."""
    append(dovecot, folder, mail("How long do refunds take?", message_id="<bg@example.com>"))
    app = create_app(app_settings, dialogue=ScriptedDialogue([ANSWER]))
    with TestClient(app):
        # Waiting for the background tasks to finish their first pass (not a speed test:
        # the bound is only there so a broken poller fails instead of hanging).
        for _ in range(1200):
            if smtp.recorder.received:
                break
            time.sleep(0.05)
    [answer] = smtp.recorder.received
    assert answer["In-Reply-To"] == "<bg@example.com>"
    assert answer.get_body(("plain",)).get_content().strip() == ANSWER


async def test_a_latin1_reply_with_a_quote_is_stored_decoded_and_the_bot_reads_only_the_new_part(
    services: Services, dialogue: ScriptedDialogue, dovecot: Dovecot, folder: str
) -> None:
    body = (
        "Grüße! Können Sie nach Zürich liefern?\n\n"
        "Am 2. März 2026 um 10:00 schrieb Acme Support <support@acme.test>:\n"
        "> Wir liefern in die EU.\n"
    )
    raw = (
        f"Authentication-Results: {RECEIVER}; dmarc=pass header.from=example.de\r\n"
        "From: =?iso-8859-1?q?J=FCrgen_M=FCller?= <juergen@example.de>\r\n"
        "To: support@acme.test\r\nSubject: =?iso-8859-1?q?Lieferung_nach_Z=FCrich?=\r\n"
        "Message-ID: <latin1@example.de>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode("ascii") + __import__("quopri").encodestring(body.encode("iso-8859-1")).replace(
        b"\n", b"\r\n"
    )
    append(dovecot, folder, raw)
    assert await poll(services) == 1

    [row] = inbound_rows(services)
    assert row.text == "Grüße! Können Sie nach Zürich liefern?"
    assert row.attributes["email"]["subject"] == "Lieferung nach Zürich"
    assert row.attributes["email"]["full_text"].strip() == body.strip()
    assert [turn.message.text for turn in dialogue.turns] == [row.text]
    with services.database.transaction() as session:
        [customer] = customers.find_customers(session, email="juergen@example.de")
    assert customer.name == "Jürgen Müller"


@pytest.fixture
def real_bot(
    sqlite_settings: Settings,
    encoder: SentenceEncoder,
    dovecot: Dovecot,
    folder: str,
    smtp: SmtpServer,
) -> Iterator[Services]:
    """No scripted dialogue: the real NLU and knowledge base, mail on."""
    settings = sqlite_settings.model_copy(update={"email": email_settings(dovecot, folder, smtp)})
    services = create_app(settings, encoder=encoder).state.services
    yield services
    services.close()


async def test_the_real_support_bot_answers_a_mailed_question_from_the_help_centre(
    real_bot: Services, dovecot: Dovecot, folder: str, smtp: SmtpServer
) -> None:
    """NLU, the knowledge base and the Markdown answer, by mail."""
    append(dovecot, folder, mail("Hello,\n\nhow long do refunds take?\n\nThanks,\nAda"))
    assert await poll(real_bot) == 1
    assert await real_bot.worker.deliver_due() == 1
    [answer] = smtp.recorder.received
    plain = answer.get_body(("plain",)).get_content()
    html = answer.get_body(("html",)).get_content()
    assert "refund" in plain.lower() and "Source: Refunds" in plain
    assert '<a href="https://help.acme-outfitters.example/returns-and-refunds/refunds">' in html
    assert answer["Subject"] == "Re: Refunds" and answer["Auto-Submitted"] == "auto-replied"


async def test_a_photo_without_words_gets_told_what_the_bot_can_do_and_stays_subscribed(
    real_bot: Services, dovecot: Dovecot, folder: str, smtp: SmtpServer
) -> None:
    """The real NLU once read such a mail's placeholder as "unsubscribe me": the sender
    was told "you won't get any more messages" and their next answer was never sent."""
    photo = mail("", subject="")
    photo.add_attachment(b"\x89PNG", maintype="image", subtype="png", filename="zip.png")
    append(dovecot, folder, photo)
    append(dovecot, folder, mail("how long do refunds take?", subject="Re: my photo"))
    assert await poll(real_bot) == 2
    assert await real_bot.worker.deliver_due() == 2
    with real_bot.database.transaction() as session:
        [ada] = customers.find_customers(session, email="ada@example.com")
        ledger = consents.ledger_of(session, ada.id)
    first, second = (m.get_body(("plain",)).get_content() for m in smtp.recorder.received)
    assert first.strip() == ATTACHMENTS_ONLY
    assert "refund" in second.lower()
    assert [entry for entry in ledger if entry.decision == "withdrawn"] == []
