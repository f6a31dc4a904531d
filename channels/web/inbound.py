"""Widget payloads -> `InboundMessage`."""

from __future__ import annotations

from channels.messages import Channel, ContactProfile, InboundMessage
from channels.web.sessions import WebSession


class MessageTooLong(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"text is longer than {limit} characters")
        self.limit = limit


def to_inbound(
    session: WebSession, client_message_id: str, text: str, *, max_text_length: int
) -> InboundMessage:
    """Build the inbound message for one widget send.

    The provider id joins session and client id, so two visitors whose widgets both
    number their messages from 1 never collide, and a resend of the same id is a retry.
    """
    if len(text) > max_text_length:
        raise MessageTooLong(max_text_length)
    return InboundMessage(
        channel=Channel.WEB,
        address=session.session_id,
        provider_message_id=f"{session.session_id}:{client_message_id}",
        text=text,
        profile=ContactProfile(
            name=session.name,
            email=session.verified_email or session.email,
            verified=session.verified_email is not None,
        ),
        attributes={"client_message_id": client_message_id},
    )
