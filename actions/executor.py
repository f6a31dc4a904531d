"""All of Switchboard's actions in one rasa-sdk `ActionExecutor`.

The bot runs them in-process through `executor.run(action_call)`, the very entry point
rasa-sdk's HTTP server uses, with the same JSON action call Rasa sends; `switchboard
actions serve` serves the same executor over HTTP (`POST /webhook`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rasa_sdk.executor import ActionExecutor

from actions.consent import ActionOptIn, ActionOptOut
from actions.contact import ActionUpdateContact, ValidateContactForm
from actions.greet import ActionGreet
from actions.handoff import ActionHandoff
from actions.leads import ActionCaptureLead, ValidateLeadForm
from actions.orders import ActionOrderStatus
from actions.summary import ActionAccountSummary
from actions.tickets import ActionOpenTicket, ActionTicketStatus, ValidateOpenTicketForm
from crm_store import Database


def build_executor(
    database: Database,
    *,
    availability: Callable[[datetime], str] | None = None,
    verifiable_channels: frozenset[str] = frozenset(),
) -> ActionExecutor:
    """`verifiable_channels`: channels a code can be sent on (those with an adapter)."""
    executor = ActionExecutor()
    handoff = ActionHandoff(database, availability) if availability else ActionHandoff(database)
    for action in (
        ActionGreet(database),
        ActionOptOut(database),
        ActionOptIn(database),
        ActionAccountSummary(database),
        ActionOrderStatus(database),
        ActionTicketStatus(database),
        ActionOpenTicket(database),
        ValidateOpenTicketForm(),
        ActionCaptureLead(database),
        ValidateLeadForm(),
        handoff,
        ValidateContactForm(database, verifiable_channels),
        ActionUpdateContact(database),
    ):
        executor.register_action(action)
    return executor
