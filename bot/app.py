"""`create_app(settings)`: the FastAPI application, built from settings at call time."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Mapping

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from bot.api.accounts import accounts_router
from bot.api.auth import StaffAuth
from bot.api.deliveries import deliveries_router
from bot.api.errors import install_error_handlers
from bot.api.handoffs import handoffs_router
from bot.api.health import health_router
from bot.api.json_depth import JsonDepthLimit
from bot.api.kb import kb_router
from bot.api.limits import BodySizeLimit
from bot.api.nlu import nlu_router
from bot.api.openapi import document_errors
from bot.api.rate_limits import Clock
from bot.api.staff import staff_router
from bot.api.tickets import tickets_router
from bot.conversation.dialogue import Dialogue
from bot.delivery.dead_rows import DeadRows
from bot.settings import Settings
from bot.wiring.bootstrap import Services, bootstrap
from bot.workers import Workers
from channels.email import INBOUND_PATH
from channels.messages import Channel
from channels.ports import AgentDesk, ChannelSender
from crm_store.staff import SUMMARY_ROLES
from knowledge.embeddings import SentenceEncoder

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    senders: Mapping[Channel, ChannelSender] | None = None,
    dialogue: Dialogue | None = None,
    encoder: SentenceEncoder | None = None,
    desk: AgentDesk | None = None,
    clock: Clock = time.monotonic,
) -> FastAPI:
    """`clock` drives the rate limits; tests pass one they move by hand."""
    settings = settings or Settings()
    services = bootstrap(
        settings, senders=senders, dialogue=dialogue, encoder=encoder, desk=desk, clock=clock
    )
    for parts in services.channels:
        log.info(parts.status, extra={"channel": parts.name})

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        workers = Workers(services.workers)
        workers.start()
        log.info(
            "switchboard started",
            extra={
                "database": services.database.url.render_as_string(hide_password=True),
                "environment": settings.environment,
                "workers": workers.names,
            },
        )
        try:
            yield
        finally:
            await workers.stop(settings.delivery.shutdown_grace_seconds)
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
    document_errors(app)
    # Inside the size limit: JSON nested too deeply is a 400 before any route parses it.
    app.add_middleware(JsonDepthLimit, max_depth=settings.max_json_depth)
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
    auth = StaffAuth(services.database, services.signer, services.limits)
    dead_rows = DeadRows(services.database)
    app.include_router(health_router(services.database, dead_rows.count))
    app.include_router(
        deliveries_router(dead_rows, auth.any_staff(), auth.role("admin"), services.wake_queue)
    )
    app.include_router(staff_router(services.database, auth))
    app.include_router(handoffs_router(services.handoffs, auth))
    app.include_router(accounts_router(services.database, auth.role(*SUMMARY_ROLES)))
    app.include_router(tickets_router(services.database, auth.any_staff()))
    if services.nlu is not None:
        token = services.settings.nlu.api_token
        app.include_router(
            nlu_router(
                services.nlu,
                token.get_secret_value() if token else None,
                closed_without_token=services.settings.environment == "production",
                limit=services.limits.check_nlu_parse if services.limits else None,
            )
        )
    if services.knowledge is not None:
        app.include_router(kb_router(services.knowledge, auth.any_staff(), auth.role("admin")))
    for parts in services.channels:
        for router in parts.routers:
            app.include_router(router)
