"""The composition root: the one place real adapters and stores are plugged together.

Tests call `bootstrap` with fakes (a recording sender, a scripted dialogue).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from rasa_sdk.executor import ActionExecutor

from actions.executor import build_executor
from bot.api.rate_limits import Clock
from bot.api.throttles import RateLimits
from bot.api.unsubscribe import UnsubscribeLinks
from bot.channel_store.email_intake import EmailIntake
from bot.channel_store.web_campaign_messages import ShownOnceFeed, StoreCarriedMessages
from bot.channel_store.widget_sessions import StoreSessionRevocations
from bot.conversation.action_runner import ActionRunner
from bot.conversation.bot_resolution import BotResolver
from bot.conversation.dialogue import Dialogue
from bot.conversation.engine import ConversationEngine
from bot.conversation.stranded import StrandedMessageSweeper
from bot.conversation.support_dialogue import SupportDialogue
from bot.conversation.turn_queue import TurnQueue
from bot.conversation.understanding import NluParser, NluUnderstander
from bot.delivery.campaign_queue import CampaignSendWorker
from bot.delivery.campaign_scheduler import CampaignScheduler
from bot.delivery.dead_alarm import SlackDeadAlarm, SlackWebhookAlarm
from bot.delivery.worker import DeliveryWorker
from bot.erasure.queue import ErasureWorker
from bot.erasure.retention import RetentionJob
from bot.handoffs import HandoffService, LoggingAgentDesk
from bot.handoffs.links import HandoffLinks
from bot.lifecycle_stages import LifecycleStageJob
from bot.settings import Settings
from bot.singletons import LeasedWorker
from bot.surveys import SurveyPolicy
from bot.surveys.links import SurveyLinks
from bot.webhooks.queue import WebhookWorker
from bot.wiring.campaigns import campaign_scheduler, campaign_sender
from bot.wiring.database import open_database
from bot.wiring.email import email_intake, email_parts, mailbox_poller, smtp_sender
from bot.wiring.erasure import erasure_worker
from bot.wiring.parts import ChannelParts
from bot.wiring.public_url import warn_if_public_url_is_local
from bot.wiring.slack import open_slack, slack_parts
from bot.wiring.sms import sms_parts, sms_reply_limits, sms_sender
from bot.wiring.web import web_parts, web_sender
from bot.wiring.words import language_detector, spelling_corrector, training_texts
from bot.workers import Worker
from channels.email import MailboxPoller
from channels.messages import Channel
from channels.ports import AgentDesk, ChannelSender
from channels.slack import SlackChannel
from channels.web import SessionHub, SessionSigner
from crm_store import Database
from crm_store.leases import lease_for
from crm_store.wakeups import KNOWLEDGE_VERSION, QUEUE_HAS_WORK, Wakeups, wakeups_for
from knowledge import ANSWER_THRESHOLD, KnowledgeBase
from knowledge.embeddings import SentenceEncoder
from knowledge.one_at_a_time import one_process_at_a_time
from nlu import DEMO_DATA_DIR, NluModel, RasaHttpParser, ensure_demo_model

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    database: Database
    engine: ConversationEngine
    worker: DeliveryWorker
    hub: SessionHub
    signer: SessionSigner
    handoffs: HandoffService
    wakeups: Wakeups
    knowledge: KnowledgeBase | None = None
    nlu: NluParser | None = None
    email_intake: EmailIntake | None = None
    mail_poller: MailboxPoller | None = None
    slack: SlackChannel | None = None
    limits: RateLimits | None = None
    channels: list[ChannelParts] = field(default_factory=list)
    sweeper: StrandedMessageSweeper | None = None
    webhooks: WebhookWorker | None = None
    erasures: ErasureWorker | None = None
    retention: RetentionJob | None = None
    bot_resolver: BotResolver | None = None
    encoder: SentenceEncoder | None = None  # also groups the report's unanswered questions
    campaign_sender: CampaignSendWorker | None = None
    campaign_scheduler: CampaignScheduler | None = None
    # The channels campaigns can be sent on here: those with a sender.
    campaign_channels: frozenset[str] = frozenset({"web"})
    lifecycle_stages: LifecycleStageJob | None = None
    # Widget tokens revoked by staff (the web channel asks; the staff API tells).
    revocations: StoreSessionRevocations | None = None
    # Workers that must run in one process at a time, by name, each under its lease.
    singletons: dict[str, Worker] = field(default_factory=dict)

    @property
    def workers(self) -> dict[str, Worker]:
        """Every background worker: the delivery worker, the stranded-message sweeper
        and each channel's."""
        found: dict[str, Worker] = {"wakeups": self.wakeups, "delivery-worker": self.worker}
        if self.sweeper is not None:
            found["stranded-message-sweeper"] = self.sweeper
        if self.webhooks is not None:
            found["webhook-worker"] = self.webhooks
        if self.erasures is not None:
            found["erasure-worker"] = self.erasures
        if self.retention is not None and self.retention.enabled:
            found["retention-job"] = self.retention
        if self.bot_resolver is not None:
            found["bot-resolver"] = self.bot_resolver
        if self.campaign_sender is not None and self.campaign_scheduler is not None:
            found["campaign-sender"] = self.campaign_sender
            found["campaign-scheduler"] = self.campaign_scheduler
        if self.lifecycle_stages is not None:
            found["lifecycle-stages"] = self.lifecycle_stages
        found.update(self.singletons)  # run under their leases instead
        for parts in self.channels:
            found.update(parts.workers)
        return found

    def wake_queue(self, queue: str) -> None:
        """Tell a queue's worker ("outbox", "slack", "webhooks", "erasures" or "campaigns")
        that a row is due."""
        if queue == "outbox":
            self.worker.wake()
        elif queue == "webhooks" and self.webhooks is not None:
            self.webhooks.wake()
        elif queue == "slack" and self.slack is not None:
            self.slack.worker.wake()
        elif queue == "erasures" and self.erasures is not None:
            self.erasures.wake()
        elif queue == "campaigns":  # rows to send, or a campaign scheduled or moved
            if self.campaign_sender is not None:
                self.campaign_sender.wake()
            if self.campaign_scheduler is not None:
                self.campaign_scheduler.wake()

    def load_knowledge_version(self) -> None:
        """Another process published a knowledge base version: load it now, in a worker
        thread, rather than at the next search (which would check anyway)."""
        if self.knowledge is not None:
            loop = asyncio.get_running_loop()
            loop.run_in_executor(None, self.knowledge.load_current_version)

    async def aclose(self) -> None:
        if isinstance(self.nlu, RasaHttpParser):
            await self.nlu.aclose()
        self.close()

    def close(self) -> None:
        if self.knowledge is not None:
            self.knowledge.close()
        self.database.dispose()


