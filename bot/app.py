"""`create_app(settings)`: the FastAPI application, built from settings at call time."""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import time
from collections.abc import AsyncIterator, Mapping

from anyio import to_thread
from fastapi import FastAPI

from bot.api.accounts import accounts_router
from bot.api.analytics import analytics_router
from bot.api.audit import AuditTrail, audit_router
from bot.api.auth import StaffAuth
from bot.api.campaigns import campaigns_router
from bot.api.consents import consents_router
from bot.api.cors import CorsByPath
from bot.api.deliveries import deliveries_router
from bot.api.docs import docs_router
from bot.api.erasure import erasure_router
from bot.api.errors import install_error_handlers
from bot.api.export import export_router
from bot.api.handoff_page import handoff_page_router
from bot.api.handoffs import handoffs_router
from bot.api.head_requests import HeadAsGet
from bot.api.health import health_router
from bot.api.json_depth import JsonDepthLimit
from bot.api.kb import kb_router
from bot.api.leads import leads_router
from bot.api.limits import BodySizeLimit
from bot.api.nlu import nlu_router
from bot.api.openapi import document_errors
from bot.api.orders import orders_router
from bot.api.outages import install_outage_handlers
from bot.api.rate_limits import Clock
from bot.api.redirects import redirect_slashes_relatively
from bot.api.security_headers import SecurityHeaders
from bot.api.staff import staff_router
from bot.api.staff_sessions import StaffSessions, staff_sessions_router
from bot.api.support_reports import REPORT_ROLES, support_reports_router
from bot.api.survey_answers import survey_answers_router
from bot.api.survey_page import survey_page_router
from bot.api.tickets import tickets_router
from bot.api.unsubscribe import UnsubscribeLinks, unsubscribe_router
from bot.api.webhooks import webhooks_router
from bot.api.widget_sessions import widget_sessions_router
from bot.conversation.dialogue import Dialogue
from bot.dashboard import dashboard_router
from bot.delivery.dead_rows import DeadRows
from bot.settings import Settings
from bot.surveys.links import SurveyLinks
from bot.wiring.bootstrap import Services, bootstrap
from bot.wiring.campaigns import engagement_rules
from bot.wiring.channel_health import ChannelCheckWorker, ChannelHealth
from bot.wiring.checks import channel_checks
from bot.workers import Workers
from channels.email import INBOUND_PATH
from channels.email.oversize import HEAD_BYTES
from channels.messages import Channel
from channels.ports import AgentDesk, ChannelSender
from channels.web import WIDGET_API_PREFIX
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
    # Channels checked against their provider say how they are after the check, at start.
    health = ChannelHealth(
        channel_checks(settings),
        settings.checks,
        descriptions={parts.name: parts.status for parts in services.channels},
    )
    for parts in services.channels:
        if not health.awaits_check(parts.name):
            log.info(parts.status, extra={"channel": parts.name})

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A bounded number of threads: anyio's default of 40, each running a store
        # transaction, fought over the interpreter and waited for 5 pooled connections.
        to_thread.current_default_thread_limiter().total_tokens = settings.database.pool_size
        await health.check()  # all at once, each within settings.checks.timeout_seconds
        workers = Workers({**services.workers, "channel-checks": ChannelCheckWorker(health)})
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
        version=importlib.metadata.version("switchboard"),
        lifespan=lifespan,
        docs_url=None,  # served by docs_router, with a CSP of its own
        redoc_url=None,
    )
    app.state.services = services
    app.state.channel_health = health
    install_error_handlers(app)
    install_outage_handlers(app, retry_after_seconds=settings.database.retry_after_seconds)
    _mount(app, services)
    document_errors(app)
    # Inside the size limit: JSON nested too deeply is a 400 before any route parses it.
    app.add_middleware(JsonDepthLimit, max_depth=settings.max_json_depth)
    app.include_router(docs_router(app.title, app.openapi_url or "/openapi.json"))
    redirect_slashes_relatively(app.router)  # a Location never names the Host header
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        path_limits={INBOUND_PATH: settings.email.max_message_bytes},
        head_paths={INBOUND_PATH: HEAD_BYTES},
    )
    # The widget's API is open to every origin; the staff API only to the listed ones.
    app.add_middleware(
        CorsByPath, open_prefix=WIDGET_API_PREFIX, staff_origins=settings.cors.staff_origins
    )
    app.add_middleware(HeadAsGet)  # HEAD wherever GET: `curl -I /docs` is not a 405
    app.add_middleware(SecurityHeaders)  # outermost: every answer carries the headers
    return app


