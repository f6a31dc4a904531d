"""A one-off SMS campaign to N customers on PostgreSQL, sent through the twilio library
to the Twilio stand-in (tests/support/twilio_standin.py, a real HTTP server):

- sends per second of the campaign sender (claim, rules at the moment of sending, the
  message logged, the Twilio call, the ledger row recorded), next to the reference:
  the stand-in's own capacity, measured in the same run by posting through the same
  twilio client from as many threads as the sender uses, with no store at all;
- peak memory (VmHWM of a fresh process per audience size: 10k and N);
- the scheduler's overhead per recipient: freezing the audience into the ledger, and
  the sender's own work per row measured with a sender that returns at once;
- SQL statements per recipient while sending (each cursor execute; an executemany is
  one statement, and beside it the count with one per row an executemany or a
  many-row INSERT carries).

    PYTHONPATH=. .venv/bin/python -m bench.campaign_send --url URL [--customers N]

(As a module: run as a file, bench/analytics.py would shadow the analytics package.)

`--customers` (default 100,000) is the large size; 10,000 always runs first. Each size
runs in its own database (created and dropped on the server of `--url`) and its own
process, so each peak memory is that size's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import requests
from sqlalchemy import event, func, select, update
from twilio.rest import Client

from bot.delivery.campaign_queue import CampaignSendQueue, CampaignSendWorker
from bot.delivery.campaign_scheduler import CampaignScheduler
from bot.delivery.queue import RetryPolicy
from channels.messages import Channel, OutboundMessage, SendReceipt
from channels.sms.http import TwilioHttp
from channels.sms.outbound import TwilioSender
from crm_store import Database, upgrade
from crm_store.base import utcnow
from crm_store.models import CampaignSend, Customer
from engagement.rules import EngagementRules
from engagement.sends import cancel_campaign
from engagement.time_zones import QuietHours
from tests.support.campaigns import campaign, many_shoppers, schedule
from tests.support.postgres import fresh_database
from tests.support.twilio_standin import TwilioStandIn

ACCOUNT = "AC" + "0123456789abcdef" * 2
RULES = EngagementRules(
    quiet_hours=QuietHours(starts=QuietHours().ends, ends=QuietHours().ends),  # none
    frequency_cap=None,
)
BATCH = 50  # rows a pass claims; lanes run concurrently in the default 40 worker threads
# The reference's posting threads: the twilio client's connection pool holds 10, and
# the stand-in's listen backlog resets bursts of new connections beyond that.
THREADS = 10
OVERHEAD_SAMPLE = 5_000


class InstantSender:
    """Returns at once: what is left of a send's time is the sender's own work. Like
    the Twilio sender it can be asked what it took (`find_sent`), so its rows take the
    SMS path (recorded with the rest of the pass), not the one-at-a-time path of a
    provider that cannot be asked (email: marked `sending`, recorded at once)."""

    channel = Channel.SMS

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, message: OutboundMessage) -> SendReceipt:
        self.sent += 1
        return SendReceipt(provider_message_id=f"instant-{message.outbox_id}")

    async def find_sent(self, message: OutboundMessage, since: datetime) -> list[SendReceipt]:
        return []  # nothing is lost in a run that does not crash


class StatementCount:
    """Statements the sender sends to the database (SQLAlchemy's cursor events)."""

    def __init__(self, database: Database) -> None:
        self.statements = 0
        self.parameter_sets = 0
        event.listen(database.engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements += 1
        if isinstance(parameters, list):  # executemany: one set per row
            self.parameter_sets += len(parameters)
        elif executemany:  # an INSERT of many rows in one statement (insertmanyvalues)
            self.parameter_sets += len(context.compiled_parameters)
        else:
            self.parameter_sets += 1

    def reset(self) -> None:
        self.statements = self.parameter_sets = 0


def peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def send_all(
    database: Database, senders: dict, campaign_id: int, limit: int | None = None
) -> float:
    queue = CampaignSendQueue(database, senders, RULES, per_second={"sms": 1e9})
    worker = CampaignSendWorker(
        queue, policy=RetryPolicy(max_attempts=None, base_delay_seconds=0.05), batch_size=BATCH
    )
    started = time.perf_counter()
    claimed = 0
    while limit is None or claimed < limit:
        got = await worker.work_backlog(None if limit is None else limit - claimed)
        if not got:
            break
        claimed += got
    return time.perf_counter() - started


def one_size(url: str, customers: int, send_limit: int | None) -> dict[str, float]:
    """One audience size in this (fresh) process."""
    upgrade(url)
    database = Database(url)
    twilio = TwilioStandIn().start()
    try:
        many_shoppers(database, customers)
        scheduler = CampaignScheduler(database, holdout_salt=RULES.holdout_salt)
        # The scheduler's overhead: the audience frozen into the ledger.
        found = campaign(database, name="Bench", holdout_share=0.0)
        schedule(database, found, RULES, utcnow())
        started = time.perf_counter()
        scheduler.tick()
        freeze = time.perf_counter() - started
        sender = TwilioSender(
            account_sid=ACCOUNT,
            auth_token="bench",
            from_number="+15005550006",
            messaging_service_sid=None,
            status_callback_url=None,
            api_base_url=twilio.url,
        )
        counted = StatementCount(database)
        sending = asyncio.run(send_all(database, {Channel.SMS: sender}, found.id, send_limit))
        statements, parameter_sets = counted.statements, counted.parameter_sets
        sent = len(twilio.accepted)
        with database.transaction() as session:
            recorded = session.scalar(
                select(func.count()).where(
                    CampaignSend.campaign_id == found.id, CampaignSend.state == "sent"
                )
            )
        assert sent == recorded, (sent, recorded)  # every message taken is on the ledger
        if send_limit is None:
            assert sent == customers, (sent, customers)
        with database.transaction() as session:  # what the limit left unsent goes no further
            cancel_campaign(session, found.id, utcnow())
        # The sender's own work per row, on a sample, with an instant provider.
        sample = min(customers, OVERHEAD_SAMPLE)
        with database.transaction() as session:
            session.execute(
                update(Customer)
                .where(Customer.id <= sample)
                .values(attributes={"tags": ["sample"]})
            )
        second = campaign(
            database,
            name="Overhead",
            filter={"field": "tag", "op": "has", "value": "sample"},
        )
        schedule(database, second, RULES, utcnow())
        scheduler.tick()
        instant = InstantSender()
        own = asyncio.run(send_all(database, {Channel.SMS: instant}, second.id))
        assert instant.sent == sample, (instant.sent, sample)
        # The reference: the stand-in's capacity through the same client, no store.
        twilio.posts.clear()
        client = Client(ACCOUNT, "bench", http_client=TwilioHttp(twilio.url, timeout=15.0))
        reference_n = min(customers, 5_000)

        def post(n: int) -> None:
            for _ in range(5):  # a reset connection (the stand-in's backlog) is tried again
                try:
                    client.messages.create(
                        to=f"+1415{n:07d}", from_="+15005550006", body="reference"
                    )
                    return
                except requests.ConnectionError:
                    time.sleep(0.01)

        started = time.perf_counter()
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(post, range(reference_n)))
        reference = time.perf_counter() - started
        return {
            "customers": customers,
            "freeze_seconds": freeze,
            "send_seconds": sending,
            "sent": sent,
            "sends_per_second": sent / sending,
            "standin_per_second": reference_n / reference,
            "own_seconds": own,
            "own_sample": sample,
            "statements": statements,
            "parameter_sets": parameter_sets,
            "peak_rss_mb": peak_rss_mb(),
        }
    finally:
        twilio.stop()
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("SWITCHBOARD_TEST_POSTGRES_URL"))
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument(
        "--send-limit",
        type=int,
        default=None,
        help="send only this many of the large size's audience (a multiple of 50); the "
        "whole audience is still frozen into the ledger",
    )
    parser.add_argument("--large-only", action="store_true", help="skip the 10k size")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.url:
        raise SystemExit("--url: a PostgreSQL server (each size gets its own database on it)")
    if args.one:
        with fresh_database(args.url) as url:
            print(json.dumps(one_size(url, args.one, args.send_limit)))
        return
    sizes = [args.customers] if args.large_only else sorted({10_000, args.customers})
    for size in sizes:
        limit = (
            [] if size == 10_000 or not args.send_limit else ["--send-limit", str(args.send_limit)]
        )
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.campaign_send",
                "--url",
                args.url,
                "--one",
                str(size),
                *limit,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        if run.returncode != 0:
            raise SystemExit(f"the {size:,} run failed (its traceback is above)")
        r = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"{r['customers']:,} recipients (PostgreSQL, twilio library -> stand-in):")
        print(
            f"  sent {r['sent']:,} of {r['customers']:,}: sends/s {r['sends_per_second']:.0f}; "
            f"reference: the stand-in alone through "
            f"the same client, {THREADS} threads, {r['standin_per_second']:.0f}/s "
            f"(ratio {r['sends_per_second'] / r['standin_per_second']:.2f})"
        )
        print(
            f"  scheduler: freeze {r['freeze_seconds']:.2f} s "
            f"({r['freeze_seconds'] / r['customers'] * 1e6:.0f} us/recipient); sender's own "
            f"work {r['own_seconds'] / r['own_sample'] * 1e3:.2f} ms/recipient "
            f"(instant provider, {r['own_sample']:,} rows)"
        )
        if "statements" in r:
            print(
                f"  SQL statements per recipient while sending "
                f"{r['statements'] / r['sent']:.2f} ({r['parameter_sets'] / r['sent']:.2f} "
                f"counting each row of an executemany or many-row INSERT)"
            )
        print(f"  peak memory (VmHWM of this size's process) {r['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
