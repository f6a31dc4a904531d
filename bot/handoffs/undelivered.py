"""Why a message to the customer never reached them, in words for the agent desk.

The card lists the conversation's last messages; a bot answer the customer never got
(they opted out, the provider refused it, retries ran out) shown as if they had read it
would send the agent on a wrong footing ("as I said above..."). The delivery status is
on the interaction (`crm_store/delivery_status.py`), the provider's reason in its
`delivery_error` attribute when delivery recorded one. A message still waiting to go
(`pending`, `sending`) is not marked: it may yet arrive, and most are on their way when
the card is drawn.
"""

from __future__ import annotations

from crm_store.delivery_status import NOT_DELIVERED
from crm_store.records import InteractionRecord

__all__ = ["undelivered"]

_WHY = {
    "opted_out": "the customer opted out",
    "dead": "retries ran out",
    "canceled": "canceled",
}


def undelivered(message: InteractionRecord) -> str | None:
    """Why an outbound message never reached the customer ("not delivered: <why>"),
    else None (it did, or may yet)."""
    status = message.delivery_status
    if message.direction != "out" or status not in NOT_DELIVERED:
        return None
    why = _WHY.get(status, "the send failed")
    error = message.attributes.get("delivery_error")
    return f"not delivered: {why} ({error})" if error else f"not delivered: {why}"
