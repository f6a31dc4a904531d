"""Sending mail over SMTP (aiosmtplib) for the delivery worker.

A connection error, a timeout or a 4xx reply is temporary: `DeliveryError(retryable=True)`
and the outbox tries again later with the same Message-ID. A 5xx reply is permanent (the
address does not exist, the mail was refused): not retried, the reason kept for an agent.
A refused login is retried: the mail is fine, the settings need fixing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiosmtplib

from channels.email.outbound import MailIdentity, ThreadContext, compose
from channels.errors import DeliveryError
from channels.messages import Channel, OutboundMessage, SendReceipt

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    ssl: bool = False
    timeout_seconds: float = 30.0
    ca_file: str | None = None


class SmtpSender:
    channel = Channel.EMAIL

    def __init__(self, server: SmtpServer, identity: MailIdentity, threads: ThreadContext) -> None:
        self._server = server
        self._identity = identity
        self._threads = threads

    async def send(self, message: OutboundMessage) -> SendReceipt:
        thread = await self._threads.thread_of(message)
        try:
            mail = compose(message, thread, self._identity)
        except ValueError as exc:  # e.g. a line break in an address: retrying cannot help
            raise DeliveryError(f"cannot write this mail: {exc}", retryable=False) from exc
        server = self._server
        try:
            await aiosmtplib.send(
                mail,
                sender=self._identity.address,
                recipients=[message.address],
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=server.password,
                use_tls=server.ssl,
                start_tls=False if server.ssl else server.starttls,
                timeout=server.timeout_seconds,
                cert_bundle=server.ca_file,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refused.code for refused in exc.recipients]
            reason = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            raise DeliveryError(
                f"recipient refused: {reason}", retryable=any(code < 500 for code in codes)
            ) from exc
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP login refused: {exc.code} {exc.message}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"SMTP server answered {exc.code} {exc.message}", retryable=exc.code < 500
            ) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP server unreachable: {exc}") from exc
        message_id = str(mail["Message-ID"])
        log.info(
            "mail sent",
            extra={"outbox_id": message.outbox_id, "message_id": message_id},
        )
        return SendReceipt(provider_message_id=message_id)