def knowledge_dir(settings: Settings) -> Path:
    return Path(settings.knowledge.index_dir or settings.data_dir / "knowledge")


def open_encoder(settings: Settings) -> SentenceEncoder:
    """The sentence encoder shared by the knowledge base and NLU, on the configured backend."""
    return SentenceEncoder(
        backend=settings.encoder.backend,
        cache_dir=settings.encoder.cache_dir,
        threads=settings.encoder.threads,
    )


def open_knowledge(settings: Settings, encoder: SentenceEncoder) -> KnowledgeBase:
    """The knowledge base in the data dir; the demo help centre when it is empty (in
    development, or where `KNOWLEDGE__INGEST_DEMO` asks for it)."""
    knowledge = KnowledgeBase.open(knowledge_dir(settings), encoder)
    if settings.ingests_demo_help_centre():
        from demo.help_centre import ensure_demo_knowledge  # demo code only when used

        summary = ensure_demo_knowledge(knowledge)
        if summary is not None:
            log.info(
                "ingested the demo help centre",
                extra={"documents": summary.documents_added, "chunks": summary.chunks},
            )
    if knowledge.is_empty():
        # Production starts without the demo help centre: said once at start, since
        # otherwise a first deployment's bot just answers every question it has no
        # intent for with its fallback, and nothing says why.
        log.warning(
            "the knowledge base is empty: the bot answers no help-centre question until "
            "articles are ingested (`switchboard kb ingest PATH...`; README, Deploying)"
        )
    return knowledge


