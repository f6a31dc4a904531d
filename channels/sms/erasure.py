"""Erasing a customer's messages at Twilio: each Message resource (in and out) deleted
with the twilio library (`client.messages(sid).delete()`), which removes its body and
media from Twilio's logs. Blocking: run it in a thread.

A message Twilio no longer has (404) counts as gone. One still being delivered cannot
be deleted yet (Twilio error 20009): that, a 429 and a 5xx are retried by the queue
worker; any other refusal fails the step, with Twilio's words, for a person to see.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from channels.errors import DeliveryError
from channels.sms.http import TWILIO_API, TwilioHttp

__all__ = ["MessagesErased", "TwilioMessageEraser"]

NOT_DELIVERED_YET = 20009


@dataclass(frozen=True, slots=True)
class MessagesErased:
    deleted: int
    already_gone: int


class TwilioMessageEraser:
    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        api_base_url: str = TWILIO_API,
        timeout_seconds: float = 15.0,
    ) -> None:
        self._http = TwilioHttp(api_base_url, timeout=timeout_seconds)
        self._client = Client(account_sid, auth_token, http_client=self._http)

    def erase(self, sids: list[str]) -> MessagesErased:
        deleted = gone = 0
        for sid in sids:
            try:
                self._client.messages(sid).delete()
                deleted += 1
            except TwilioRestException as exc:
                if exc.status == 404:
                    gone += 1
                    continue
                retryable = exc.status == 429 or exc.status >= 500 or exc.code == NOT_DELIVERED_YET
                raise DeliveryError(
                    f"Twilio answered HTTP {exc.status}, error {exc.code}: {exc.msg}",
                    retryable=retryable,
                    retry_after=self._http.retry_after() if exc.status == 429 else None,
                ) from None
            except requests.RequestException as exc:
                raise DeliveryError(f"Twilio did not answer: {exc}") from None
        return MessagesErased(deleted, gone)
