"""Past support conversations written with their times: the rows the live code would
have written (conversation, messages, handoff, survey) and the same events in the event
log, with the same keys. The demo seed uses it to give the support report months of
history; the report tests use it to build cycles whose figures are known.

A `Story` is one conversation: its care cycles in order, each a list of timed messages
and what happened to it (handed off, claimed, resolved by whom, rated)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.conversation.route import gap_candidates
from crm_store.event_log import NOT_COVERED_RULE, record_event
from crm_store.models import Conversation, Handoff, Interaction, SatisfactionSurvey
from knowledge.gaps import Gap


@dataclass(frozen=True, slots=True)
class Said:
    at: datetime
    author: str  # customer | bot | agent | system
    text: str
    decision: str | None = None  # a bot reply's routing decision
    staff_id: int | None = None
    # a fallback's common topic the help centre does not cover (knowledge/gaps.py)
    gap: str | None = None


@dataclass(frozen=True, slots=True)
class Rating:
    asked_at: datetime
    score: int | None = None
    answered_at: datetime | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Cycle:
    messages: list[Said]
    handoff_at: datetime | None = None
    handoff_reason: str = "customer_asked"
    claimed_at: datetime | None = None
    agent_id: int | None = None
    resolved_at: datetime | None = None
    resolved_by: str = "bot"  # bot | agent
    rating: Rating | None = None


@dataclass(frozen=True, slots=True)
class Story:
    customer_id: int
    identity_id: int
    channel: str
    cycles: list[Cycle] = field(default_factory=list)


def write_story(session: Session, story: Story) -> int:
    """Write one conversation and its events; returns the conversation's id."""
    first = story.cycles[0].messages[0].at
    last = story.cycles[-1]
    conversation = Conversation(
        customer_id=story.customer_id,
        identity_id=story.identity_id,
        channel=story.channel,
        status="resolved" if last.resolved_at else "open",
        owner=_owner(last),
        assigned_staff_id=last.agent_id if _owner(last) == "agent" else None,
        created_at=first,
        updated_at=max(m.at for m in last.messages),
        resolved_at=last.resolved_at,
        cycle=len(story.cycles),
        last_seq=0,
    )
    session.add(conversation)
    session.flush()
    ids = {
        "conversation_id": conversation.id,
        "customer_id": story.customer_id,
        "channel": story.channel,
    }
    seq = 0
    for number, cycle in enumerate(story.cycles, start=1):
        start = "conversation.opened" if number == 1 else "conversation.reopened"
        key = str(conversation.id) if number == 1 else f"{conversation.id}:{number}"
        record_event(
            session,
            start,
            key=key,
            actor="customer",
            cycle=number,
            occurred_at=cycle.messages[0].at,
            **ids,
        )
        asked: int | None = None
        for said in sorted(cycle.messages, key=lambda m: m.at):
            seq += 1
            asked = _message(session, conversation.id, story, seq, number, said, asked)
        if cycle.handoff_at is not None:
            _handoff(session, conversation.id, story, number, cycle)
        if cycle.resolved_at is not None:
            record_event(
                session,
                "conversation.resolved",
                key=f"{conversation.id}:{number}",
                actor=cycle.resolved_by,
                cycle=number,
                occurred_at=cycle.resolved_at,
                staff_id=cycle.agent_id if cycle.resolved_by == "agent" else None,
                **ids,
            )
        if cycle.rating is not None:
            _rating(session, conversation.id, story, number, cycle)
    conversation.last_seq = seq
    session.flush()
    return conversation.id


def _owner(cycle: Cycle) -> str:
    if cycle.resolved_at is not None or cycle.handoff_at is None:
        return "bot"
    return "agent" if cycle.claimed_at is not None else "queued_for_agent"


