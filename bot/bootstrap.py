"""The composition root: the one place real adapters and stores are plugged together.

Tests call `bootstrap` with fakes (a recording sender, a scripted dialogue).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.delivery import DeliveryWorker, RetryPolicy
from bot.dialogue import Dialogue, RuleDialogue
from bot.engine import ConversationEngine
from bot.settings import Settings
from channels.messages import Channel
from channels.ports import ChannelSender
from channels.web import SessionHub, SessionSigner, WebChatSender
from crm_store import Database, upgrade
from crm_store.errors import StoreError
from crm_store.migrate import pending_migrations


@dataclass
class Services:
    settings: Settings
    database: Database
    engine: ConversationEngine
    worker: DeliveryWorker
    hub: SessionHub
    signer: SessionSigner


def open_database(settings: Settings, *, migrate: bool | None = None) -> Database:
    """The configured database, migrated first where settings say so, checked current."""
    if migrate if migrate is not None else settings.migrate_on_start:
        upgrade(settings.database_url)
    database = Database(settings.database_url, echo=settings.database.echo)
    if pending_migrations(database):
        database.dispose()
        raise StoreError(
            "the database schema is not up to date: run `switchboard db upgrade` "
            "(or set SWITCHBOARD_DATABASE__AUTO_MIGRATE=true)"
        )
    return database


def bootstrap(
    settings: Settings,
    *,
    senders: Mapping[Channel, ChannelSender] | None = None,
    dialogue: Dialogue | None = None,
    migrate: bool | None = None,
) -> Services:
    database = open_database(settings, migrate=migrate)
    hub = SessionHub()
    all_senders: dict[Channel, ChannelSender] = {Channel.WEB: WebChatSender(hub)}
    all_senders.update(senders or {})
    delivery = settings.delivery
    worker = DeliveryWorker(
        database,
        all_senders,
        policy=RetryPolicy(
            max_attempts=delivery.max_attempts,
            base_delay_seconds=delivery.base_delay_seconds,
            max_delay_seconds=delivery.max_delay_seconds,
        ),
        lease_seconds=delivery.lease_seconds,
        poll_interval_seconds=delivery.poll_interval_seconds,
    )
    engine = ConversationEngine(database, dialogue or RuleDialogue(), outbox_written=worker.wake)
    signer = SessionSigner(
        settings.webchat_secret(), max_age_seconds=settings.webchat.session_ttl_seconds
    )
    return Services(settings, database, engine, worker, hub, signer)
