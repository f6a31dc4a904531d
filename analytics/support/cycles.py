"""Care cycles: a conversation from its opening (or reopening) to its resolution, read
from `care_cycles` (one row per cycle, kept up to date from the event log by
crm_store/care_cycles.py) by the index on its start, so a report costs the cycles of
its range, not every event of it.

The report counts what happened up to `ReportPeriod.followed_until` (30 days after the
range) and no later, as it did when it grouped the events themselves: each row keeps
the first time of each kind of event, and "the bot took part" is "its first reply came
before then". The counts are summed in SQL (`cycle_counts`, for the conversations
section); the spans (start to first person reply, to resolution) come back as integer
microseconds for the quantiles and business hours (`cycle_spans`, for the response
times section; analytics/support/durations.py). A cycle the bot resolved ends, for its
resolution time, at the bot's last reply before the resolution (`_answered`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select
from sqlalchemy.orm import Session

from analytics.support.period import (
    ReportPeriod,
    as_day,
    epoch_micros,
    micro_arrays,
    utc_day,
)
from crm_store.models import CareCycle as C

__all__ = ["REOPEN_WINDOW", "CycleCounts", "CycleSpans", "cycle_counts", "cycle_spans"]

# A resolution followed by a reopening within this long did not resolve anything.
REOPEN_WINDOW = timedelta(days=7)
_WINDOW_MICROS = REOPEN_WINDOW // timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class CycleCounts:
    """The care cycles started in a period, counted."""

    by_channel: list[tuple[str, int]]  # most cycles first
    with_bot: int  # the bot took part (sent at least one reply)
    resolved_by_bot: int  # ... and resolved it alone, and it held
    handed_off: int  # ... and handed it to a person
    opened_by_day: dict[date, int]  # cycles started, per UTC day with any


@dataclass(frozen=True, slots=True)
class CycleSpans:
    """The spans of the care cycles started in a period, in microseconds since 1970."""

    first_response: tuple[np.ndarray, np.ndarray]  # (starts, first person replies)
    # (starts, ends) of the resolutions that held, by who resolved (`_answered`)
    resolved_by_bot: tuple[np.ndarray, np.ndarray]  # ends: the bot's last answer
    resolved_by_person: tuple[np.ndarray, np.ndarray]  # ends: the resolution


def _by(column: ColumnElement[object], until: object) -> ColumnElement[bool]:
    """It happened before `until` (never SQL's unknown: a null time is false)."""
    return and_(column.is_not(None), column < until)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _held(session: Session, until: object) -> ColumnElement[bool]:
    """Resolved before `until` and not reopened within `REOPEN_WINDOW` of it."""
    reopened_soon = and_(
        _by(C.reopened_at, until),
        epoch_micros(session, C.reopened_at) - epoch_micros(session, C.resolved_at)
        <= _WINDOW_MICROS,
    )
    return and_(_by(C.resolved_at, until), not_(reopened_soon))


def _answered(session: Session) -> ColumnElement[int]:
    """When a cycle the bot resolved had its answer, in microseconds: the bot's last
    reply in the cycle before the resolution (`care_cycles.last_bot_reply_at`; the
    resolution itself when there is none).

    Decided: the bot resolves a conversation only once the customer has left its answer
    alone for `SUPPORT__BOT_RESOLVES_AFTER_MINUTES` (bot/conversation/bot_resolution.py),
    so its resolution event always comes that timer after the answer; measured to the
    event, every bot-resolved cycle took at least the timer (60 min by default) and the
    median read as an hour's wait for answers given in seconds. What a support lead
    reads into "time to resolution" is how long the customer waited for what settled
    it, so the bot's cycles end at its last reply before the resolution (the answer the
    customer then left alone: the bot resolves only when its answer is the last
    message). A person's resolution is their Resolve, which is when they decided the
    matter settled, so their cycles keep the resolution's time. The reply is kept on
    the cycle's row (migration 0027): read from the event log per cycle, it tripled the
    response-times section's time (bench/support_reports.py)."""
    answered = and_(C.last_bot_reply_at.is_not(None), C.last_bot_reply_at < C.resolved_at)
    return epoch_micros(session, case((answered, C.last_bot_reply_at), else_=C.resolved_at))


def cycle_counts(session: Session, period: ReportPeriod) -> CycleCounts:
    """Every care cycle that started in the period (on its channel), counted in one
    query grouped by channel and UTC day of its start (the day's openings are the
    conversations section's series too)."""
    until = period.followed_until
    bot = _by(C.first_bot_reply_at, until)
    handed = _by(C.first_handoff_at, until)
    person = or_(handed, _by(C.first_person_reply_at, until))
    held_by_bot = and_(bot, _held(session, until), C.resolved_by_bot, not_(person))
    day = utc_day(session, C.started_at)
    counted = session.execute(
        select(
            C.channel,
            day,
            func.count(),
            _count(bot),
            _count(held_by_bot),
            _count(and_(bot, handed)),
        )
        .where(*period.within(C.started_at, C.channel))
        .group_by(C.channel, day)
    ).all()
    channels: Counter[str] = Counter()
    days: Counter[date] = Counter()
    for channel, when, n, *_ in counted:
        channels[channel] += int(n)
        days[as_day(when)] += int(n)
    return CycleCounts(
        by_channel=sorted(channels.items(), key=lambda item: (-item[1], item[0])),
        with_bot=sum(int(row[3]) for row in counted),
        resolved_by_bot=sum(int(row[4]) for row in counted),
        handed_off=sum(int(row[5]) for row in counted),
        opened_by_day=dict(days),
    )


def cycle_spans(session: Session, period: ReportPeriod) -> CycleSpans:
    """The (start, end) pairs of the cycles started in the period that a person replied
    in, and of those whose resolution held, by who resolved, in one query.

    Held: resolved by the followed-until rule and not reopened within `REOPEN_WINDOW`
    (the bot resolution's rule). A customer back within 7 days did not have their
    matter resolved; timing that cycle to the bot's answer would count an answer that
    did not help as a resolution in seconds."""
    until = period.followed_until
    replied = _by(C.first_person_reply_at, until)
    held = _held(session, until)
    by_bot = and_(held, C.resolved_by_bot)
    by_person = and_(held, not_(C.resolved_by_bot))
    started = epoch_micros(session, C.started_at)
    arrays = micro_arrays(
        session,
        [
            (started, replied),
            (epoch_micros(session, C.first_person_reply_at), replied),
            (started, by_bot),
            (_answered(session), by_bot),
            (started, by_person),
            (epoch_micros(session, C.resolved_at), by_person),
        ],
        period.within(C.started_at, C.channel),
    )
    first_starts, first_replies, bot_starts, answers, person_starts, resolutions = arrays
    return CycleSpans(
        first_response=(first_starts, first_replies),
        resolved_by_bot=(bot_starts, answers),
        resolved_by_person=(person_starts, resolutions),
    )
