"""Four months of support for the demo's support report: conversations on the web,
SMS and email that the bot answered and resolved, some reopened, some handed to the
demo agents (claimed, answered, resolved in their hours), surveys asked after each
resolution and answered by about half, and questions the help centre has no article
for. Written with their events (`demo.support_stories`), drawn from a random source of
its own, so the rest of the seed draws the same as before."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.business_hours import BusinessHours, other_days
from crm_store.models import Customer, Identity
from crm_store.records import StaffRecord
from demo.support_stories import Cycle, Rating, Said, Story, write_story

SEED = 20261129
CONVERSATIONS = 420
DAYS = 120
# The demo shop's support hours, as its help centre says and `make run` serves them
# (SUPPORT__*, the Makefile's DEMO_HOURS; tests/demo/test_demo_hours.py keeps the two
# equal): the demo agents claim handoffs within them, so the dashboard's business-hours
# figures read as a team at work. In UTC's 9-17 they read 0 s, the replies falling
# before New York opened.
SHOP_ZONE = ZoneInfo("America/New_York")
OPENS, CLOSES = time(8), time(20)  # Monday to Friday
SATURDAY = "sat 09:00-17:00"  # SUPPORT__OTHER_DAYS
SHOP_HOURS = BusinessHours(SHOP_ZONE.key, OPENS, CLOSES, other_days=other_days(SATURDAY))

ANSWERED = (
    ("how long do refunds take?", "Refunds reach your card within 5 business days."),
    ("how do I reset my password?", "Use 'Forgot password' on the sign-in page."),
    ("what are your shipping costs?", "Shipping is free over $50, $4.95 below."),
    ("can I return a jacket I wore once?", "Unworn items can be returned within 30 days."),
    ("where is my order?", "Your order shipped with UPS; here is the tracking link."),
    ("how do I change my email?", "Open Account settings and choose Email."),
)
UNANSWERED = (
    # questions the demo help centre does not answer (it does answer shipping to Canada)
    (
        "what temperature is your sleeping bag rated to?",
        "sleeping bag temperature rating?",
        "how warm is the 3 season sleeping bag",
    ),
    ("can I pay with bitcoin?", "do you take crypto payments?", "pay with bitcoin"),
    ("is there a student discount?", "student discount available?", "discount for students"),
    ("do you offer gift wrapping?", "can you gift wrap my order?", "gift wrapping option"),
    ("can I rent a tent for a weekend?", "do you rent tents?", "tent rental"),
    ("what is the capital of Peru?",),
)
# The common topics (knowledge/common_questions.yaml) the demo help centre does not
# cover, by the first wording of their group above: the bot told those customers so.
NOT_COVERED = {
    "is there a student discount?": "group discounts",
    "do you offer gift wrapping?": "gift wrapping",
    "can I rent a tent for a weekend?": "rentals",
}
AGENT_LINES = (
    "Hi, I've looked into this for you.",
    "Thanks for waiting. I've sorted it on our side.",
    "I've passed this to our warehouse; you'll get an update today.",
    "Done: anything else I can help with?",
)
# What customers add to a rating, by the rating (each of the same length, so the seed's
# random draws, and with them the rest of the demo, stay as they were).
COMMENTS = {
    "low": ("took too long", "still waiting for a real answer", "not helpful", "slow", None, None),
    "middle": ("ok in the end", "took a while", "fine", "thanks", None, None),
    "high": ("quick and helpful", "thanks!", "great service", "sorted in minutes", None, None),
}


def seed_support_history(
    session: Session, now: datetime, staff: Sequence[StaffRecord], skip_emails: set[str]
) -> dict[str, int]:
    """Write the demo's support history; returns what it wrote, counted."""
    rng = random.Random(SEED)
    agents = [member.id for member in staff if member.role == "agent"]
    identities = session.execute(
        select(Identity.customer_id, Identity.id, Identity.channel)
        .join(Customer, Customer.id == Identity.customer_id)
        .where(Identity.channel.in_(("web", "sms", "email")), Customer.pending.is_(False))
        .where(Customer.email.is_(None) | Customer.email.not_in(skip_emails))
        .order_by(Identity.id)
    ).all()
    counts = {"support conversations": 0, "surveys answered": 0}
    open_identities: set[int] = set()
    for _ in range(CONVERSATIONS):
        customer_id, identity_id, channel = rng.choice(identities)
        start = _office_biased(rng, now - timedelta(days=rng.uniform(0.2, DAYS)))
        story = _story(rng, start, now, agents)
        if story[-1].resolved_at is None:
            if identity_id in open_identities:
                continue
            open_identities.add(identity_id)
        write_story(session, Story(customer_id, identity_id, channel, story))
        counts["support conversations"] += 1
        counts["surveys answered"] += sum(
            1 for cycle in story if cycle.rating is not None and cycle.rating.score is not None
        )
    return counts