# Channels a verification code can be sent on (a contact change is confirmed there).
VERIFIABLE_CHANNELS = (Channel.EMAIL, Channel.SMS)


def verifiable_channels(settings: Settings) -> frozenset[str]:
    """The channels this deployment can send a verification code on, from its settings
    (for processes that write the code's message but leave the sending to a server)."""
    configured = {
        Channel.EMAIL: settings.email.smtp_enabled,
        Channel.SMS: settings.twilio.configured,
    }
    return frozenset(c.value for c in VERIFIABLE_CHANNELS if configured[c])


def action_executor(
    settings: Settings, database: Database, verifiable: frozenset[str]
) -> ActionExecutor:
    """The rasa-sdk executor with Switchboard's actions on the store: the one the bot runs
    in-process and the one `switchboard actions serve` offers to a Rasa server."""
    return build_executor(
        database,
        availability=settings.support.hours().availability,
        verifiable_channels=verifiable,
    )


def open_nlu(settings: Settings, encoder: SentenceEncoder) -> NluParser:
    """The NLU parser: a Rasa server, the model in NLU__MODEL_DIR, or the demo model
    (trained from nlu/data into the data dir at first start, seven small fits:
    about 15 s on a shared 2-core machine)."""
    nlu = settings.nlu
    if nlu.backend == "rasa":
        assert nlu.rasa_url is not None  # the settings validator makes sure
        token = nlu.rasa_token.get_secret_value() if nlu.rasa_token else None
        return RasaHttpParser(nlu.rasa_url, token)
    share = nlu.max_in_scope_fallback  # the threshold follows it (nlu/model.py)
    if nlu.model_dir is not None:
        return NluModel.load(nlu.model_dir, encoder, max_in_scope_fallback=share)
    return ensure_demo_model(settings.data_dir / "nlu-model", encoder, max_in_scope_fallback=share)


def open_understander(
    settings: Settings, parser: NluParser, knowledge: KnowledgeBase
) -> NluUnderstander:
    """The NLU with spelling correction and language detection, as the settings ask."""
    speller = None
    if settings.nlu.spelling:
        speller = spelling_corrector(
            training_texts(DEMO_DATA_DIR) + knowledge.texts(), settings.nlu.shop_words
        )
    languages = language_detector() if settings.nlu.detect_language else None
    return NluUnderstander(parser, speller=speller, languages=languages)


def queued_here(wakeups: Wakeups, queue: str) -> None:
    """A transaction in this process queued rows on `queue` (a reply, a webhook event,
    ...): this process's worker takes them, and the other processes need not wake (their
    safety-net poll covers this one's crash). A campaign scheduled or moved is for every
    process: the scheduler runs in one of them, the senders in all."""
    if queue == "campaigns":
        wakeups.announce(QUEUE_HAS_WORK, queue)
    else:
        wakeups.wake_here(QUEUE_HAS_WORK, queue)


def stranded_message_sweeper(
    settings: Settings, database: Database, engine: ConversationEngine
) -> StrandedMessageSweeper:
    """The worker that answers messages a crash or a database failure left unanswered."""
    sweeper = settings.sweeper
    return StrandedMessageSweeper(
        database,
        engine,
        policy=sweeper.retry_policy(),
        lease_seconds=sweeper.lease_seconds,
        poll_interval_seconds=sweeper.poll_interval_seconds,
    )


def survey_policy(settings: Settings) -> SurveyPolicy:
    """The survey settings, with signed rating links in email surveys when the server
    has a public URL for them to open."""
    if not settings.public_base_url:
        return settings.surveys.policy()
    links = SurveyLinks(settings.webchat_secret(), settings.public_base_url)
    return settings.surveys.policy(rating_url=links.url)


