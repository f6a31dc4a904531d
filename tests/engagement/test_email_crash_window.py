"""A campaign mail whose sender dies between SMTP's accept and the ledger write is not
sent again (SMTP cannot be asked whether it took it): the row ends `uncertain`, the
report counts it and an ERROR is logged. One that died before reaching SMTP is sent.

Real parts: the SMTP sender (aiosmtplib) against an aiosmtpd server, the ledger on
SQLite and PostgreSQL. The death is a fault-injection hook that raises out of the
worker right after SMTP answered: nothing after that point is written, as when the
process is killed there; a second worker takes over once the first one's lease ran out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from channels.email import MailIdentity, SmtpSender, SmtpServer
from channels.messages import Channel, OutboundMessage
from crm_store import Database
from crm_store.base import utcnow
from crm_store.campaign_sends import ClaimedSend
from crm_store.campaigns import get_campaign
from crm_store.models import CampaignSend
from engagement.report import campaign_report
from tests.support.campaigns import (
    LEASE_SECONDS,
    OPEN_RULES,
    Shopper,
    campaign,
    schedule,
    send_all,
    shoppers,
    worker,
)
from tests.support.mail_servers import SmtpServer as RunningSmtp
from tests.support.mail_servers import start_smtp

MAIL = {"email": {"subject": "We miss you", "body": "Hi {{ first_name }}, 10% off"}}


class Killed(BaseException):
    """The process died here (not an Exception: the worker must not handle it)."""


class NoThread:
    async def thread_of(self, message: OutboundMessage) -> None:
        return None


@pytest.fixture
def smtp() -> Iterator[RunningSmtp]:
    server = start_smtp()
    yield server
    server.stop()


def _mailer(smtp: RunningSmtp) -> SmtpSender:
    server = SmtpServer(smtp.host, smtp.port, starttls=False, timeout_seconds=10)
    return SmtpSender(server, MailIdentity("news@acme.test", "Acme"), NoThread())


def _rows(database: Database, campaign_id: int) -> list[CampaignSend]:
    with database.transaction() as session:
        return list(
            session.scalars(select(CampaignSend).where(CampaignSend.campaign_id == campaign_id))
        )


def _later() -> datetime:
    return utcnow() + timedelta(seconds=LEASE_SECONDS + 5)


def _die(row: ClaimedSend) -> None:
    raise Killed


async def test_a_mail_accepted_before_the_crash_is_not_sent_again_and_is_reported(
    database: Database, smtp: RunningSmtp, caplog: pytest.LogCaptureFixture
) -> None:
    shoppers(database, [Shopper(name="Ada Lovelace", email="ada@example.com")])
    found = campaign(database, content=MAIL)
    schedule(database, found, OPEN_RULES, utcnow())
    mail = {Channel.EMAIL: _mailer(smtp)}
    scheduler, dying = worker(database, mail, after_accept=_die)
    await send_all(scheduler, dying, passes=1)
    assert len(smtp.recorder.received) == 1  # SMTP took it...
    [row] = _rows(database, found.id)
    assert row.state == "sending"  # ...and the ledger never heard back

    scheduler, recovering = worker(database, mail, clock=_later)
    with caplog.at_level(logging.ERROR, logger="bot.delivery.campaign_queue"):
        await send_all(scheduler, recovering)

    assert len(smtp.recorder.received) == 1  # not sent again
    [row] = _rows(database, found.id)
    assert (row.state, row.reason) == ("uncertain", "crashed_mid_send")
    with database.transaction() as session:
        finished = get_campaign(session, found.id)
        assert finished is not None and finished.status == "done"  # nothing left hanging
        report = campaign_report(session, finished)
    assert report["steps"]["email"]["uncertain"] == 1
    assert report["steps"]["email"]["sent"] == 0
    assert any("not sent again" in r.getMessage() for r in caplog.records)


async def test_a_mail_that_never_reached_smtp_is_sent_once_after_the_crash(
    database: Database, smtp: RunningSmtp
) -> None:
    shoppers(database, [Shopper(name="Ada Lovelace", email="ada@example.com")])
    found = campaign(database, content=MAIL)
    schedule(database, found, OPEN_RULES, utcnow())
    mail = {Channel.EMAIL: _mailer(smtp)}
    scheduler, dying = worker(database, mail)
    scheduler.tick()
    # Claimed, checked and logged, then the process died before the SMTP call.
    assert len(await dying.sends.claim(10)) == 1
    [row] = _rows(database, found.id)
    logged = row.interaction_id
    assert (row.state, logged is not None) == ("claimed", True)

    scheduler, recovering = worker(database, mail, clock=_later)
    await send_all(scheduler, recovering)

    assert len(smtp.recorder.received) == 1
    [row] = _rows(database, found.id)
    assert (row.state, row.interaction_id) == ("sent", logged)  # logged once, sent once
    assert str(smtp.recorder.received[0]["Message-ID"]) == row.provider_message_id
