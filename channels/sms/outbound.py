"""Delivery by SMS through Twilio's Messages API, with the twilio library.

The twilio client runs in a worker thread (it is blocking). Its HTTP client is the
library's own, told to send to SWITCHBOARD_TWILIO__API_BASE_URL instead of
api.twilio.com when that is set (a regional proxy, or the tests' local stand-in).

Twilio's answers become `DeliveryError`s the delivery worker understands: 429 and 5xx
(and no answer at all) are retried with backoff; 21610 means the recipient has
unsubscribed, which is recorded as an opt-out; any other 4xx fails with Twilio's words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import requests
from anyio import to_thread
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.rest import Client

from channels.checks import CheckResult
from channels.errors import DeliveryError
from channels.messages import Channel, OutboundMessage, SendReceipt
from channels.rendering.sms import MAX_BODY_CHARS, SmsText
from channels.sms.check import check_twilio
from channels.sms.http import TWILIO_API, TwilioHttp
from channels.sms.reply_length import fitted_text
from channels.sms.segments import count_segments

UNSUBSCRIBED = 21610
# How many of the recipient's recent messages a recovered send is looked for among.
LOOKUP_LIMIT = 50


def delivery_error(
    status: int, code: int | None, message: str, retry_after: float | None = None
) -> DeliveryError:
    """Twilio's refusal as the delivery worker's error (a 429's `Retry-After` kept)."""
    if code == UNSUBSCRIBED:
        return DeliveryError(
            f"Twilio error {code}: {message}",
            retryable=False,
            opted_out_by=f"Twilio error {code} (recipient unsubscribed)",
        )
    retryable = status == 429 or status >= 500
    return DeliveryError(
        f"Twilio answered HTTP {status}, error {code}: {message}",
        retryable=retryable,
        retry_after=retry_after if status == 429 else None,
    )


class TwilioSender:
    channel = Channel.SMS

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str | None,
        messaging_service_sid: str | None,
        status_callback_url: str | None,
        api_base_url: str = TWILIO_API,
        max_chars: int = MAX_BODY_CHARS,
        timeout_seconds: float = 15.0,
    ) -> None:
        if not (from_number or messaging_service_sid):
            raise ValueError("a Twilio sender needs a from number or a messaging service sid")
        self._http = TwilioHttp(api_base_url, timeout=timeout_seconds)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        self._account = account_sid
        self._from = from_number
        self._service = messaging_service_sid
        self._callback = status_callback_url
        self._max_chars = max_chars

    async def check(self) -> CheckResult:
        """The credentials and the sender work (`check_twilio`, in a thread)."""
        # Abandoned on cancel: a caller's timeout must not wait for the library's own.
        return await to_thread.run_sync(
            check_twilio,
            self._client,
            self._account,
            self._from,
            self._service,
            abandon_on_cancel=True,
        )

    def _render(self, message: OutboundMessage) -> SmsText:
        return fitted_text(
            message.text, link=message.attributes.get("article_url"), max_chars=self._max_chars
        )

    async def send(self, message: OutboundMessage) -> SendReceipt:
        text = self._render(message)
        if not text.body:
            raise DeliveryError("nothing to send: the message is empty", retryable=False)
        sid = await to_thread.run_sync(self._create, message, text.body)
        segments = count_segments(text.body)
        attributes: dict[str, Any] = {
            "sms_segments": segments.count,
            "sms_encoding": segments.encoding,
        }
        if text.body != message.text:
            attributes["sms_text"] = text.body  # exactly what the phone got
        if text.shortened:
            attributes["sms_shortened"] = True
        return SendReceipt(provider_message_id=sid, attributes=attributes)

    def _create(self, message: OutboundMessage, body: str) -> str | None:
        options: dict[str, Any] = {"to": message.address, "body": body}
        if self._from:
            options["from_"] = self._from
        if self._service:
            options["messaging_service_sid"] = self._service
        if self._callback and "campaign_send_id" in message.attributes:
            # A campaign send has no outbox row: its status is found by the Sid alone.
            options["status_callback"] = self._callback
        elif self._callback:
            # The outbox id finds the message even if the callback beats our record of
            # the Sid; the signature covers the query, so it cannot be forged.
            options["status_callback"] = f"{self._callback}?outbox={message.outbox_id}"
        try:
            created = self._client.messages.create(**options)
        except TwilioRestException as exc:
            wait = self._http.retry_after()
            raise delivery_error(exc.status, _int(exc.code), str(exc.msg), wait) from exc
        except TwilioServiceException as exc:
            detail = exc.detail or exc.title
            wait = self._http.retry_after()
            raise delivery_error(exc.status, _int(exc.code), str(detail), wait) from exc
        except requests.RequestException as exc:
            raise DeliveryError(f"Twilio did not answer: {exc}", retryable=True) from exc
        return str(created.sid) if created.sid else None  # accepted either way

    async def find_sent(self, message: OutboundMessage, since: datetime) -> list[SendReceipt]:
        """Twilio's messages to this recipient since `since` with this message's body,
        oldest first: Twilio's message list filtered by recipient and date sent. (Twilio
        does not return a message's StatusCallback, which carries the outbox id, so the
        body is what matches.) A message Twilio still holds unsent has no date sent and
        is not found: by the time a lease has run out it has normally gone."""
        body = self._render(message).body
        found = await to_thread.run_sync(self._list, message.address, since)
        return [
            SendReceipt(provider_message_id=str(item.sid), attributes={"sms_recovered": True})
            for item in found
            if item.body == body and item.sid
        ]

    def _list(self, to: str, since: datetime) -> list[Any]:
        try:
            items = self._client.messages.list(to=to, date_sent_after=since, limit=LOOKUP_LIMIT)
        except (TwilioRestException, TwilioServiceException, requests.RequestException) as exc:
            raise DeliveryError(f"could not ask Twilio what it sent: {exc}") from exc
        if self._from:
            items = [item for item in items if item.from_ in (None, self._from)]
        return sorted(items, key=lambda item: item.date_created or since)


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
