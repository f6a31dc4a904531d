"""What each step of an erasure's checklist does (crm_store/erasures.py lists them),
through the store and the adapters that reach the copies outside it.

A step returns its result (counts and reasons, no personal data) or raises
`DeliveryError` for the queue worker to retry. A copy Switchboard cannot reach from
here is reported as `not_reachable` with why and, where known, how long the holder
keeps it: never left out of the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anyio import to_thread

from channels.email import ImapAccount
from channels.email.errors import MailboxError
from channels.email.imap import delete_mail
from channels.errors import DeliveryError
from channels.slack.erasure import SlackThreadEraser
from channels.sms.erasure import TwilioMessageEraser
from crm_store import Database
from crm_store.erasure import erase_customer_rows
from crm_store.erasures import ClaimedStep

__all__ = ["NOT_HELD", "ErasureSteps"]

# Places that could hold a customer's words and do not, checked when this was written:
# in the report, so a reader sees they were considered.
NOT_HELD = [
    {
        "where": "knowledge base index",
        "why": "built from help-centre documents an admin ingests, never from conversations",
    },
    {
        "where": "attachment files",
        "why": "none are kept on disk: mail attachments are recorded by name and size on the "
        "message (erased with it), SMS media stay at Twilio (deleted with the message)",
    },
    {
        "where": "application logs",
        "why": "INFO logs carry ids, never message texts or addresses "
        "(tests/channels/test_log_privacy.py)",
    },
]


BACKUPS = {
    "where": "database backups",
    "why": "backups taken before the erasure hold the rows until your backup rotation "
    "drops them; a restore must be followed by erasing again (the erasures table lists whom)",
    "kept_days": None,
}


@dataclass
class ErasureSteps:
    """The performers; an adapter left None is a channel not configured here."""

    database: Database
    slack: SlackThreadEraser | None = None
    twilio: TwilioMessageEraser | None = None
    mailbox: ImapAccount | None = None
    mail_relay: bool = False
    mail_relay_keeps_days: int = 30
    twilio_keeps_days: int = 400

    async def perform(self, step: ClaimedStep) -> dict[str, Any]:
        if step.name == "store":
            return await to_thread.run_sync(self._store, step.customer_id)
        if step.name == "slack":
            return await self._slack([(str(c), str(ts)) for c, ts in step.arguments["threads"]])
        if step.name == "sms":
            return await self._sms([str(sid) for sid in step.arguments["message_sids"]])
        if step.name == "mailbox":
            return await self._mailbox([str(m) for m in step.arguments["message_ids"]])
        raise DeliveryError(f"no such erasure step {step.name!r}", retryable=False)

    def _store(self, customer_id: int) -> dict[str, Any]:
        with self.database.transaction() as session:
            counts = erase_customer_rows(session, customer_id)
        self.database.flush_log()
        return {**counts, "not_held": NOT_HELD, "not_reachable": [BACKUPS]}

    async def _slack(self, threads: list[tuple[str, str]]) -> dict[str, Any]:
        if self.slack is None:
            return _unreachable(
                "Slack", f"{len(threads)} handoff threads; Slack is not configured on this server"
            )
        done = await self.slack.erase(threads)
        result: dict[str, Any] = {
            "erased": {"slack_messages_deleted": done.deleted, "threads_gone": done.threads_gone}
        }
        if done.agents_messages:
            result["not_reachable"] = [
                {
                    "where": "Slack",
                    "why": f"{done.agents_messages} messages agents wrote in the handoff "
                    "threads: Slack lets only their authors or a workspace admin delete them",
                    "kept_days": None,
                }
            ]
        return result

    async def _sms(self, sids: list[str]) -> dict[str, Any]:
        carriers = {
            "where": "mobile carriers",
            "why": "carriers keep their own records of texts; no API reaches them",
            "kept_days": None,
        }
        if self.twilio is None:
            unreachable = _unreachable(
                "Twilio",
                f"{len(sids)} messages; Twilio is not configured on this server",
                self.twilio_keeps_days,
            )
            unreachable["not_reachable"].append(carriers)
            return unreachable
        done = await to_thread.run_sync(self.twilio.erase, sids)
        return {
            "erased": {"twilio_messages_deleted": done.deleted, "already_gone": done.already_gone},
            "not_reachable": [carriers],
        }

    async def _mailbox(self, message_ids: list[str]) -> dict[str, Any]:
        result: dict[str, Any] = {"not_reachable": []}
        if self.mail_relay:
            result["not_reachable"].append(
                {
                    "where": "inbound mail relay",
                    "why": "mail that came through the relay webhook stays in the relay "
                    "provider's logs; it has no deletion API here",
                    "kept_days": self.mail_relay_keeps_days,
                }
            )
        if self.mailbox is None:
            if not self.mail_relay:
                result["not_reachable"].append(
                    {
                        "where": "support mailbox",
                        "why": f"{len(message_ids)} mails; IMAP is not configured here",
                        "kept_days": None,
                    }
                )
            return result
        try:
            deleted = await to_thread.run_sync(delete_mail, self.mailbox, message_ids)
        except MailboxError as exc:
            raise DeliveryError(str(exc)) from None
        result["erased"] = {"mails_deleted": deleted}
        return result


def _unreachable(where: str, why: str, kept_days: int | None = None) -> dict[str, Any]:
    return {"not_reachable": [{"where": where, "why": why, "kept_days": kept_days}]}
