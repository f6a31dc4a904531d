"""Reading a mailbox folder over IMAP (stdlib imaplib; blocking, so run it in a thread).

The folder is opened read-only (EXAMINE) and bodies fetched with BODY.PEEK, so the bot
marks nothing as read: the support team's mail program shows the mailbox as it was.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from dataclasses import dataclass
from types import TracebackType

from channels.email.errors import MailboxError

_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True, slots=True)
class ImapAccount:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    tls: bool = True
    timeout_seconds: float = 30.0
    ca_file: str | None = None

    @property
    def mailbox(self) -> str:
        """The name the watermark is kept under."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


@dataclass(frozen=True, slots=True)
class FetchedMail:
    uid: int
    raw: bytes
    size: int
    truncated: bool  # over the size limit: only the header was fetched


def connect(account: ImapAccount) -> imaplib.IMAP4:
    """An IMAP connection to the account's server (implicit TLS when `tls`), not logged in."""
    if account.tls:
        context = ssl.create_default_context(cafile=account.ca_file)
        return imaplib.IMAP4_SSL(
            account.host, account.port, ssl_context=context, timeout=account.timeout_seconds
        )
    return imaplib.IMAP4(account.host, account.port, timeout=account.timeout_seconds)


class MailboxReader:
    """One IMAP session on one folder: `with MailboxReader(account) as reader: ...`."""

    def __init__(self, account: ImapAccount) -> None:
        self.account = account
        self._conn: imaplib.IMAP4 | None = None
        self.uidvalidity = 0

    def __enter__(self) -> MailboxReader:
        account = self.account
        try:
            conn = self._conn = connect(account)
            conn.login(account.user, account.password)
            status, _ = conn.select(quoted(account.folder), readonly=True)
            if status != "OK":
                raise MailboxError(f"cannot open folder {account.folder!r}")
            _, values = conn.response("UIDVALIDITY")
            if not values or values[0] is None:
                raise MailboxError("the server sent no UIDVALIDITY")
            self.uidvalidity = int(values[0])
        except (imaplib.IMAP4.error, OSError, ValueError) as exc:
            self.__exit__(None, None, None)
            raise MailboxError(f"IMAP {account.host}:{account.port}: {exc}") from exc
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                conn.logout()

    def uids_after(self, uid: int) -> list[int]:
        """UIDs above `uid`, oldest first (`n:*` also names the last one; it is dropped)."""
        data = self._command("SEARCH", "UID", f"{uid + 1}:*")
        found = [int(part) for part in (data[0] or b"").split()] if data else []
        return sorted(n for n in found if n > uid)

    def fetch(self, uid: int, *, max_bytes: int) -> FetchedMail:
        """The whole message, or its header alone when it is larger than `max_bytes`."""
        size = self._size(uid)
        truncated = size > max_bytes
        part = "BODY.PEEK[HEADER]" if truncated else "BODY.PEEK[]"
        data = self._command("FETCH", str(uid), f"({part})")
        raw = next((item[1] for item in data if isinstance(item, tuple)), None)
        if not isinstance(raw, bytes):
            raise MailboxError(f"message UID {uid} came back empty")
        return FetchedMail(uid=uid, raw=raw, size=size, truncated=truncated)

    def _size(self, uid: int) -> int:
        data = self._command("FETCH", str(uid), "(RFC822.SIZE)")
        for item in data:
            head = item[0] if isinstance(item, tuple) else item
            if isinstance(head, bytes) and (match := _SIZE.search(head)):
                return int(match.group(1))
        raise MailboxError(f"no size for message UID {uid}")

    def _command(self, command: str, *args: str) -> list[object]:
        if self._conn is None:
            raise MailboxError("the mailbox is not open")
        try:
            status, data = self._conn.uid(command, *args)
        except (imaplib.IMAP4.error, OSError) as exc:
            raise MailboxError(f"IMAP UID {command}: {exc}") from exc
        if status != "OK":
            raise MailboxError(f"IMAP UID {command} answered {status}: {data!r}")
        return list(data)


def quoted(folder: str) -> str:
    """The folder name as an IMAP string where it needs quoting."""
    if folder.startswith('"') or not re.search(r'[\s"\\()]', folder):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def delete_mail(account: ImapAccount, message_ids: list[str]) -> int:
    """Delete the mails with these Message-IDs from the account's folder (erasure):
    flagged `\\Deleted` and expunged. Returns how many were deleted; a Message-ID no
    longer in the folder is skipped (a person may have moved or deleted it already).
    Blocking: run it in a thread. Raises MailboxError when the server cannot be used."""
    if not message_ids:
        return 0
    try:
        conn = connect(account)
    except (imaplib.IMAP4.error, OSError) as exc:
        raise MailboxError(f"IMAP {account.host}:{account.port}: {exc}") from exc
    try:
        conn.login(account.user, account.password)
        status, _ = conn.select(quoted(account.folder))  # read-write, unlike the poller
        if status != "OK":
            raise MailboxError(f"cannot open folder {account.folder!r}")
        found: set[bytes] = set()
        for message_id in message_ids:
            wanted = message_id.strip()
            if not wanted or any(c in wanted for c in '"\\\r\n'):
                continue  # cannot be said as an IMAP quoted string; not what we recorded
            status, data = conn.uid("SEARCH", "HEADER", "Message-ID", f'"{wanted}"')
            if status != "OK":
                raise MailboxError(f"IMAP UID SEARCH answered {status}")
            found.update((data[0] or b"").split() if data else [])
        if found:
            uids = b",".join(sorted(found)).decode()
            status, _ = conn.uid("STORE", uids, "+FLAGS.SILENT", "(\\Deleted)")
            if status != "OK":
                raise MailboxError(f"IMAP UID STORE answered {status}")
            # UID EXPUNGE (UIDPLUS) removes only these; a plain EXPUNGE would also remove
            # whatever else a person had flagged deleted in the folder.
            if "UIDPLUS" in conn.capabilities:
                conn.uid("EXPUNGE", uids)
            else:
                conn.expunge()
        return len(found)
    except (imaplib.IMAP4.error, OSError) as exc:
        raise MailboxError(f"IMAP {account.host}:{account.port}: {exc}") from exc
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.logout()
