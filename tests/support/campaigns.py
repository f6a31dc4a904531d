"""Customers, segments and campaigns for the campaign tests, and a sender run to the end.

`shoppers` writes customers with a phone and/or email identity, marketing consent as
asked, and orders; `campaign` saves a segment and a draft campaign through the same
actions the API uses; `send_all` runs the scheduler and the send worker with the
channel senders given until nothing is due (or the deadline of the test's clock)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.delivery.campaign_queue import CampaignSendQueue, CampaignSendWorker
from bot.delivery.campaign_scheduler import CampaignScheduler
from bot.delivery.queue import RetryPolicy
from channels.messages import Channel
from channels.ports import ChannelSender
from crm_store import Database, consents
from crm_store.base import utcnow
from crm_store.campaign_sends import ClaimedSend
from crm_store.campaigns import CampaignRecord
from crm_store.models import Customer, Identity, Order
from engagement.campaign_actions import create_campaign, save_segment, schedule_campaign
from engagement.definitions import CampaignDefinition, SegmentDefinition
from engagement.rules import EngagementRules
from engagement.time_zones import QuietHours

LEASE_SECONDS = 30  # the test workers' claim lease

# Rules with no quiet hours and no cap: tests about one rule turn on only that rule.
OPEN_RULES = EngagementRules(
    quiet_hours=QuietHours(starts=datetime.min.time(), ends=datetime.min.time()), frequency_cap=None
)


@dataclass(frozen=True)
class Shopper:
    name: str | None = "Ada Lovelace"
    phone: str | None = None
    email: str | None = None
    orders: int = 0
    last_order_days_ago: int = 10
    consent: bool = True  # marketing granted on each address
    attributes: dict[str, Any] | None = None


def shoppers(
    database: Database, people: Iterable[Shopper], *, now: datetime | None = None
) -> list[int]:
    now = now or utcnow()
    ids = []
    with database.transaction() as session:
        for n, person in enumerate(people):
            customer = Customer(
                name=person.name,
                phone=person.phone,
                email=person.email,
                lifecycle_stage="customer" if person.orders else "visitor",
                attributes=dict(person.attributes or {}),
            )
            session.add(customer)
            session.flush()
            for channel, address in (("sms", person.phone), ("email", person.email)):
                if address is None:
                    continue
                session.add(
                    Identity(
                        customer_id=customer.id, channel=channel, address=address, verified=True
                    )
                )
                session.flush()
                if person.consent:
                    consents.record_consent(
                        session,
                        channel=channel,
                        address=address,
                        decision=consents.GRANTED,
                        means="import",
                        source="test",
                        purposes=(consents.MARKETING,),
                        customer_id=customer.id,
                    )
            for k in range(person.orders):
                days = person.last_order_days_ago + 30 * (person.orders - 1 - k)
                session.add(
                    Order(
                        number=f"T{customer.id}-{k}-{n}",
                        customer_id=customer.id,
                        total_cents=2500,
                        placed_at=now - timedelta(days=days),
                    )
                )
            ids.append(customer.id)
    return ids


def _audience(session: Session, name: str, filter: dict[str, Any] | None) -> None:
    """The segment `<name> audience` (everyone unless `filter` says otherwise)."""
    save_segment(session, SegmentDefinition(name=f"{name} audience", filter=filter or {"all": []}))


def campaign(
    database: Database,
    *,
    name: str = "Come back",
    filter: dict[str, Any] | None = None,
    content: dict[str, Any] | None = None,
    **values: Any,
) -> CampaignRecord:
    with database.transaction() as session:
        _audience(session, name, filter)
        return create_campaign(
            session,
            CampaignDefinition(
                name=name,
                segment=f"{name} audience",
                content=content
                or {"sms": {"body": "Hi {{ first_name | default('there') }}, we miss you"}},
                **values,
            ),
            source="test",
        )


def schedule(
    database: Database, found: CampaignRecord, rules: EngagementRules, now: datetime, **kw: Any
) -> CampaignRecord:
    with database.transaction() as session:
        return schedule_campaign(session, found, rules, now=now, **kw)


def worker(
    database: Database,
    senders: Mapping[Channel, ChannelSender],
    rules: EngagementRules = OPEN_RULES,
    *,
    clock: Callable[[], datetime] = utcnow,
    per_second: float = 10_000.0,
    unsubscribe_url: Callable[[str, int], str] | None = None,
    after_accept: Callable[[ClaimedSend], None] | None = None,
) -> tuple[CampaignScheduler, CampaignSendWorker]:
    queue = CampaignSendQueue(
        database,
        senders,
        rules,
        per_second={"sms": per_second, "email": per_second},
        unsubscribe_url=unsubscribe_url,
        clock=clock,
        lease_seconds=LEASE_SECONDS,
        after_accept=after_accept,
    )
    sender = CampaignSendWorker(
        queue,
        policy=RetryPolicy(
            max_attempts=None, base_delay_seconds=0.001, max_delay_seconds=0.01, jitter=0
        ),
        clock=clock,
        poll_interval_seconds=0.01,
    )
    scheduler = CampaignScheduler(database, holdout_salt=rules.holdout_salt, clock=clock)
    return scheduler, sender


async def send_all(
    scheduler: CampaignScheduler, sender: CampaignSendWorker, passes: int = 200
) -> None:
    """Start what is due, send until nothing is due (passes pipelined as the running
    sender works them), then finish what is done."""
    scheduler.tick()
    for _ in range(passes):
        if not await sender.work_backlog():
            break
    scheduler.tick()


def many_shoppers(database: Database, count: int, *, first_phone: int = 2_000_000) -> list[str]:
    """`count` customers with a US phone identity and marketing SMS consent, written in
    bulk (executemany); returns their numbers. For the chaos test and the benchmark."""
    from sqlalchemy import insert, select

    from crm_store.models import ConsentEntry

    now = utcnow()
    phones = [f"+1415{first_phone + n:07d}" for n in range(count)]
    with database.transaction() as session:
        for start in range(0, count, 5000):
            chunk = phones[start : start + 5000]
            session.execute(
                insert(Customer.__table__),
                [
                    {
                        "name": f"Customer {p[-7:]}",
                        "phone": p,
                        "lifecycle_stage": "customer",
                        "pending": False,
                        "attributes": {},
                        "created_at": now,
                        "updated_at": now,
                    }
                    for p in chunk
                ],
            )
            ids: dict[str, int] = {
                phone: customer_id
                for phone, customer_id in session.execute(
                    select(Customer.phone, Customer.id).where(Customer.phone.in_(chunk))
                )
            }
            session.execute(
                insert(Identity.__table__),
                [
                    {
                        "customer_id": ids[p],
                        "channel": "sms",
                        "address": p,
                        "verified": True,
                        "created_at": now,
                    }
                    for p in chunk
                ],
            )
            session.execute(
                insert(ConsentEntry.__table__),
                [
                    {
                        "customer_id": ids[p],
                        "channel": "sms",
                        "address": p,
                        "purpose": "marketing",
                        "decision": "granted",
                        "means": "import",
                        "source": "seed",
                        "recorded_at": now,
                    }
                    for p in chunk
                ],
            )
    return phones


def journey(
    database: Database,
    *,
    name: str = "After delivery",
    filter: dict[str, Any] | None = None,
    **values: Any,
) -> CampaignRecord:
    """A segment and a draft journey (`values` in the shape of JourneyDefinition)."""
    from engagement.journey_definitions import JourneyDefinition

    with database.transaction() as session:
        _audience(session, name, filter)
        return create_campaign(
            session,
            JourneyDefinition(name=name, segment=f"{name} audience", **values),
            source="test",
        )
