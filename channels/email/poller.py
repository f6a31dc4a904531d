"""The IMAP poller: new mail of one folder, oldest first, handed to the engine.

The watermark (highest UID handed over, per UIDVALIDITY) is advanced only after the
engine has recorded a message, so a restart never skips mail; a message handed over
whose watermark write was lost comes again and is a no-op (the engine dedupes on
Message-ID). A mailbox that cannot be reached is tried again at the next poll. A mail the engine
fails on `max_failures` times in a row is passed over (logged as an error; it stays in
the mailbox, unread, for a person), so one bad mail cannot stop all the others. A mail
that cannot be taken in at all (no sender, MIME nested deeper than `max_mime_depth`) is
refused once: logged with its reason, counted in `refused`, the watermark moved past it
and left in the mailbox for a person; it is never retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from typing import Protocol

from anyio import to_thread

from channels.email.errors import MailboxError, UnreadableMail
from channels.email.imap import FetchedMail, ImapAccount, MailboxReader
from channels.email.inbound import to_inbound
from channels.email.mime_depth import MAX_MIME_DEPTH
from channels.email.oversize import header_only
from channels.messages import InboundMessage
from channels.ports import MessageIntake

log = logging.getLogger(__name__)


class Watermarks(Protocol):
    """Where the poller keeps how far it has read (the store; `bot` implements)."""

    def last_uid(self, mailbox: str, uidvalidity: int) -> int: ...

    def advance(self, mailbox: str, uidvalidity: int, uid: int) -> None: ...


@dataclasses.dataclass(frozen=True, slots=True)
class _Batch:
    uidvalidity: int
    mails: list[FetchedMail]


class MailboxPoller:
    def __init__(
        self,
        account: ImapAccount,
        intake: MessageIntake,
        watermarks: Watermarks,
        *,
        own_addresses: frozenset[str] = frozenset(),
        trusted_authserv_ids: frozenset[str] = frozenset(),
        max_bytes: int = 10 * 1024 * 1024,
        batch_size: int = 50,
        interval_seconds: float = 30.0,
        max_failures: int = 5,
        max_mime_depth: int = MAX_MIME_DEPTH,
    ) -> None:
        self._account = account
        self._intake = intake
        self._watermarks = watermarks
        self._own = own_addresses
        self._trusted = trusted_authserv_ids
        self._max_bytes = max_bytes
        self._batch_size = batch_size
        self._interval = interval_seconds
        self._stop = asyncio.Event()
        self._max_failures = max_failures
        self._failures: dict[tuple[int, int], int] = {}
        self._max_mime_depth = max_mime_depth
        self.refused = 0  # mails not taken in since start (see the module's docstring)

    async def run(self) -> None:
        """Poll until `stop()`; errors are logged and the next poll tries again."""
        while not self._stop.is_set():
            try:
                while await self.poll_once() > 0 and not self._stop.is_set():
                    pass  # more may be waiting: read on without pausing
            except MailboxError as exc:
                log.warning("mailbox poll failed", extra={"error": str(exc)})
            except Exception:
                log.exception("mailbox poll failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval)

    async def stop(self, grace_seconds: float = 0.0) -> None:
        """Stop polling. A poll cut short is safe: mail handed over but not yet past the
        watermark comes again and is recognised by its Message-ID."""
        self._stop.set()

    async def poll_once(self) -> int:
        """Read one batch of new mail and hand it to the engine; returns how many mails
        were dealt with (the watermark moved past them)."""
        batch = await to_thread.run_sync(self._read_batch)
        mailbox = self._account.mailbox
        done = 0
        for mail in batch.mails:
            if self._stop.is_set():
                break
            message = self._inbound(mail)
            if message is not None and not await self._hand_over(batch.uidvalidity, mail, message):
                break
            await to_thread.run_sync(self._watermarks.advance, mailbox, batch.uidvalidity, mail.uid)
            done += 1
        return done

    async def _hand_over(
        self, uidvalidity: int, mail: FetchedMail, message: InboundMessage
    ) -> bool:
        """Give the mail to the engine. False: stop this batch and try again next poll;
        True: go on (recorded, or failed too often and passed over)."""
        key = (uidvalidity, mail.uid)
        try:
            await self._intake.receive(message)
        except Exception:
            failures = self._failures.get(key, 0) + 1
            self._failures[key] = failures
            passed_over = failures >= self._max_failures
            log.exception(
                "mail could not be recorded" + ("; passed over" if passed_over else ""),
                extra={"uid": mail.uid, "message_id": message.provider_message_id},
            )
            if passed_over:
                del self._failures[key]
            return passed_over
        self._failures.pop(key, None)
        return True

    def _read_batch(self) -> _Batch:
        with MailboxReader(self._account) as reader:
            after = self._watermarks.last_uid(self._account.mailbox, reader.uidvalidity)
            mails: list[FetchedMail] = []
            held = 0  # a batch holds about one maximum-size mail in memory, not 50
            for uid in reader.uids_after(after)[: self._batch_size]:
                if mails and held >= self._max_bytes:
                    break
                mails.append(reader.fetch(uid, max_bytes=self._max_bytes))
                held += len(mails[-1].raw)
            return _Batch(reader.uidvalidity, mails)

    def _inbound(self, mail: FetchedMail) -> InboundMessage | None:
        try:
            message = to_inbound(
                mail.raw,
                own_addresses=self._own,
                max_depth=self._max_mime_depth,
                trusted_authserv_ids=self._trusted,
            )
        except UnreadableMail as exc:
            # Left in the mailbox untouched (nothing is marked or deleted) for a person.
            self.refused += 1
            log.warning("mail not taken in", extra={"uid": mail.uid, "reason": str(exc)})
            return None
        if mail.truncated:
            message = header_only(
                message, size=mail.size, limit=self._max_bytes, find_it="open it in the mailbox"
            )
        return message