def _message(
    session: Session,
    conversation_id: int,
    story: Story,
    seq: int,
    cycle: int,
    said: Said,
    in_reply_to: int | None,
) -> int | None:
    """Write one message and its event; returns the customer's latest message id."""
    inbound = said.author == "customer"
    attributes = {"route": _route(said)} if said.decision else {}
    row = Interaction(
        conversation_id=conversation_id,
        customer_id=story.customer_id,
        seq=seq,
        direction="in" if inbound else "out",
        author=said.author,
        channel=story.channel,
        text=said.text,
        staff_id=said.staff_id,
        attributes=attributes,
        in_reply_to_id=None if inbound or said.author != "bot" else in_reply_to,
        delivery_status=None if inbound else "delivered",
        created_at=said.at,
    )
    session.add(row)
    session.flush()
    data: dict[str, object] = {"interaction_id": row.id}
    if said.decision:
        data["decisions"] = [said.decision]
    if row.in_reply_to_id is not None:
        data["in_reply_to_id"] = row.in_reply_to_id
    record_event(
        session,
        f"message.{row.direction}",
        key=str(row.id),
        actor=said.author,
        conversation_id=conversation_id,
        cycle=cycle,
        customer_id=story.customer_id,
        channel=story.channel,
        staff_id=said.staff_id,
        occurred_at=said.at,
        detail=said.decision,
        data=data,
    )
    return row.id if inbound else in_reply_to


def _handoff(
    session: Session, conversation_id: int, story: Story, number: int, cycle: Cycle
) -> None:
    assert cycle.handoff_at is not None
    closed = cycle.resolved_at if cycle.resolved_by == "agent" else None
    row = Handoff(
        conversation_id=conversation_id,
        customer_id=story.customer_id,
        reason=cycle.handoff_reason,
        status="resolved" if closed else "claimed" if cycle.claimed_at else "queued",
        claimed_by_staff_id=cycle.agent_id if cycle.claimed_at else None,
        created_at=cycle.handoff_at,
        claimed_at=cycle.claimed_at,
        closed_at=closed,
    )
    session.add(row)
    session.flush()
    common = {
        "conversation_id": conversation_id,
        "customer_id": story.customer_id,
        "channel": story.channel,
        "cycle": number,
    }
    record_event(
        session,
        "handoff.opened",
        key=str(row.id),
        actor="bot",
        occurred_at=cycle.handoff_at,
        detail=cycle.handoff_reason,
        data={"handoff_id": row.id, "reason": cycle.handoff_reason, "intent": None},
        **common,
    )
    if cycle.claimed_at is not None:
        record_event(
            session,
            "handoff.claimed",
            key=str(row.id),
            actor="agent",
            staff_id=cycle.agent_id,
            occurred_at=cycle.claimed_at,
            data={"handoff_id": row.id},
            **common,
        )


def _rating(
    session: Session, conversation_id: int, story: Story, number: int, cycle: Cycle
) -> None:
    rating = cycle.rating
    assert rating is not None
    staff_id = cycle.agent_id if cycle.resolved_by == "agent" else None
    survey = SatisfactionSurvey(
        conversation_id=conversation_id,
        cycle=number,
        customer_id=story.customer_id,
        channel=story.channel,
        resolved_by=cycle.resolved_by,
        staff_id=staff_id,
        asked_at=rating.asked_at,
        score=rating.score,
        comment=rating.comment,
        answered_at=rating.answered_at,
    )
    session.add(survey)
    session.flush()
    common = {
        "conversation_id": conversation_id,
        "customer_id": story.customer_id,
        "channel": story.channel,
        "cycle": number,
        "staff_id": staff_id,
    }
    record_event(
        session,
        "survey.asked",
        key=str(survey.id),
        actor="system",
        occurred_at=rating.asked_at,
        data={"survey_id": survey.id, "resolved_by": cycle.resolved_by},
        **common,
    )
    if rating.score is not None:
        record_event(
            session,
            "survey.answered",
            key=str(survey.id),
            actor="customer",
            occurred_at=rating.answered_at or rating.asked_at,
            detail=str(rating.score),
            data={
                "survey_id": survey.id,
                "conversation_id": conversation_id,
                "customer_id": story.customer_id,
                "score": rating.score,
                "resolved_by": cycle.resolved_by,
                "staff_id": staff_id,
            },
            **common,
        )


def _route(said: Said) -> dict[str, Any]:
    """A bot reply's stored route (README "Why the bot said it"), as much as reports read."""
    if said.gap is None:
        return {"decision": said.decision}
    # the candidate as the bot stores it, named by the topic's name
    (gap,) = gap_candidates(Gap(said.gap, 0.7, said.gap))
    return {"decision": said.decision, "rule": NOT_COVERED_RULE, "candidates": [gap.to_json()]}
