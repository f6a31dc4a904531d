"""Whether people are answering now, for the widget's status line.

The bot answers at any hour; people only in business hours. The widget shows which, and
outside hours when people are back. The channel knows nothing of business hours: the
app passes a callable that returns an `Availability` for the moment it is called.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field


class Availability(BaseModel):
    people_available: bool = Field(description="whether a person answers now")
    people_back: str | None = Field(
        default=None,
        description='outside hours: when people answer again, e.g. "Mon 09:00" (their zone)',
    )
    timezone: str | None = Field(default=None, description="the zone of `people_back`")


AvailabilityNow = Callable[[], Availability]


def always_available() -> Availability:
    """The default when the app tells no hours: people are taken to be in."""
    return Availability(people_available=True)
