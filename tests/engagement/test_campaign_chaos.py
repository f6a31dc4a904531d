"""Chaos: a campaign to a few thousand recipients sent by `switchboard campaigns run`
on PostgreSQL through the twilio library to the Twilio stand-in, the sending process
killed with SIGKILL at random moments three times and started again, while the
stand-in answers 500 and 429 for a while. Afterwards every eligible recipient has been
sent the step exactly once, the holdout nothing, and the ledger accounts for everyone.

The provider first answers 500 to 40 posts and 429 (Retry-After: 1) to 40 more, then
is down (503) for 30 posts, each time with a kill to follow. The stand-in takes each
message and answers 50 ms later, so kills land between
"Twilio took it" and "the ledger recorded it": those rows come back after their lease
(2 s here) `uncertain` and are looked for in Twilio's message list before any resend.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm_store import Database, upgrade
from crm_store.base import utcnow
from crm_store.campaigns import get_campaign
from crm_store.models import CampaignRecipient, CampaignSend
from tests.support.campaigns import OPEN_RULES, campaign, many_shoppers, schedule
from tests.support.server_process import server_env
from tests.support.twilio_standin import TwilioStandIn

RECIPIENTS = 2500
KILLS = 3
ACCOUNT = "AC" + "0123456789abcdef" * 2

pytestmark = pytest.mark.slow


def _run(env: dict[str, str], campaign_id: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "campaigns", "run", str(campaign_id)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _sent(database: Database, campaign_id: int) -> int:
    with database.transaction() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    CampaignSend.campaign_id == campaign_id, CampaignSend.state == "sent"
                )
            )
            or 0
        )


def test_sigkill_three_times_and_provider_errors_never_send_twice_or_skip(
    postgres_url: str, tmp_path: Path
) -> None:
    upgrade(postgres_url)
    database = Database(postgres_url)
    twilio = TwilioStandIn(accept_delay=0.05, retry_after="1").start()
    try:
        phones = many_shoppers(database, RECIPIENTS)
        found = campaign(database, name="Chaos", holdout_share=0.1)
        schedule(database, found, OPEN_RULES, utcnow())
        env = server_env(postgres_url, tmp_path / "var")
        env.update(
            SWITCHBOARD_PUBLIC_BASE_URL="https://support.example.com",
            SWITCHBOARD_TWILIO__ACCOUNT_SID=ACCOUNT,
            SWITCHBOARD_TWILIO__AUTH_TOKEN="chaos-token",
            SWITCHBOARD_TWILIO__FROM_NUMBER="+14155550000",
            SWITCHBOARD_TWILIO__API_BASE_URL=twilio.url,
            SWITCHBOARD_DELIVERY__LEASE_SECONDS="2",
            SWITCHBOARD_DELIVERY__POLL_INTERVAL_SECONDS="0.2",
            SWITCHBOARD_CAMPAIGNS__POLL_INTERVAL_SECONDS="0.5",
            SWITCHBOARD_CAMPAIGNS__SMS_PER_SECOND="1000",
            SWITCHBOARD_CAMPAIGNS__QUIET_HOURS_START="00:00",
            SWITCHBOARD_CAMPAIGNS__QUIET_HOURS_END="00:00",
            SWITCHBOARD_CAMPAIGNS__FREQUENCY_CAP="100",
            SWITCHBOARD_LOG__LEVEL="ERROR",
        )
        log = tmp_path / "run.log"
        rand = random.Random()
        process = _run(env, found.id, log)
        kills = 0
        while kills < KILLS:
            # Kill while it sends: once the ledger moved since this process started.
            before = _sent(database, found.id)
            deadline = time.monotonic() + 60
            while _sent(database, found.id) == before:
                assert process.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, "the sender never got going"
                time.sleep(0.05)
            if kills == 1:
                # The provider misbehaves for a while: 500s, then 429s with Retry-After.
                for _ in range(40):
                    twilio.fail_next(500)
                for _ in range(40):
                    twilio.fail_next(429, 20429, "Too Many Requests")
            if kills == 2:
                # ...and then is down (503 to everything) until 30 posts were refused.
                twilio.down = 503
                poll_until = time.monotonic() + 120
                while sum(1 for p in list(twilio.posts) if p.answered == 503) < 30:
                    assert time.monotonic() < poll_until, "no posts during the outage"
                    time.sleep(0.05)
                twilio.down = None
            time.sleep(rand.uniform(0.05, 1.0))
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
            process = _run(env, found.id, log)
        assert process.wait(timeout=600) == 0, log.read_text()[-3000:]

        with database.transaction() as session:
            held = set(
                session.scalars(
                    select(CampaignRecipient.customer_id).where(
                        CampaignRecipient.campaign_id == found.id, CampaignRecipient.holdout
                    )
                )
            )
            ledger = Counter(
                session.execute(
                    select(CampaignSend.state, CampaignSend.reason).where(
                        CampaignSend.campaign_id == found.id
                    )
                ).all()
            )
            finished = get_campaign(session, found.id)
        received = Counter(post.form["To"] for post in twilio.accepted)
        assert finished is not None and finished.status == "done"
        assert sum(ledger.values()) == RECIPIENTS  # the ledger accounts for everyone
        assert ledger == {
            ("sent", None): RECIPIENTS - len(held),
            ("suppressed", "holdout"): len(held),
        }
        assert set(received.values()) == {1}  # nobody twice
        assert len(received) == RECIPIENTS - len(held)  # nobody eligible skipped
        assert set(received) <= set(phones)
        assert any(post.answered == 500 for post in twilio.posts)
        assert any(post.answered == 503 for post in twilio.posts)
        assert any(post.answered == 429 for post in twilio.posts)
        print(
            f"chaos: {RECIPIENTS} recipients, {len(held)} held out, {KILLS} SIGKILLs, "
            f"{sum(1 for p in twilio.posts if p.answered != 201)} provider errors, "
            f"{len(twilio.lists)} message-list lookups, {len(twilio.accepted)} accepted"
        )
    finally:
        twilio.stop()
        database.dispose()
