"""What the email adapter needs from the store: IMAP watermarks and the mail a reply
answers (for In-Reply-To, References and the subject).

The subject is the customer's only when their mail's sender was proven: a reply to mail
nobody vouched for carries the bot's own subject, so a forged From cannot make the
support address send the forger's words (`Re: WIN A PRIZE at http://...`) to anyone.
"""

from __future__ import annotations

from anyio import to_thread

from channels.email import MailThread
from channels.email.inbound import sender_verified
from channels.messages import OutboundMessage
from crm_store import Database, history, mailboxes


class StoredWatermarks:
    """`channels.email.Watermarks` in the CRM store (called from the poller's thread)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def last_uid(self, mailbox: str, uidvalidity: int) -> int:
        with self._db.transaction() as session:
            return mailboxes.last_uid(session, mailbox, uidvalidity)

    def advance(self, mailbox: str, uidvalidity: int, uid: int) -> None:
        with self._db.transaction() as session:
            mailboxes.advance(session, mailbox, uidvalidity, uid)


class StoredThreads:
    """`channels.email.ThreadContext`: the customer's mail an outbound message answers."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def thread_of(self, message: OutboundMessage) -> MailThread | None:
        if "campaign_send_id" in message.attributes:
            return None  # a campaign mail starts a thread; it answers nothing
        return await to_thread.run_sync(self._thread_of, message.interaction_id)

    def _thread_of(self, interaction_id: int) -> MailThread | None:
        with self._db.transaction() as session:
            answered = history.answered_message(session, interaction_id)
        if answered is None:
            return None
        mail = answered.attributes.get("email") or {}
        proven = sender_verified(answered.attributes)
        return MailThread(
            message_id=mail.get("message_id") or answered.provider_message_id,
            subject=str(mail.get("subject") or "") if proven else "",  # "": the bot's own
            references=tuple(mail.get("references") or ()),
        )
