"""`create_app(settings)`: the FastAPI application, built from settings at call time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from bot.api.accounts import accounts_router
from bot.api.auth import StaffAuth
from bot.api.errors import install_error_handlers
from bot.api.handoffs import handoffs_router
from bot.api.health import health_router
from bot.api.kb import kb_router
from bot.api.limits import BodySizeLimit
from bot.api.nlu import nlu_router
from bot.api.staff import staff_router
from bot.api.tickets import tickets_router
from bot.conversation.dialogue import Dialogue
from bot.settings import Settings
from bot.wiring.bootstrap import Services, bootstrap
from bot.wiring.email import own_addresses
from bot.wiring.sms import sms_router
from channels.email import INBOUND_PATH, email_router
from channels.messages import Channel
from channels.ports import AgentDesk, ChannelSender
from channels.web import webchat_router, widget_router
from knowledge.embeddings import SentenceEncoder

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    senders: Mapping[Channel, ChannelSender] | None = None,
    dialogue: Dialogue | None = None,
    encoder: SentenceEncoder | None = None,
    desk: AgentDesk | None = None,
) -> FastAPI:
    settings = settings or Settings()
    services = bootstrap(settings, senders=senders, dialogue=dialogue, encoder=encoder, desk=desk)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = asyncio.create_task(services.worker.run(), name="delivery-worker")
        poller = services.mail_poller
        polling = asyncio.create_task(poller.run(), name="mail-poller") if poller else None
        slack = services.slack
        slack_runner = (
            asyncio.create_task(slack.worker.run(), name="slack-call-worker") if slack else None
        )
        if slack is None:
            log.info("Slack is off: SWITCHBOARD_SLACK__BOT_TOKEN is not set")
        log.info(
            "switchboard started",
            extra={
                "database": services.database.url.render_as_string(hide_password=True),
                "environment": settings.environment,
            },
        )
        try:
            yield
        finally:
            if poller is not None and polling is not None:
                # A poll cut short is safe: mail handed over but not yet past the
                # watermark comes again and is recognised by its Message-ID.
                poller.stop()
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(polling, settings.delivery.shutdown_grace_seconds)
            await services.worker.stop(settings.delivery.shutdown_grace_seconds)
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
            if slack is not None and slack_runner is not None:
                await slack.worker.stop()
                slack_runner.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await slack_runner
            await services.aclose()
            log.info("switchboard stopped")

    app = FastAPI(
        title="Switchboard",
        summary="Omnichannel support bot with its own CRM store",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.services = services
    install_error_handlers(app)
    _mount(app, services)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        path_limits={INBOUND_PATH: settings.email.max_message_bytes},
    )
    # The widget runs on the company's own site, another origin: it calls the web chat
    # API with a bearer token (no cookies), so any origin may.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
    )
    return app


def _mount(app: FastAPI, services: Services) -> None:
    auth = StaffAuth(services.database, services.signer)
    app.include_router(health_router(services.database))
    app.include_router(
        webchat_router(
            intake=services.engine,
            feed=services.engine,
            signer=services.signer,
            hub=services.hub,
            max_text_length=services.settings.webchat.max_text_length,
            identity_secret=services.settings.identity_secret(),
        )
    )
    app.include_router(staff_router(services.database, auth))
    app.include_router(handoffs_router(services.handoffs, auth))
    app.include_router(accounts_router(services.database, auth.role("sales", "admin")))
    app.include_router(tickets_router(services.database, auth.any_staff()))
    sms = sms_router(services.settings, services.database, services.engine)
    if sms is not None:
        app.include_router(sms)
        log.info("SMS is on: Twilio webhooks at /webhooks/twilio/sms and /webhooks/twilio/status")
    else:
        log.info("SMS is off: set SWITCHBOARD_TWILIO__* to turn it on")
    if services.slack is not None:
        app.include_router(services.slack.router())
    if services.nlu is not None:
        token = services.settings.nlu.api_token
        app.include_router(nlu_router(services.nlu, token.get_secret_value() if token else None))
    if services.knowledge is not None:
        app.include_router(kb_router(services.knowledge, auth.any_staff(), auth.role("admin")))
    email = services.settings.email
    if services.email_intake is not None and email.inbound_token is not None:
        app.include_router(
            email_router(
                intake=services.email_intake,
                token=email.inbound_token.get_secret_value(),
                own_addresses=own_addresses(email),
            )
        )
    app.include_router(widget_router())
    if services.settings.environment == "development":
        # Imported here so that a production server imports no demo code at all.
        from demo.page import demo_page_router

        app.include_router(demo_page_router(services.settings.identity_secret()))
