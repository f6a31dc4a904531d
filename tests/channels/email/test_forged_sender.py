"""A forged From is a claim, end to end: real Dovecot in, the real support bot (NLU,
forms, actions) on the store (SQLite and PostgreSQL), aiosmtpd out.

Grace Hopper is a customer with grace@example.com on file. Mallory writes mail with
`From: grace@example.com` and asks to change the email to hers; Mallory also sends
spam from made-up addresses with a spam subject. The mailbox trusts one receiver,
mx.acme.test, whose Authentication-Results say whether a sender passed DMARC.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.settings import Settings
from bot.wiring.bootstrap import Services
from channels.email.outbound import DEFAULT_SUBJECT
from crm_store import customers
from crm_store.models import Customer, Identity, Interaction
from knowledge.embeddings import SentenceEncoder
from tests.support.mail import RECEIVER, TOKEN, append, dmarc_pass, email_settings, mail
from tests.support.mail_servers import Dovecot, SmtpServer

GRACE = "grace@example.com"
MALLORY = "mallory@example.net"  # (email-validator refuses .test addresses)
SPAM_SUBJECT = "WIN A PRIZE at http://prize.example/claim"
BUDGET = 3


@pytest.fixture
def app(
    settings: Settings, encoder: SentenceEncoder, dovecot: Dovecot, folder: str, smtp: SmtpServer
) -> Iterator[object]:
    """The whole bot with mail in and out; Grace is a customer with her email on file."""
    configured = settings.model_copy(
        update={"email": email_settings(dovecot, folder, smtp, unverified_replies_per_hour=BUDGET)}
    )
    application = create_app(configured, encoder=encoder)
    services: Services = application.state.services
    with services.database.transaction() as session:
        customers.resolve_identity(
            session, "email", GRACE, name="Grace Hopper", email=GRACE, verified=True
        )
    yield application
    services.close()


@pytest.fixture
def services(app: object) -> Services:
    return app.state.services  # type: ignore[attr-defined, no-any-return]


async def exchange(services: Services) -> None:
    """Read the mailbox once and send what the bot queued."""
    assert services.mail_poller is not None
    await services.mail_poller.poll_once()
    await services.worker.deliver_due()


def grace_mail(text: str, **options: object) -> object:
    return mail(text, sender=f"Grace Hopper <{GRACE}>", subject="Change of address", **options)  # type: ignore[arg-type]


def grace_now(services: Services) -> tuple[str | None, list[tuple[str, str]]]:
    with services.database.transaction() as session:
        grace = session.scalars(select(Customer).where(Customer.name == "Grace Hopper")).one()
        identities = session.scalars(select(Identity).where(Identity.customer_id == grace.id))
        return grace.email, sorted((i.channel, i.address) for i in identities)


def recipients(smtp: SmtpServer) -> list[str]:
    return [address for _, rcpts in smtp.recorder.envelopes for address in rcpts]


def body(message: object) -> str:
    return message.get_body(("plain",)).get_content()  # type: ignore[attr-defined, no-any-return]


FORGERIES = {
    "no Authentication-Results": {},
    "Authentication-Results of an untrusted receiver": {
        "Authentication-Results": "mx.evil.test; dmarc=pass header.from=example.com"
    },
}


@pytest.mark.parametrize("headers", list(FORGERIES.values()), ids=list(FORGERIES))
async def test_a_forged_from_cannot_change_the_customers_email(
    services: Services, dovecot: Dovecot, folder: str, smtp: SmtpServer, headers: dict[str, str]
) -> None:
    before = grace_now(services)
    append(dovecot, folder, grace_mail(f"Please change my email to {MALLORY}", headers=headers))
    await exchange(services)
    # Mallory mails back the code if her mailbox got one (the old bug), else guesses;
    # then tries again, still as Grace.
    to_mallory = [body(m) for m in smtp.recorder.received if m["To"] == MALLORY]
    found = re.search(r"\b(\d{6})\b", " ".join(to_mallory))
    code = found.group(1) if found else "123456"
    append(dovecot, folder, grace_mail(f"The code is {code}", headers=headers))
    append(
        dovecot, folder, grace_mail(f"Change my email address to {MALLORY} now", headers=headers)
    )
    await exchange(services)

    assert MALLORY not in recipients(smtp)  # no code, nothing at all, went to Mallory
    assert set(recipients(smtp)) == {GRACE}  # answers go to the address on file only
    assert grace_now(services) == before == (GRACE, [("email", GRACE)])
    with services.database.transaction() as session:
        assert customers.find_identity(session, "email", MALLORY) is None
    first = smtp.recorder.received[0]
    assert "I can't be sure this message comes from you" in body(first)
    assert "I haven't changed anything" in body(first)
    assert first["Subject"] == DEFAULT_SUBJECT  # the bot's subject, not the forger's


async def test_a_trusted_receivers_pass_hidden_under_its_fail_is_not_believed(
    services: Services, dovecot: Dovecot, folder: str, smtp: SmtpServer
) -> None:
    forged = grace_mail(f"Please change my email to {MALLORY}")
    # The forger's own "pass" in the mail, and the trusted receiver's verdict on top.
    raw = (
        f"Authentication-Results: {RECEIVER}; spf=fail smtp.mailfrom=example.com;\r\n"
        " dmarc=fail (p=NONE) header.from=example.com\r\n"
        f"Authentication-Results: {RECEIVER}; dmarc=pass header.from=example.com\r\n"
    ).encode() + forged.as_bytes()  # type: ignore[attr-defined]
    append(dovecot, folder, raw)
    await exchange(services)
    assert recipients(smtp) == [GRACE]
    assert grace_now(services) == (GRACE, [("email", GRACE)])


async def test_an_authenticated_customer_changes_her_email_as_before(
    services: Services, dovecot: Dovecot, folder: str, smtp: SmtpServer
) -> None:
    new = "grace.hopper@example.org"
    proven = {"Authentication-Results": dmarc_pass(RECEIVER, GRACE)}
    append(dovecot, folder, grace_mail(f"Please change my email to {new}", headers=proven))
    await exchange(services)

    to_grace = [m for m in smtp.recorder.received if m["To"] == GRACE]
    [to_new] = [m for m in smtp.recorder.received if m["To"] == new]
    assert set(recipients(smtp)) == {GRACE, new}
    assert f"I've sent a 6-digit code to {new}" in body(to_grace[0])
    assert {m["Subject"] for m in to_grace} == {"Re: Change of address"}  # her own subject
    code = re.search(r"\b(\d{6})\b", body(to_new))
    assert code is not None

    append(dovecot, folder, grace_mail(f"It's {code.group(1)}", headers=proven))
    await exchange(services)
    done = smtp.recorder.received[-1]
    assert done["To"] == GRACE
    assert f"Done: your email address is now {new}." in body(done)
    assert grace_now(services) == (new, sorted([("email", GRACE), ("email", new)]))


async def test_a_forged_spam_sender_gets_at_most_the_budget_and_no_customer_record(
    services: Services, dovecot: Dovecot, folder: str, smtp: SmtpServer
) -> None:
    victims = [f"victim{n}@spam-target.test" for n in range(BUDGET + 3)]
    for victim in victims:
        append(dovecot, folder, mail("Claim your prize now!", sender=victim, subject=SPAM_SUBJECT))
    # Grace's own mail, unauthenticated, still gets its answer: she is on file.
    append(dovecot, folder, grace_mail("How long do refunds take?"))
    await exchange(services)

    sent = smtp.recorder.received
    to_victims = [m for m in sent if m["To"] in victims]
    assert len(to_victims) == BUDGET
    assert [m["To"] for m in sent if m["To"] == GRACE] == [GRACE]
    for message in sent:
        assert message["Subject"] == DEFAULT_SUBJECT
        assert "PRIZE" not in message.as_string() and "prize.example" not in message.as_string()

    with services.database.transaction() as session:
        for victim in victims:
            assert customers.find_customers(session, email=victim) == []
        rows = session.scalars(select(Customer).where(Customer.name.is_(None))).all()
        assert rows and all(row.pending for row in rows)  # pending contacts, no customers
        assert {row.attributes.get("claimed_name") for row in rows} == {None}
        kept = session.scalars(
            select(Interaction).where(
                Interaction.direction == "in", Interaction.text.like("Claim%")
            )
        ).all()
        assert len(kept) == len(victims)  # every mail is kept
        held = [r for r in kept if "no_reply_reason" in r.attributes]
        assert len(held) == len(victims) - BUDGET
        assert held[0].attributes["no_reply_reason"].startswith("unverified sender not on file")


async def test_the_relays_verdict_field_proves_or_refuses_a_sender(
    app: object, services: Services, smtp: SmtpServer
) -> None:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "message/rfc822"}
    # The relay says the sender failed: the trusted-looking header in the mail is moot.
    passing = {"Authentication-Results": dmarc_pass(RECEIVER, GRACE)}
    forged = grace_mail(f"Please change my email to {MALLORY}", headers=passing)
    async with httpx.AsyncClient(transport=transport, base_url="http://sb") as client:
        refused = await client.post(
            "/webhooks/email/inbound?sender_verdict=fail",
            content=forged.as_bytes(),  # type: ignore[attr-defined]
            headers=headers,
        )
        bad = await client.post(
            "/webhooks/email/inbound?sender_verdict=maybe",
            content=forged.as_bytes(),  # type: ignore[attr-defined]
            headers=headers,
        )
        new = "grace.hopper@example.org"
        passed = await client.post(
            "/webhooks/email/inbound?sender_verdict=pass",
            content=grace_mail(f"Please change my email to {new}").as_bytes(),  # type: ignore[attr-defined]
            headers=headers,
        )
    assert refused.status_code == 200 and refused.json()["sender_verified"] is False
    assert bad.status_code == 422
    assert passed.status_code == 200 and passed.json()["sender_verified"] is True
    await services.worker.deliver_due()
    assert MALLORY not in recipients(smtp) and new in recipients(smtp)


async def test_a_forged_mail_cannot_carry_on_a_change_the_customer_started(
    services: Services, dovecot: Dovecot, folder: str, smtp: SmtpServer
) -> None:
    # Grace (authenticated) starts a change and is asked for the new address...
    proven = {"Authentication-Results": dmarc_pass(RECEIVER, GRACE)}
    append(dovecot, folder, grace_mail("I want to change my email address", headers=proven))
    await exchange(services)
    assert "What's the new email address" in body(smtp.recorder.received[-1])
    # ...and Mallory, forging her From, answers before she does, then returns the code.
    append(dovecot, folder, grace_mail(MALLORY))
    await exchange(services)
    to_mallory = [body(m) for m in smtp.recorder.received if m["To"] == MALLORY]
    found = re.search(r"\b(\d{6})\b", " ".join(to_mallory))
    append(dovecot, folder, grace_mail(f"The code is {found.group(1) if found else '123456'}"))
    await exchange(services)

    assert MALLORY not in recipients(smtp)
    assert grace_now(services) == (GRACE, [("email", GRACE)])
    assert "I haven't changed anything" in body(smtp.recorder.received[1])