def _mount(app: FastAPI, services: Services) -> None:
    sessions = StaffSessions(
        services.database,
        services.settings.webchat_secret(),
        services.settings.staff.session_ttl_seconds,
    )
    auth = StaffAuth(services.database, services.signer, services.limits, sessions)
    # The channels' routes first: the app tries routes in the order they were included,
    # and a customer's message is the most frequent request; at the end, behind about
    # 80 staff routes, matching it took about 0.1 ms of each turn's CPU. No path of
    # theirs (/api/v1/webchat/..., /webhooks/<provider>/...) is one a staff route takes.
    for parts in services.channels:
        for router in parts.routers:
            app.include_router(router)
    dead_rows = DeadRows(services.database)
    trail = AuditTrail(services.database)
    app.include_router(
        health_router(
            services.database,
            app.state.channel_health.snapshot,
            dead_rows.count,
            retry_after_seconds=services.settings.database.retry_after_seconds,
        )
    )
    app.include_router(
        deliveries_router(dead_rows, auth.any_staff(), auth.role("admin"), services.wake_queue)
    )
    app.include_router(
        staff_router(
            services.database,
            auth,
            trail,
            phone_region=services.settings.staff.default_phone_region,
        )
    )
    app.include_router(consents_router(services.database, auth.any_staff(), trail))
    app.include_router(audit_router(services.database, auth.role("admin")))
    app.include_router(export_router(services.database, auth.role("admin")))
    app.include_router(
        erasure_router(
            services.database,
            auth.role("admin"),
            services.settings.erasure_key(),
            lambda: services.wake_queue("erasures"),
            services.settings.privacy,
            services.retention,
        )
    )
    links = UnsubscribeLinks(
        services.settings.webchat_secret(), services.settings.public_base_url or ""
    )
    app.include_router(unsubscribe_router(services.database, links))
    app.include_router(
        survey_page_router(
            services.database,
            SurveyLinks(
                services.settings.webchat_secret(), services.settings.public_base_url or ""
            ),
            services.settings.surveys.policy(),
        )
    )
    app.include_router(
        webhooks_router(
            services.database,
            auth.role("admin"),
            services.settings.webhooks.allowed_hosts,
            lambda: services.wake_queue("webhooks"),
        )
    )
    app.include_router(
        campaigns_router(
            services.database,
            auth.role("admin", "marketing"),
            engagement_rules(services.settings, channels=services.campaign_channels),
            lambda: services.wake_queue("campaigns"),
            trail,
        )
    )
    app.include_router(handoffs_router(services.handoffs, auth))
    if services.handoffs.links is not None:  # the card's signed page link
        app.include_router(handoff_page_router(services.handoffs, services.handoffs.links))
    app.include_router(accounts_router(services.database, auth.role(*SUMMARY_ROLES), trail))
    app.include_router(staff_sessions_router(sessions, auth.any_staff_or_nobody()))
    app.include_router(analytics_router(services.database, auth.role(*SUMMARY_ROLES)))
    app.include_router(leads_router(services.database, auth.role(*SUMMARY_ROLES)))
    app.include_router(orders_router(services.database, auth.role("shop", "admin")))
    app.include_router(dashboard_router())
    app.include_router(tickets_router(services.database, auth.any_staff()))
    app.include_router(
        support_reports_router(
            services.database,
            auth.role(*REPORT_ROLES),
            services.settings.support.hours(),
            encoder=services.encoder,
        )
    )
    app.include_router(survey_answers_router(services.database, auth.role(*REPORT_ROLES), trail))
    app.include_router(
        widget_sessions_router(
            services.database,
            services.hub,
            auth.any_staff(),
            auth.role("admin"),
            trail,
            services.revocations,
        )
    )
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
