"""What a journey (a triggered sequence) may say, validated in one place like campaigns.

A journey is a trigger and steps. The trigger is one of: an event from the event log
(`event: order.delivered`), entering its segment (`entered_segment: true`), or a date
on the customer (`date: renewal_date, days_before: 7`: the date lives in the customer's
`attributes` as an ISO date, where imports and the API put custom fields). Its
`segment` is who may enter (for `entered_segment`, the segment entered; one who left
it and comes back enters again once their last entry is `again_after_days` old, 30 by
default).

Steps run in order: `send` (a channel and its body), `wait` (a duration), `branch`
(when the customer matches a segment filter, go to a later step, or `stop`). Branches
only jump forward, so every enrolment ends. The journey stops for a customer who
replies or converts (an order) after entering, unless `stop_when` says otherwise.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from crm_store.event_log import CUSTOMER_EVENTS
from engagement.definitions import Purpose
from engagement.errors import InvalidCampaign, InvalidFilter
from engagement.filters import validate_filter
from engagement.templates import BODY_LIMIT, SUBJECT_LIMIT, Renderer

__all__ = ["Branch", "JourneyDefinition", "JourneyStep", "Trigger", "Wait"]

Name = Annotated[str, Field(min_length=1, max_length=200)]
StepName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,29}$")]
STOP = "stop"


class Trigger(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str | None = None
    entered_segment: bool = False
    date: Annotated[str | None, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,59}$")] = None
    days_before: Annotated[int, Field(ge=0, le=365)] = 0
    # entered_segment: a customer who left and came back enters again once their last
    # entry is this old (engagement/journey_triggers.py says why)
    again_after_days: Annotated[int | None, Field(ge=1, le=3650)] = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Trigger:
        given = [self.event is not None, self.entered_segment, self.date is not None]
        if sum(given) != 1:
            raise ValueError("a trigger is one of event, entered_segment: true, or date")
        if self.event is not None and self.event not in CUSTOMER_EVENTS:
            raise ValueError(f"event must be one of {', '.join(CUSTOMER_EVENTS)}")
        if self.days_before and self.date is None:
            raise ValueError("days_before goes with a date trigger")
        if self.again_after_days is not None and not self.entered_segment:
            raise ValueError("again_after_days goes with an entered_segment trigger")
        return self


class Wait(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: Annotated[int, Field(ge=0, le=365)] = 0
    hours: Annotated[int, Field(ge=0, le=1000)] = 0
    minutes: Annotated[int, Field(ge=0, le=100000)] = 0

    @property
    def duration(self) -> timedelta:
        return timedelta(days=self.days, hours=self.hours, minutes=self.minutes)


class Branch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    when: dict[str, Any]  # a segment filter, evaluated for this customer
    then: StepName  # a later step, or "stop"

    @field_validator("when")
    @classmethod
    def _valid_filter(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            validate_filter(value, where="branch.when")
        except InvalidFilter as exc:
            raise ValueError(str(exc)) from None
        return value


class JourneyStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: StepName
    send: Literal["sms", "email", "web"] | None = None
    body: Annotated[str | None, Field(min_length=1, max_length=BODY_LIMIT)] = None
    subject: Annotated[str | None, Field(min_length=1, max_length=SUBJECT_LIMIT)] = None
    wait: Wait | None = None
    branch: Branch | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> JourneyStep:
        if sum(x is not None for x in (self.send, self.wait, self.branch)) != 1:
            raise ValueError(f"step {self.name}: one of send, wait or branch")
        if self.send is not None and self.body is None:
            raise ValueError(f"step {self.name}: a send needs a body")
        if self.send is None and (self.body or self.subject):
            raise ValueError(f"step {self.name}: body and subject go with a send")
        if self.send == "email" and self.subject is None:
            raise ValueError(f"step {self.name}: an email needs a subject")
        if self.send in ("sms", "web") and self.subject is not None:
            raise ValueError(f"step {self.name}: {self.send} has no subject")
        return self


class JourneyDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    segment: Name  # who may enter; for `entered_segment`, the segment entered
    purpose: Purpose = "marketing"
    trigger: Trigger
    steps: Annotated[list[JourneyStep], Field(min_length=1, max_length=50)]
    stop_when: list[Literal["replied", "converted"]] = ["replied", "converted"]
    holdout_share: Annotated[float, Field(ge=0.0, le=0.5)] = 0.0
    conversion_days: Annotated[int, Field(ge=1, le=365)] = 14
    scheduled_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _steps_hold_together(self) -> JourneyDefinition:
        names = [step.name for step in self.steps]
        if len(set(names)) != len(names):
            raise ValueError("step names must be unique")
        if STOP in names:
            raise ValueError(f"{STOP!r} is not a step name (a branch's then: stop ends)")
        if not any(step.send for step in self.steps):
            raise ValueError("a journey needs at least one send step")
        for index, step in enumerate(self.steps):
            branch = step.branch
            if branch and branch.then != STOP and branch.then not in names[index + 1 :]:
                raise ValueError(
                    f"step {step.name}: then must name a later step or stop "
                    "(branches jump forward, so every enrolment ends)"
                )
        try:
            Renderer(self.content()).check_fields()
        except InvalidCampaign as exc:
            raise ValueError(exc.reason) from None
        return self

    def content(self) -> dict[str, dict[str, str]]:
        """The send steps' templates under their step names (what `Renderer` reads)."""
        found: dict[str, dict[str, str]] = {}
        for step in self.steps:
            if step.send is not None and step.body is not None:
                found[step.name] = {"body": step.body}
                if step.subject is not None:
                    found[step.name]["subject"] = step.subject
        return found

    def stored_values(self) -> dict[str, Any]:
        return {
            "kind": "journey",
            "purpose": self.purpose,
            "content": self.content(),
            "journey": {
                "trigger": self.trigger.model_dump(exclude_defaults=True),
                "steps": [
                    step.model_dump(exclude_none=True, exclude={"body", "subject"})
                    for step in self.steps
                ],
                "stop_when": list(self.stop_when),
            },
            "holdout_share": self.holdout_share,
            "conversion_days": self.conversion_days,
            "scheduled_at": self.scheduled_at,
            "send_deadline": None,
        }
