"""What staff (the API), the CLI and YAML files may say about segments and campaigns,
validated in one place: a bad filter or template is refused with the reason."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from engagement.errors import InvalidFilter
from engagement.filters import validate_filter
from engagement.templates import BODY_LIMIT, SUBJECT_LIMIT, Renderer

__all__ = [
    "CampaignDefinition",
    "ChannelBody",
    "Content",
    "Purpose",
    "SegmentDefinition",
    "first_problem",
]

Name = Annotated[str, Field(min_length=1, max_length=200)]


def _not_surveys(value: object) -> object:
    """`surveys` is a consent purpose, so a marketer sending a satisfaction survey tries
    it; the reason it is refused says where surveys come from instead."""
    if value == "surveys":
        raise ValueError(
            "surveys are not campaigns: the bot asks for a rating after each resolved "
            "conversation by itself, minding the customer's surveys consent (README "
            '"Resolution and satisfaction"); a campaign is marketing or service'
        )
    return value


Purpose = Annotated[Literal["marketing", "service"], BeforeValidator(_not_surveys)]


class SegmentDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Annotated[str | None, Field(max_length=2000)] = None
    filter: dict[str, Any]

    @field_validator("filter")
    @classmethod
    def _valid_filter(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            validate_filter(value)
        except InvalidFilter as exc:
            raise ValueError(str(exc)) from None
        return value


class ChannelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Annotated[str, Field(min_length=1, max_length=BODY_LIMIT)]
    subject: Annotated[str | None, Field(min_length=1, max_length=SUBJECT_LIMIT)] = None


class Content(BaseModel):
    """Per-channel bodies: each channel given is a step of the campaign."""

    model_config = ConfigDict(extra="forbid")

    sms: ChannelBody | None = None
    email: ChannelBody | None = None
    web: ChannelBody | None = None  # web chat: shown on the next visit, or pushed

    @model_validator(mode="after")
    def _something_to_send(self) -> Content:
        if self.sms is None and self.email is None and self.web is None:
            raise ValueError("content needs an sms, an email or a web body")
        if self.email is not None and self.email.subject is None:
            raise ValueError("content.email needs a subject")
        for name, body in (("sms", self.sms), ("web", self.web)):
            if body is not None and body.subject is not None:
                raise ValueError(f"content.{name} has no subject")
        return self

    def as_stored(self) -> dict[str, dict[str, str]]:
        return self.model_dump(exclude_none=True)


class CampaignDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    segment: Name  # the segment's name
    purpose: Purpose = "marketing"
    content: Content
    holdout_share: Annotated[float, Field(ge=0.0, le=0.5)] = 0.0
    conversion_days: Annotated[int, Field(ge=1, le=365)] = 14
    scheduled_at: AwareDatetime | None = None
    send_deadline: AwareDatetime | None = None

    @model_validator(mode="after")
    def _templates_compile(self) -> CampaignDefinition:
        from engagement.errors import InvalidCampaign

        try:
            Renderer(self.content.as_stored()).check_fields()
        except InvalidCampaign as exc:
            raise ValueError(exc.reason) from None
        if self.scheduled_at and self.send_deadline and self.send_deadline <= self.scheduled_at:
            raise ValueError("send_deadline must be after scheduled_at")
        return self

    def stored_values(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "content": self.content.as_stored(),
            "holdout_share": self.holdout_share,
            "conversion_days": self.conversion_days,
            "scheduled_at": self.scheduled_at,
            "send_deadline": self.send_deadline,
        }


def first_problem(error: ValidationError) -> str:
    """The first thing wrong with a definition, as the API's 422 says it
    (`filter: filter.value: ...`), without pydantic's "Value error, " prefix or its
    links: one line for the CLI and the YAML loader."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
