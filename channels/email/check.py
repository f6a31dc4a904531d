"""The mail start-up checks: the SMTP server takes a connection, TLS and our login
(nothing is sent), and the IMAP server takes our login and opens the folder polled
(read-only). Each names the step that failed and the server's own answer."""

from __future__ import annotations

import contextlib
import imaplib

import aiosmtplib

from channels.checks import CheckResult
from channels.email.imap import ImapAccount, connect, quoted
from channels.email.smtp import SmtpServer

__all__ = ["check_imap", "check_smtp"]


async def check_smtp(server: SmtpServer) -> CheckResult:
    """Connect (implicit TLS when `ssl`), STARTTLS when asked, login when a user is set."""
    smtp = aiosmtplib.SMTP(
        hostname=server.host,
        port=server.port,
        use_tls=server.ssl,
        start_tls=False,  # done below, so a refusal is named as its own step
        timeout=server.timeout_seconds,
        cert_bundle=server.ca_file,
    )
    step = f"SMTP connect to {server.host}:{server.port}"
    try:
        await smtp.connect()
        if server.starttls and not server.ssl:
            step = "SMTP STARTTLS"
            await smtp.starttls()
        if server.username:
            step = f"SMTP login as {server.username}"
            await smtp.login(server.username, server.password or "")
    except aiosmtplib.SMTPResponseException as exc:
        return CheckResult.failed(step, f"refused: {exc.code} {exc.message}")
    except (aiosmtplib.SMTPException, OSError) as exc:
        return CheckResult.failed(step, f"failed: {exc}")
    finally:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            if smtp.is_connected:
                await smtp.quit()
    return CheckResult.passed()


def check_imap(account: ImapAccount) -> CheckResult:
    """Connect, login, EXAMINE the folder. Blocking (imaplib): run it in a thread."""
    step = f"IMAP connect to {account.host}:{account.port}"
    conn: imaplib.IMAP4 | None = None
    try:
        conn = connect(account)
        step = f"IMAP login as {account.user}"
        conn.login(account.user, account.password)
        step = f"IMAP select {account.folder!r}"
        status, data = conn.select(quoted(account.folder), readonly=True)
        if status != "OK":
            return CheckResult.failed(step, f"answered {status}: {_text(data)}")
    except imaplib.IMAP4.error as exc:
        return CheckResult.failed(step, f"refused: {_text(exc.args)}")
    except OSError as exc:
        return CheckResult.failed(step, f"failed: {exc}")
    finally:
        if conn is not None:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                conn.logout()
    return CheckResult.passed()


def _text(parts: object) -> str:
    """imaplib's answers are lists of bytes: shown as the server's words."""
    items = parts if isinstance(parts, list | tuple) else [parts]
    return " ".join(p.decode(errors="replace") if isinstance(p, bytes) else str(p) for p in items)
