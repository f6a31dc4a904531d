"""Each customer's steps as a timeline: which step falls due when, and what the sender
would do with it then. The preview (engagement/preview.py) shows it.

A broadcast's steps all fall due at the planned time. A journey's fall due one after
another from entering at the planned time: a wait moves the clock on (counted from
when the step before it was queued, as the step runner counts it, so a message held
by quiet hours does not push the rest back); a branch is evaluated on the customer
as they are today (the preview cannot know their orders of next week) and jumps or
stops; each send is assessed at the moment it falls due, so quiet hours are those of
that moment in the customer's zone, and the frequency cap counts the sends planned
before it within the window as the sender will count them once sent. What cannot be
foreseen is said, not guessed: a reply or an order that would stop the journey.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from crm_store.campaigns import CampaignRecord
from crm_store.consents import MARKETING
from crm_store.models import Customer
from engagement.errors import InvalidCampaign
from engagement.filters import audience
from engagement.journey_definitions import STOP, Wait
from engagement.rules import REASONS, EngagementRules, assess
from engagement.send_facts import SendFacts
from engagement.templates import Renderer

__all__ = ["PlannedStep", "Timeline"]


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """One send step of one customer: `due` when the journey reaches it, `at` when it
    would go (later when quiet hours hold it), or why it would not."""

    step: str
    channel: str
    decision: str  # send | excluded
    due: datetime
    at: datetime | None = None
    reason: str | None = None
    detail: str = ""
    address: str | None = None
    zone: str | None = None
    text: str | None = None


class Timeline:
    """Plans a chunk of a campaign's audience with the facts read for the chunk."""

    def __init__(self, session: Session, campaign: CampaignRecord, rules: EngagementRules):
        self._session = session
        self._campaign = campaign
        self._rules = rules
        self._renderer = Renderer(campaign.content)
        self._steps: list[dict[str, Any]] = (
            list(campaign.journey["steps"])
            if campaign.journey is not None
            else [{"name": step, "send": channel} for step, channel in campaign.channels.items()]
        )

    def plan(
        self, customers: Sequence[tuple[int, bool]], at: datetime
    ) -> dict[int, list[PlannedStep]]:
        """Each `(customer id, held out)` entering (or sent to) at `at`: their send
        steps in the order they fall due."""
        purpose = self._campaign.purpose
        rules = self._rules
        facts = SendFacts.load(
            self._session,
            {
                (customer_id, channel, purpose)
                for customer_id, held in customers
                if not held
                for channel in self._campaign.channels.values()
            },
            cap_window=rules.frequency_window if rules.frequency_cap is not None else None,
            now=at,
        )
        matching = self._branches([c for c, _ in customers], at)
        return {c: self._walk(c, held, at, facts, matching) for c, held in customers}

    def _branches(self, ids: list[int], now: datetime) -> dict[str, set[int]]:
        """Who of `ids` matches each branch's filter today, one query per branch."""
        dialect = self._session.get_bind().dialect.name
        return {
            step["name"]: set(
                self._session.scalars(
                    audience(step["branch"]["when"], now=now, dialect=dialect).where(
                        Customer.id.in_(ids)
                    )
                )
            )
            for step in self._steps
            if step.get("branch")
        }

    def _walk(
        self,
        customer_id: int,
        held: bool,
        entered: datetime,
        facts: SendFacts,
        matching: dict[str, set[int]],
    ) -> list[PlannedStep]:
        names = [step["name"] for step in self._steps]
        counted = set(facts.counted.get(customer_id, set()))
        planned_sends: list[datetime] = []
        out: list[PlannedStep] = []
        due = entered
        position = 0
        while position < len(self._steps):
            step = self._steps[position]
            if step.get("send"):
                if held:
                    out.append(
                        PlannedStep(
                            step["name"],
                            step["send"],
                            "excluded",
                            due,
                            None,
                            "holdout",
                            REASONS["holdout"],
                        )
                    )
                else:
                    out.append(self._send(customer_id, step, due, facts, counted, planned_sends))
                position += 1
            elif step.get("wait") is not None:
                due = due + Wait.model_validate(step["wait"]).duration
                position += 1
            else:
                branch = step["branch"]
                if customer_id not in matching[step["name"]]:
                    position += 1
                    continue
                end = len(self._steps) if branch["then"] == STOP else names.index(branch["then"])
                detail = f"branch {step['name']} (as the customer is today): " + (
                    "stop" if branch["then"] == STOP else f"go to {branch['then']}"
                )
                out.extend(
                    self._skipped(customer_id, skipped, due, facts, detail)
                    for skipped in self._steps[position + 1 : end]
                    if skipped.get("send")
                )
                position = end
        return out

    def _skipped(
        self,
        customer_id: int,
        step: dict[str, Any],
        due: datetime,
        facts: SendFacts,
        detail: str,
    ) -> PlannedStep:
        """A step the branch skips today; its template is still tried, since the
        customer may take the other way by the time they reach it, and a template
        that fails should fail at the preview, not at the send."""
        fields = facts.fields.get(customer_id)
        if fields is not None:
            try:
                self._renderer.render(step["name"], fields)
            except InvalidCampaign as exc:
                return PlannedStep(
                    step["name"], step["send"], "excluded", due, None, "template", exc.reason
                )
        return PlannedStep(step["name"], step["send"], "excluded", due, None, "branch", detail)

    def _send(
        self,
        customer_id: int,
        step: dict[str, Any],
        due: datetime,
        facts: SendFacts,
        counted: set[int],
        planned_sends: list[datetime],
    ) -> PlannedStep:
        rules = self._rules
        if self._campaign.purpose == MARKETING and rules.frequency_cap is not None:
            # The sends planned before this one count while within the window (as
            # negative ids beside the ledger's rows).
            window = rules.frequency_window
            earlier = {-(n + 1) for n, when in enumerate(planned_sends) if due - when < window}
            facts.counted[customer_id] = counted | earlier
        verdict = assess(
            self._session,
            self._campaign,
            self._renderer,
            send_id=None,
            step=step["name"],
            customer_id=customer_id,
            rules=rules,
            now=due,
            channel=step["send"],
            facts=facts,
        )
        going = verdict.decision in ("send", "wait")
        if going:
            planned_sends.append(verdict.at or due)
        return PlannedStep(
            step["name"],
            step["send"],
            "send" if going else "excluded",
            due,
            verdict.at,
            verdict.reason,
            verdict.detail,
            verdict.address,
            verdict.zone,
            verdict.parts.get("body"),
        )
