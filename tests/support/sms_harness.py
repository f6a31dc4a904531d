"""An SMS harness: the real app with Twilio configured against the Twilio REST stand-in,
and webhooks signed exactly as Twilio signs them (twilio's own RequestValidator)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.app import create_app
from bot.conversation.dialogue import Dialogue
from bot.settings import Settings, TwilioSettings
from bot.wiring.bootstrap import Services
from crm_store import history, outbox
from crm_store.models import OutboxMessage
from crm_store.records import InteractionRecord, OutboxRecord
from tests.support.twilio_standin import TwilioStandIn

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-auth-token-for-tests"
COMPANY_NUMBER = "+15005550006"
CUSTOMER = "+14155550101"
PUBLIC = "https://support.example.test"  # Twilio's view; the app is reached as testserver
INBOUND_PATH = "/webhooks/twilio/sms"


def twilio_settings(settings: Settings, stand_in: TwilioStandIn) -> Settings:
    """`settings` with SMS on, through the Twilio stand-in."""
    return settings.model_copy(
        update={
            "public_base_url": PUBLIC,
            "twilio": TwilioSettings(
                account_sid=ACCOUNT,
                auth_token=SecretStr(TOKEN),
                from_number=COMPANY_NUMBER,
                api_base_url=stand_in.url,
                help_text="Acme support: text us your question. STOP to opt out.",
            ),
        }
    )


def sign(path: str, form: dict[str, str], token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(PUBLIC + path, form)


def inbound_form(body: str, sid: str, sender: str = CUSTOMER, **extra: str) -> dict[str, str]:
    """The form Twilio posts to the messaging webhook for one incoming text."""
    return {
        "MessageSid": sid,
        "AccountSid": ACCOUNT,
        "From": sender,
        "To": COMPANY_NUMBER,
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


def text_in(client: TestClient, body: str, sid: str) -> None:
    """The customer's text, posted to the app under a TestClient as Twilio posts it
    (signed for the public URL); answered 200."""
    form = inbound_form(body, sid)
    answer = client.post(
        INBOUND_PATH, data=form, headers={"X-Twilio-Signature": sign(INBOUND_PATH, form)}
    )
    assert answer.status_code == 200, answer.text


@dataclass
class SmsHarness:
    services: Services
    client: httpx.AsyncClient
    stand_in: TwilioStandIn
    dialogue: Dialogue

    async def text(
        self, body: str, sid: str, sender: str = CUSTOMER, **extra: str
    ) -> httpx.Response:
        return await self.post(INBOUND_PATH, inbound_form(body, sid, sender, **extra))

    async def post(
        self, path: str, form: dict[str, str], signature: str | None = "sign"
    ) -> httpx.Response:
        headers = {}
        if signature == "sign":
            headers["X-Twilio-Signature"] = sign(path, form)
        elif signature is not None:
            headers["X-Twilio-Signature"] = signature
        return await self.client.post(path, data=form, headers=headers)

    async def status(self, post_index: int, status: str, **extra: str) -> httpx.Response:
        """A status callback for the `post_index`th message Twilio accepted, to the
        StatusCallback URL the app gave Twilio."""
        post = self.stand_in.accepted[post_index]
        callback = post.form["StatusCallback"]
        assert callback.startswith(PUBLIC)
        path = callback[len(PUBLIC) :]
        form = {
            "MessageSid": f"SM{post_index + 1:032x}",
            "MessageStatus": status,
            "AccountSid": ACCOUNT,
            "To": post.form["To"],
            "From": COMPANY_NUMBER,
            **extra,
        }
        return await self.post(path, form)

    async def deliver(self) -> None:
        """Run the delivery worker's passes until no send is waiting (retries included)."""
        worker = self.services.worker
        for _ in range(1500):
            await worker.deliver_due()
            if not [row for row in self.outbox() if row.status in ("pending", "sending")]:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"sends still waiting: {self.outbox()}")

    def outbox(self) -> list[OutboxRecord]:
        with self.services.database.transaction() as session:
            ids = list(session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
            return [row for row in (outbox.get_outbox(session, i) for i in ids) if row]

    def timeline(self, customer_id: int) -> list[InteractionRecord]:
        with self.services.database.transaction() as session:
            return history.timeline(session, customer_id)

    def interaction(self, interaction_id: int) -> InteractionRecord:
        with self.services.database.transaction() as session:
            return history.get_interaction(session, interaction_id)


async def harness_for(
    settings: Settings, stand_in: TwilioStandIn, dialogue: Dialogue, **app_options: Any
) -> AsyncIterator[SmsHarness]:
    app = create_app(settings, dialogue=dialogue, **app_options)
    services: Services = app.state.services
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield SmsHarness(services, client, stand_in, dialogue)
    await services.aclose()