def _office_biased(rng: random.Random, when: datetime) -> datetime:
    """Most people write in the day: move two in three starts into 08:00-20:00."""
    if rng.random() < 2 / 3:
        return when.replace(hour=rng.randint(8, 19), minute=rng.randint(0, 59))
    return when


def _next_opening(when: datetime) -> datetime:
    """`when` if the shop is open then, else its next opening (in `when`'s zone)."""
    if SHOP_HOURS.is_open(when):
        return when
    return SHOP_HOURS.next_opening(when).astimezone(when.tzinfo)


def _rating(rng: random.Random, at: datetime, by_agent: bool, now: datetime) -> Rating | None:
    if at > now:
        return None
    if rng.random() > 0.45:
        return Rating(at)
    weights = (5, 6, 12, 30, 47) if by_agent else (8, 8, 14, 30, 40)
    score = rng.choices((1, 2, 3, 4, 5), weights)[0]
    answered = at + timedelta(minutes=rng.uniform(1, 240))
    mood = "low" if score <= 2 else "middle" if score == 3 else "high"
    return Rating(at, score, min(answered, now), rng.choice(COMMENTS[mood]))


def _story(rng: random.Random, start: datetime, now: datetime, agents: list[int]) -> list[Cycle]:
    cycles = [_cycle(rng, start, now, agents)]
    first = cycles[0]
    if first.resolved_at is not None and first.handoff_at is None and rng.random() < 0.12:
        back = first.resolved_at + timedelta(days=rng.uniform(0.1, 10))
        if back < now:
            cycles.append(_cycle(rng, back, now, agents, unanswerable=True))
    return cycles


def _cycle(
    rng: random.Random,
    start: datetime,
    now: datetime,
    agents: list[int],
    *,
    unanswerable: bool = False,
) -> Cycle:
    roll = rng.random()
    if not unanswerable and roll < 0.6:  # the bot answers; the customer leaves
        question, answer = rng.choice(ANSWERED)
        said = [Said(start, "customer", question), Said(_s(start, 3), "bot", answer, "answer")]
        resolved = _s(start, 3) + timedelta(minutes=60)
        if resolved > now:
            return Cycle(said)
        return Cycle(said, resolved_at=resolved, rating=_rating(rng, resolved, False, now))
    group = rng.choice(UNANSWERED)
    wording = rng.choice(group)
    gap = NOT_COVERED.get(group[0])
    reply = "Our help centre doesn't cover that." if gap else "I don't have a good answer to that."
    said = [
        Said(start, "customer", wording),
        Said(_s(start, 3), "bot", reply, "fallback", gap=gap),
    ]
    if roll > 0.93:  # the customer gives up
        return Cycle(said)
    asked = _s(start, rng.uniform(20, 120))
    said += [
        Said(asked, "customer", "can I talk to a person?"),
        Said(_s(asked, 2), "bot", "A person from our team will reply here.", "handover"),
    ]
    handoff = _s(asked, 2)
    reason = rng.choices(("customer_asked", "not_understood", "complaint"), (6, 3, 1))[0]
    claimed = _next_opening(handoff) + timedelta(minutes=rng.uniform(1, 45))
    if claimed > now:
        return Cycle(said, handoff_at=handoff, handoff_reason=reason)
    agent = rng.choice(agents)
    reply = claimed + timedelta(minutes=rng.uniform(0.5, 8))
    said.append(Said(reply, "agent", rng.choice(AGENT_LINES), staff_id=agent))
    for _ in range(rng.randint(0, 2)):
        asked = reply + timedelta(minutes=rng.uniform(1, 15))
        reply = asked + timedelta(minutes=rng.uniform(1, 20))
        said += [
            Said(asked, "customer", "ok, and what happens next?"),
            Said(reply, "agent", rng.choice(AGENT_LINES), staff_id=agent),
        ]
    resolved = reply + timedelta(minutes=rng.uniform(5, 90))
    if resolved > now:
        return Cycle(
            said, handoff_at=handoff, handoff_reason=reason, claimed_at=claimed, agent_id=agent
        )
    return Cycle(
        said,
        handoff_at=handoff,
        handoff_reason=reason,
        claimed_at=claimed,
        agent_id=agent,
        resolved_at=resolved,
        resolved_by="agent",
        rating=_rating(rng, resolved, True, now),
    )


def _s(when: datetime, seconds: float) -> datetime:
    return when + timedelta(seconds=seconds)
