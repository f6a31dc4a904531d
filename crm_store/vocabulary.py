"""Words the store keeps that other packages write too: say them with these, not as
bare strings. Each is a `StrEnum`, so a member equals (and is stored as) its value."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CLOSED_TICKET_STATUSES", "OPEN_TICKET_STATUSES", "HandoffReason", "TicketStatus"]


class TicketStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer
    SOLVED = "solved"
    CLOSED = "closed"


# A ticket still being worked on, and one that is done with.
OPEN_TICKET_STATUSES = (TicketStatus.OPEN, TicketStatus.PENDING)
CLOSED_TICKET_STATUSES = (TicketStatus.SOLVED, TicketStatus.CLOSED)


class HandoffReason(StrEnum):
    """Why a conversation was handed to a person."""

    CUSTOMER_ASKED = "customer_asked"
    NOT_UNDERSTOOD = "not_understood"  # twice in a row
    # asked about a topic the help centre never mentions (knowledge/gaps.py), then said yes
    NOT_IN_HELP_CENTRE = "not_in_help_centre"
    COMPLAINT = "complaint"
    # Mail held back by the per-sender reply limit (bot/channel_store/email_intake.py):
    # the bot may not answer, so a person does.
    REPLY_LIMIT = "reply_limit"
