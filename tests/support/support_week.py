"""One week of support whose report figures are worked out by hand (in the docstrings
of tests/analytics/test_support_reports.py): three conversations, four care cycles,
two handoffs, three surveys, written with `demo.support_stories`.

Monday 2 March 2026 to Sunday 8 March (UTC); business hours Mon-Fri 09:00-17:00 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.business_hours import BusinessHours
from crm_store import Database
from crm_store.models import Customer, Identity, StaffUser
from demo.support_stories import Cycle, Rating, Said, Story, write_story

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 8)
OFFICE = ("UTC", time(9), time(17), (0, 1, 2, 3, 4))


def office_hours(**changed: Any) -> BusinessHours:
    """The week's business hours (`OFFICE`), with `changed` fields: the support team's
    hours as the server hands them to the reports."""
    timezone, opens, closes, weekdays = OFFICE
    return replace(BusinessHours(timezone, opens, closes, weekdays), **changed)


@dataclass(frozen=True, slots=True)
class SupportWeek:
    sam: int
    kim: int


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


def _customer(session: Session, name: str, channel: str, address: str) -> tuple[int, int]:
    customer = Customer(name=name, attributes={})
    session.add(customer)
    session.flush()
    identity = Identity(customer_id=customer.id, channel=channel, address=address)
    session.add(identity)
    session.flush()
    return customer.id, identity.id


def write_support_week(database: Database) -> SupportWeek:
    with database.transaction() as session:
        sam = StaffUser(
            name="Sam Carter", email="sam@acme.test", role="agent", api_token_hash="a" * 64
        )
        kim = StaffUser(
            name="Kim Ito", email="kim@acme.test", role="agent", api_token_hash="b" * 64
        )
        session.add_all([sam, kim])
        session.flush()
        ann = _customer(session, "Ann", "web", "session-ann")
        ben = _customer(session, "Ben", "sms", "+14155550188")
        cat = _customer(session, "Cat", "web", "session-cat")
        # A: answered by the bot, resolved by it, rated 5.
        write_story(
            session,
            Story(
                *ann,
                "web",
                [
                    Cycle(
                        [
                            Said(at(2, 10), "customer", "how long do refunds take?"),
                            Said(at(2, 10, 0, 5), "bot", "Refunds take 5 days.", "answer"),
                        ],
                        resolved_at=at(2, 11, 5),
                        resolved_by="bot",
                        rating=Rating(at(2, 11, 5), 5, at(2, 11, 10)),
                    )
                ],
            ),
        )
        # B: a fallback, then a person: handed off, claimed and answered by Sam, rated 2.
        write_story(
            session,
            Story(
                *ben,
                "sms",
                [
                    Cycle(
                        [
                            Said(at(2, 12), "customer", "what is the capital of Peru?"),
                            Said(at(2, 12, 0, 5), "bot", "I have no good answer.", "fallback"),
                            Said(at(2, 12, 1), "customer", "talk to a human"),
                            Said(at(2, 12, 1, 5), "bot", "A person will reply.", "handover"),
                            Said(at(2, 12, 20), "agent", "Lima! How can I help?", staff_id=sam.id),
                        ],
                        handoff_at=at(2, 12, 1, 5),
                        handoff_reason="customer_asked",
                        claimed_at=at(2, 12, 10),
                        agent_id=sam.id,
                        resolved_at=at(2, 13),
                        resolved_by="agent",
                        rating=Rating(at(2, 13), 2, at(2, 13, 30), "slow"),
                    )
                ],
            ),
        )
        # C: the bot resolves on Friday, the customer is back on Saturday (a new cycle),
        # the bot falls back, hands off; Kim answers on Monday 9 March, after the week.
        write_story(
            session,
            Story(
                *cat,
                "web",
                [
                    Cycle(
                        [
                            Said(at(6, 16), "customer", "where is my parcel?"),
                            Said(at(6, 16, 0, 5), "bot", "It ships tomorrow.", "answer"),
                        ],
                        resolved_at=at(6, 17),
                        resolved_by="bot",
                        rating=Rating(at(6, 17)),
                    ),
                    Cycle(
                        [
                            Said(at(7, 10), "customer", "Do you ship to Mars?"),
                            Said(at(7, 10, 0, 5), "bot", "I have no good answer.", "fallback"),
                            Said(at(9, 9, 45), "agent", "Not yet!", staff_id=kim.id),
                        ],
                        handoff_at=at(7, 10, 1),
                        handoff_reason="not_understood",
                        claimed_at=at(9, 9, 30),
                        agent_id=kim.id,
                        resolved_at=at(9, 10),
                        resolved_by="agent",
                    ),
                ],
            ),
        )
        return SupportWeek(sam.id, kim.id)


def write_chat_touching_every_figure(database: Database, channel: str, week: SupportWeek) -> None:
    """One more conversation on `channel`, on Wednesday 4 March: an answer, a fallback,
    a handoff Sam answers, his resolution and a rating, so that every figure of the
    report moves if it is counted."""
    with database.transaction() as session:
        who = _customer(session, "Dee", channel, f"{channel}-dee")
        write_story(
            session,
            Story(
                *who,
                channel,
                [
                    Cycle(
                        [
                            Said(at(4, 10), "customer", "How long do refunds take?"),
                            Said(at(4, 10, 0, 5), "bot", "Refunds take 5 days.", "answer"),
                            Said(at(4, 10, 1), "customer", "Can I pay in SEASHELLS?"),
                            Said(at(4, 10, 1, 5), "bot", "I have no good answer.", "fallback"),
                            Said(at(4, 10, 2), "customer", "talk to a human"),
                            Said(at(4, 10, 2, 5), "bot", "A person will reply.", "handover"),
                            Said(at(4, 10, 30), "agent", "We do not, sorry.", staff_id=week.sam),
                        ],
                        handoff_at=at(4, 10, 2, 5),
                        handoff_reason="complaint",
                        claimed_at=at(4, 10, 20),
                        agent_id=week.sam,
                        resolved_at=at(4, 11),
                        resolved_by="agent",
                        rating=Rating(at(4, 11), 4, at(4, 11, 5)),
                    )
                ],
            ),
        )


def write_answered_twice(
    database: Database,
    *,
    resolved_by: str,
    agent_id: int | None = None,
    back_at: datetime | None = None,
) -> None:
    """Eve on the web, Tuesday 3 March from 10:00: the bot answers her, she asks more,
    the bot answers again at 10:02:05; the conversation is resolved at 11:02:05, by the
    bot (its idle timer, an hour after the answer) or by a person (`agent_id`). With
    `back_at` she writes again then (a new care cycle), and the bot falls back."""
    cycles = [
        Cycle(
            [
                Said(at(3, 10), "customer", "how long do refunds take?"),
                Said(at(3, 10, 0, 5), "bot", "Refunds take 5 days.", "answer"),
                Said(at(3, 10, 2), "customer", "and to a gift card?"),
                Said(at(3, 10, 2, 5), "bot", "Gift card refunds are instant.", "answer"),
            ],
            agent_id=agent_id,
            resolved_at=at(3, 11, 2, 5),
            resolved_by=resolved_by,
            rating=Rating(at(3, 11, 2, 5)),
        )
    ]
    if back_at is not None:
        cycles.append(
            Cycle(
                [
                    Said(back_at, "customer", "still waiting for my refund"),
                    Said(back_at + timedelta(seconds=5), "bot", "I have no answer.", "fallback"),
                ]
            )
        )
    with database.transaction() as session:
        write_story(session, Story(*_customer(session, "Eve", "web", "session-eve"), "web", cycles))


def write_questions_not_covered(database: Database, topics: list[str]) -> None:
    """One web chat on Thursday 5 March: a question on each of `topics` (common topics
    the help centre does not cover), each answered with the fallback that names it."""
    with database.transaction() as session:
        who = _customer(session, "Gus", "web", "web-gus")
        said = []
        for n, topic in enumerate(topics):
            said.append(Said(at(5, 10, n), "customer", f"A question about {topic}?"))
            said.append(
                Said(
                    at(5, 10, n, 5),
                    "bot",
                    "Our help centre doesn't cover that.",
                    "fallback",
                    gap=topic,
                )
            )
        write_story(session, Story(*who, "web", [Cycle(said)]))