def bootstrap(
    settings: Settings,
    *,
    senders: Mapping[Channel, ChannelSender] | None = None,
    dialogue: Dialogue | None = None,
    migrate: bool | None = None,
    encoder: SentenceEncoder | None = None,
    deliver_only: frozenset[Channel] | None = None,
    desk: AgentDesk | None = None,
    clock: Clock = time.monotonic,
) -> Services:
    """Build everything from settings. Without a `dialogue`, the support dialogue is
    built on the knowledge base, which loads the sentence encoder unless one is given.
    `clock` is the rate limits' clock (tests drive it by hand)."""
    database = open_database(settings, migrate=migrate)
    warn_if_public_url_is_local(settings)
    wakeups = wakeups_for(database.url, poll_seconds=settings.processes.resync_seconds)
    hub = SessionHub(wakeups)
    all_senders: dict[Channel, ChannelSender] = {Channel.WEB: web_sender(hub)}
    if settings.email.smtp_enabled:
        links = UnsubscribeLinks(settings.webchat_secret(), settings.public_base_url or "")
        all_senders[Channel.EMAIL] = smtp_sender(
            settings.email, database, links.url if settings.public_base_url else None
        )
    sms = sms_sender(settings)
    if sms is not None:
        all_senders[Channel.SMS] = sms
    all_senders.update(senders or {})
    delivery = settings.delivery
    worker = DeliveryWorker(
        database,
        all_senders,
        policy=delivery.retry_policy(),
        channel_policies=delivery.channel_policies(),
        lease_seconds=delivery.lease_seconds,
        poll_interval_seconds=delivery.poll_interval_seconds,
        only=deliver_only,
    )
    knowledge = None
    parser: NluParser | None = None
    understander: NluUnderstander | None = None
    if dialogue is None:
        encoder = encoder or open_encoder(settings)
        # Processes sharing the data dir (`serve --workers`, replicas on one volume)
        # take turns: the first trains the demo model / ingests the demo help centre,
        # the others then load what it wrote.
        waiting = f"waiting for another process to prepare {settings.data_dir}"
        with one_process_at_a_time(settings.data_dir / "prepare.lock", waiting):
            knowledge = open_knowledge(settings, encoder)
            parser = open_nlu(settings, encoder)
        threshold = settings.knowledge.answer_threshold
        executor = action_executor(
            settings,
            database,
            frozenset(c.value for c in all_senders if c in VERIFIABLE_CHANNELS),
        )
        understander = open_understander(settings, parser, knowledge)
        dialogue = SupportDialogue(
            knowledge,
            threshold=ANSWER_THRESHOLD if threshold is None else threshold,
            actions=ActionRunner(executor),
            understander=understander,
        )
    slack = open_slack(settings, database) if desk is None else None
    if slack is not None and settings.slack.handoff_channel is not None:
        worker.outbox.alarm = SlackDeadAlarm(
            database, settings.slack.handoff_channel, slack.worker.wake
        )
    handoffs = HandoffService(
        database,
        desk or (slack.desk if slack is not None else LoggingAgentDesk()),
        outbox_written=worker.wake,
        public_base_url=settings.public_base_url or "",
        links=HandoffLinks(
            settings.webchat_secret(),
            max_age_seconds=settings.staff.handoff_link_ttl_seconds,
            base_url=settings.public_base_url or "",
        ),
        surveys=survey_policy(settings),
        # A test's recording web sender sees the sends instead.
        live_channels={Channel.WEB.value: hub.new_messages}
        if Channel.WEB not in (senders or {})
        else None,
        too_long_for=sms_reply_limits(settings),
        reachable=frozenset(c.value for c in all_senders),
    )
    worker.report_failures_to(handoffs.delivery_failed)
    engine = ConversationEngine(
        database,
        dialogue,
        understander=understander or (NluUnderstander(parser) if parser is not None else None),
        outbox_written=worker.wake,
        handoffs=handoffs,
        answer_within_seconds=settings.sweeper.grace_seconds,
        surveys=survey_policy(settings),
        answered_in_response={Channel.WEB: hub.new_messages}
        if Channel.WEB not in (senders or {})  # a test's recording web sender sees sends
        else None,
        turns=TurnQueue(settings.processes.turns_at_once),
    )
    signer = SessionSigner(
        settings.webchat_secret(), max_age_seconds=settings.webchat.session_ttl_seconds
    )
    services = Services(
        settings, database, engine, worker, hub, signer, handoffs, wakeups, knowledge, parser
    )
    # Another process (or `switchboard deliveries retry`, `kb ingest`) says so.
    wakeups.on(QUEUE_HAS_WORK, services.wake_queue)
    database.on_queued(lambda queue: queued_here(wakeups, queue))
    if knowledge is not None:
        wakeups.on(KNOWLEDGE_VERSION, lambda _: services.load_knowledge_version())
        knowledge.on_publish(lambda version: wakeups.announce(KNOWLEDGE_VERSION, str(version)))
    services.slack = slack
    services.encoder = encoder
    revocations = services.revocations = StoreSessionRevocations(database, wakeups)
    services.webhooks = WebhookWorker(
        database,
        policy=settings.webhooks.retry_policy(delivery.base_delay_seconds),
        allowed_hosts=settings.webhooks.allowed_hosts,
        timeout_seconds=settings.webhooks.timeout_seconds,
        disable_after_seconds=settings.webhooks.disable_after_seconds,
        poll_interval_seconds=delivery.poll_interval_seconds,
    )
    if slack is not None and settings.slack.handoff_channel is not None:
        services.webhooks.webhooks.alarm = SlackWebhookAlarm(
            database, settings.slack.handoff_channel, slack.worker.wake
        )
    services.erasures = erasure_worker(settings, database)
    services.erasures.erasures.finished = lambda _: services.wake_queue("webhooks")
    services.retention = RetentionJob(database, settings.privacy)
    limits = services.limits = RateLimits(settings.rate_limits, clock=clock)
    services.campaign_sender = campaign_sender(settings, database, all_senders)
    services.campaign_channels = frozenset(channel.value for channel in all_senders)

    def campaign_rows_queued() -> None:  # every process's sender shares the rows
        wakeups.announce(QUEUE_HAS_WORK, "campaigns")

    services.campaign_scheduler = campaign_scheduler(settings, database, campaign_rows_queued)
    services.sweeper = stranded_message_sweeper(settings, database, engine)

    def leased(name: str, build: Callable[[], Worker]) -> LeasedWorker:
        """A singleton: `build`'s worker runs only in the process holding lease `name`."""
        retry = settings.processes.lease_retry_seconds
        return LeasedWorker(lease_for(database.url, name), build, retry_seconds=retry)

    if settings.support.bot_resolves_after_minutes > 0:

        def bot_resolver() -> BotResolver:
            return BotResolver(
                database,
                idle=timedelta(minutes=settings.support.bot_resolves_after_minutes),
                surveys=survey_policy(settings),
                outbox_written=worker.wake,
            )

        services.bot_resolver = bot_resolver()
        services.singletons["bot-resolver"] = leased("bot-resolver", bot_resolver)

    def leased_scheduler() -> CampaignScheduler:  # the one running here, to be woken
        built = campaign_scheduler(settings, database, campaign_rows_queued)
        services.campaign_scheduler = built
        return built

    services.singletons["campaign-scheduler"] = leased("campaign-scheduler", leased_scheduler)
    if settings.analytics.stages_every_hours > 0:

        def stage_job() -> LifecycleStageJob:
            found = settings.analytics
            return LifecycleStageJob(
                database,
                every_hours=found.stages_every_hours,
                at_risk_after_days=found.at_risk_after_days,
                lapsed_after_days=found.lapsed_after_days,
            )

        services.lifecycle_stages = stage_job()
        services.singletons["lifecycle-stages"] = leased("lifecycle-stages", stage_job)
    email = settings.email
    leased_poller = None
    if email.from_address is not None:
        intake = services.email_intake = email_intake(email, engine, database, handoffs.opened)
        if email.imap_enabled:
            services.mail_poller = mailbox_poller(email, intake, database)
            leased_poller = leased("mail-poller", lambda: mailbox_poller(email, intake, database))
    services.channels = [
        web_parts(
            settings,
            intake=engine,
            # Web campaign messages are shown once across the customer's sessions.
            feed=ShownOnceFeed(engine, database),
            signer=signer,
            hub=hub,
            limits=limits,
            revocations=revocations,
            carried=StoreCarriedMessages(database),
        ),
        sms_parts(settings, database, engine),
        email_parts(email, services.email_intake, leased_poller),
        slack_parts(settings, slack, handoffs),
    ]
    return services
