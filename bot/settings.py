"""Settings, read from the environment (prefix SWITCHBOARD_, nesting with __).

Built inside `create_app` / the CLI, never at import. Lower packages get plain values
(a URL, a path, a number), never this object.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.business_hours import BusinessHours, other_days
from bot.conversation.turn_queue import TURNS_AT_ONCE
from bot.delivery.queue import RetryPolicy
from bot.surveys import SurveyPolicy
from bot.surveys.asking import RatingUrl
from crm_store.database import DEFAULT_POOL_SIZE

MIN_SECRET_LENGTH = 32


SUPPORTED_DATABASE_DRIVERS = ("postgresql", "postgresql+psycopg", "sqlite", "sqlite+pysqlite")
DATABASE_URL_FORMS = (
    "use postgresql+psycopg://user:password@host:5432/database "
    "or sqlite:////absolute/path/switchboard.db"
)


class DatabaseSettings(BaseModel):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite file switchboard.db in the data dir",
    )
    auto_migrate: bool | None = Field(
        default=None,
        description="apply migrations at server start; default: yes for SQLite, no otherwise",
    )
    echo: bool = Field(default=False, description="log every SQL statement")
    busy_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="SQLite: how long a write waits for another's lock before failing",
    )
    retry_after_seconds: int = Field(
        default=5,
        ge=1,
        description="the Retry-After of the 503 answered while the database is unavailable",
    )
    pool_size: int = Field(
        default=DEFAULT_POOL_SIZE,
        ge=1,
        le=200,
        description="connections each process keeps open, and the threads that run the "
        "store's transactions (so no thread waits for a connection)",
    )

    @field_validator("url")
    @classmethod
    def _a_database_switchboard_runs_on(cls, url: str | None) -> str | None:
        """PostgreSQL through psycopg 3 or SQLite, the two the store is built and tested
        on; anything else failed at the first connection with a traceback (a missing
        dialect or driver module). `postgres://`, the scheme many hosting providers hand
        out, is read as PostgreSQL, as libpq reads it."""
        if not url:
            return url
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgres://")
        try:
            driver = make_url(url).drivername
        except ArgumentError:
            raise ValueError(f"is not a database URL; {DATABASE_URL_FORMS}") from None
        if driver not in SUPPORTED_DATABASE_DRIVERS:
            raise ValueError(f"{driver!r} is not supported; {DATABASE_URL_FORMS}")
        return url


class ProcessesSettings(BaseModel):
    """Several server processes on one PostgreSQL (README "Scaling out")."""

    resync_seconds: float = Field(
        default=10.0,
        gt=0,
        description="how often every live widget socket reads the store again, in case a "
        "wake-up (LISTEN/NOTIFY) was lost",
    )
    lease_retry_seconds: float = Field(
        default=5.0,
        gt=0,
        description="how often a process tries for a singleton's lease (the mail poller): "
        "the longest the work pauses when its process dies",
    )
    turns_at_once: int = Field(
        default=TURNS_AT_ONCE,
        ge=1,
        le=10_000,
        description="inbound messages a process works on at once; the others wait their "
        "turn in arrival order",
    )


class WebChatSettings(BaseModel):
    secret_key: SecretStr | None = Field(
        default=None,
        description="signs widget session tokens; development generates one in the data dir",
    )
    identity_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key the host site signs signed-in users' emails with; "
        "development default: derived from the widget secret; production: off unless set",
    )
    session_ttl_seconds: int = Field(default=30 * 24 * 3600, gt=0)
    max_text_length: int = Field(default=4000, gt=0)


class DeliverySettings(BaseModel):
    max_attempts: int | None = Field(
        default=None,
        ge=1,
        description="an optional cap on tries; unset (the default): only the retry window "
        "ends retries, so an outage costs time, not attempts",
    )
    base_delay_seconds: float = Field(default=1.0, gt=0, description="first retry delay")
    max_delay_seconds: float = Field(default=300.0, gt=0, description="cap on retry delay")
    retry_window_seconds: float = Field(
        default=6 * 3600.0,
        gt=0,
        description="a send is retried (backoff, jitter, Retry-After) for this long after "
        "it was queued, then parked as dead, alerted and listed; the default of channels "
        "without a window of their own",
    )
    sms_retry_window_seconds: float | None = Field(
        default=None, gt=0, description="the retry window of SMS sends; unset: the default"
    )
    email_retry_window_seconds: float | None = Field(
        default=None, gt=0, description="the retry window of email sends; unset: the default"
    )
    slack_retry_window_seconds: float | None = Field(
        default=None,
        gt=0,
        description="the retry window of Slack calls (cards, thread messages); unset: the "
        "default, long enough for Slack to come back",
    )
    poll_interval_seconds: float = Field(
        default=30.0,
        gt=0,
        description="the longest an idle queue worker sleeps: it wakes when its next row "
        "falls due or a row is queued, and at least this often (the safety net)",
    )
    lease_seconds: float = Field(
        default=60.0, gt=0, description="a claimed send not finished by then is retried"
    )
    shutdown_grace_seconds: float = Field(
        default=10.0, ge=0, description="at shutdown, wait this long for sends in flight"
    )

    def retry_policy(self, window_seconds: float | None = None) -> RetryPolicy:
        """A delivery queue's retry policy, with `window_seconds` or the default window."""
        return RetryPolicy(
            max_attempts=self.max_attempts,
            base_delay_seconds=self.base_delay_seconds,
            max_delay_seconds=self.max_delay_seconds,
            retry_window_seconds=window_seconds or self.retry_window_seconds,
        )

    def channel_policies(self) -> dict[str, RetryPolicy]:
        """The outbox's retry policy per channel that has a window of its own."""
        windows = {"sms": self.sms_retry_window_seconds, "email": self.email_retry_window_seconds}
        return {name: self.retry_policy(w) for name, w in windows.items() if w is not None}

    def slack_policy(self) -> RetryPolicy:
        """The Slack call queue's retry policy."""
        return self.retry_policy(self.slack_retry_window_seconds)


class WebhookSettings(BaseModel):
    """Outbound webhooks (bot/webhooks/): how long a delivery is retried, when a failing
    subscription is turned off, and which hosts on private networks may be called."""

    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="hosts (JSON list) that may resolve to loopback or private addresses; "
        "every other webhook URL must resolve to public addresses only",
    )
    timeout_seconds: float = Field(default=10.0, gt=0, le=60, description="wait for an answer")
    retry_window_seconds: float = Field(
        default=72 * 3600.0,
        gt=0,
        description="a delivery is retried this long, then dead; longer than "
        "`disable_after_seconds`, so a receiver that is down stops its subscription (whose "
        "events then wait to be sent when it is turned on again) before its events die",
    )
    max_delay_seconds: float = Field(
        default=3600.0, gt=0, description="the longest wait between two tries"
    )
    disable_after_seconds: float = Field(
        default=24 * 3600.0,
        gt=0,
        description="a subscription whose every try failed for this long is turned off",
    )

    def retry_policy(self, base_delay_seconds: float) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=None,
            base_delay_seconds=base_delay_seconds,
            max_delay_seconds=self.max_delay_seconds,
            retry_window_seconds=self.retry_window_seconds,
        )


class SweeperSettings(BaseModel):
    """Inbound messages recorded but never answered (a crash between the engine's two
    transactions, or a database failure at the second) are answered by the sweeper."""

    grace_seconds: float = Field(
        default=60.0,
        gt=0,
        description="the intake's lease: a message unanswered this long after it was "
        "received is stranded and the sweeper answers it",
    )
    lease_seconds: float = Field(
        default=60.0, gt=0, description="a sweeper's claim on a message; then another may try"
    )
    max_attempts: int = Field(
        default=5,
        ge=1,
        description="tries before a message is marked unanswered (logged, shown on /healthz)",
    )
    retry_delay_seconds: float = Field(
        default=30.0, gt=0, description="first delay between tries; doubles up to 10 minutes"
    )
    poll_interval_seconds: float = Field(
        default=30.0,
        gt=0,
        description="the longest the sweeper sleeps: it wakes when the next message's "
        "grace ends (kept below the grace, a message received meanwhile is not late)",
    )

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts,
            base_delay_seconds=self.retry_delay_seconds,
            max_delay_seconds=max(600.0, self.retry_delay_seconds),
        )


class NluSettings(BaseModel):
    """The NLU layer (nlu/). Fields belong to that layer's issue."""

    model_dir: Path | None = Field(
        default=None,
        description="trained NLU model; default: the shipped demo model, trained at first start",
    )
    api_token: SecretStr | None = Field(
        default=None,
        description="POST /model/parse requires it (?token= or Bearer); unset: open in "
        "development, closed (401) in production",
    )
    backend: Literal["local", "rasa"] = Field(
        default="local", description="local: nlu/ in process; rasa: a Rasa server's /model/parse"
    )
    rasa_url: str | None = Field(
        default=None, description="the Rasa server when backend=rasa, e.g. http://rasa:5005"
    )
    rasa_token: SecretStr | None = Field(
        default=None, description="the Rasa server's --auth-token, if it has one"
    )
    spelling: bool = Field(
        default=True,
        description="correct typos against the help centre's and the training data's words "
        "before the NLU and the search read a message (the stored message is never changed)",
    )
    shop_words: list[str] = Field(
        default_factory=list,
        description="the shop's own words the spelling correction must never change, as "
        'a JSON list: product names, brands, abbreviations (["MTB", "Stormshell"]); the '
        "help centre's and the training data's words are known already",
    )
    detect_language: bool = Field(
        default=True,
        description="detect a message's language; one the help centre does not cover is "
        "told so in that language and offered a person",
    )
    max_in_scope_fallback: float = Field(
        default=0.03,
        description="the out-of-scope operating point: the share of messages about a trained "
        "intent that may go to nlu_fallback, measured on held-out folds of the training data "
        "(0.03 = 3%); the threshold follows it at start without retraining",
    )

    @field_validator("max_in_scope_fallback")
    @classmethod
    def _fallback_share(cls, value: float) -> float:
        # Refused, not clamped: 3 is someone meaning 3%, and half or more falling back is
        # no operating point. (nlu/calibration.py checks the same; importing it here would
        # load scikit-learn into every command that reads the settings.)
        if not 0.0 < value < 0.5:
            raise ValueError(
                "SWITCHBOARD_NLU__MAX_IN_SCOPE_FALLBACK is the share of in-scope messages that "
                f"may fall back, between 0 and 0.5 exclusive (0.03 means 3%); got {value!r}"
            )
        return value


class KnowledgeSettings(BaseModel):
    """The knowledge layer (knowledge/). Fields belong to that layer's issue."""

    index_dir: Path | None = Field(
        default=None, description="FAISS and lexical index; default: <data dir>/knowledge"
    )
    answer_threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="answer from the KB at or above this similarity; default: the calibrated"
        " knowledge.ANSWER_THRESHOLD",
    )
    ingest_demo: bool | None = Field(
        default=None,
        description="ingest the demo help centre at start when the KB is empty; default:"
        " in development only",
    )


class SupportSettings(BaseModel):
    """The support team's hours, told to customers when a conversation goes to a person."""

    timezone: str = Field(default="UTC", description="IANA zone of the hours, e.g. Europe/Berlin")
    opens: time = Field(default=time(9, 0), description="local opening time, HH:MM")
    closes: time = Field(default=time(17, 0), description="local closing time, HH:MM")
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default=[0, 1, 2, 3, 4], description="open days, 0 = Monday ... 6 = Sunday (JSON list)"
    )
    other_days: str = Field(
        default="",
        description='days with hours of their own, open whether or not in weekdays: "sat '
        '09:00-17:00", several apart by commas ("sat 09:00-17:00, sun 10:00-14:00")',
    )
    reply_within_minutes: int = Field(
        default=30, gt=0, description="typical first reply time during hours"
    )
    bot_resolves_after_minutes: float = Field(
        default=60.0,
        ge=0,
        description="a conversation the bot answered and the customer left this long is "
        "resolved by the bot (0: never)",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _opens_before_it_closes(self) -> SupportSettings:
        # One day's span is all BusinessHours reads (opens <= now < closes): closing
        # before opening, as for a night shift, would silently mean never open. Equal
        # times do mean that, and say so plainly (the browser tests use them).
        if self.closes < self.opens:
            raise ValueError(
                f"SWITCHBOARD_SUPPORT__CLOSES ({self.closes:%H:%M}) is before "
                f"SWITCHBOARD_SUPPORT__OPENS ({self.opens:%H:%M}): hours run within one "
                "day (hours past midnight are not supported; equal times: never open)"
            )
        return self

    @field_validator("other_days")
    @classmethod
    def _days_read(cls, value: str) -> str:
        other_days(value)
        return value

    def hours(self) -> BusinessHours:
        return BusinessHours(
            self.timezone,
            self.opens,
            self.closes,
            tuple(self.weekdays),
            self.reply_within_minutes,
            other_days(self.other_days),
        )


class SurveySettings(BaseModel):
    """Satisfaction surveys after each resolution (bot/surveys/)."""

    enabled: bool = Field(default=True, description="ask for a 1-5 rating after a resolution")
    cooldown_days: float = Field(
        default=14.0, ge=0, description="at most one survey per customer within this many days"
    )
    answer_within_hours: float = Field(
        default=72.0,
        gt=0,
        description="a digit sent (or a rating link used) this long after the question is a rating",
    )

    def policy(self, rating_url: RatingUrl | None = None) -> SurveyPolicy:
        """`rating_url`: the signed rating links of email surveys (bot/surveys/links.py)."""
        return SurveyPolicy(
            enabled=self.enabled,
            cooldown=timedelta(days=self.cooldown_days),
            answer_within=timedelta(hours=self.answer_within_hours),
            rating_url=rating_url,
        )


class AnalyticsSettings(BaseModel):
    """Lifecycle stages (analytics/README.md): the thresholds of silence after which a
    buyer is at risk and lapsed. Unset (the default): learned at each refit from the
    customer base's own purchase intervals (their 80th and 95th percentiles)."""

    at_risk_after_days: float | None = Field(
        default=None, gt=0, description="days without a purchase after which a buyer is at risk"
    )
    lapsed_after_days: float | None = Field(
        default=None, gt=0, description="days without a purchase after which a buyer has lapsed"
    )
    stages_every_hours: float = Field(
        default=1.0,
        ge=0,
        description="how often the stage job moves buyers gone silent to at risk and lapsed "
        "(0: never; refits still do)",
    )

    @model_validator(mode="after")
    def _lapsed_after_at_risk(self) -> AnalyticsSettings:
        at_risk, lapsed = self.at_risk_after_days, self.lapsed_after_days
        if at_risk is not None and lapsed is not None and lapsed <= at_risk:
            raise ValueError("ANALYTICS__LAPSED_AFTER_DAYS must be more than AT_RISK_AFTER_DAYS")
        return self


class CampaignSettings(BaseModel):
    """Campaign sends (engagement/): the rules checked at the moment of sending."""

    quiet_hours_start: time = Field(default=time(21, 0), description="local time, HH:MM")
    quiet_hours_end: time = Field(default=time(8, 0), description="local time, HH:MM")
    company_timezone: str | None = Field(
        default=None,
        description="zone of customers with no other clue (default: SUPPORT__TIMEZONE)",
    )
    frequency_cap: int | None = Field(
        default=2, ge=0, description="marketing messages per customer per window; null: none"
    )
    frequency_window_days: int = Field(default=7, gt=0)
    marketing_needs_opt_in: bool = Field(
        default=True, description="marketing only to addresses that granted it (opt-in)"
    )
    holdout_salt: str = Field(default="switchboard-holdout", min_length=1)
    sms_per_second: float = Field(default=10.0, gt=0, description="Twilio sends per second")
    email_per_second: float = Field(default=20.0, gt=0, description="SMTP sends per second")
    poll_interval_seconds: float = Field(default=5.0, gt=0, description="scheduler passes")

    @field_validator("company_timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class StaffSettings(BaseModel):
    """What staff get outside Slack: the signed handoff page, the dashboard, phone search."""

    handoff_link_ttl_seconds: int = Field(
        default=24 * 3600,
        gt=0,
        le=30 * 24 * 3600,
        description="how long the handoff card's signed page link works",
    )
    session_ttl_seconds: int = Field(
        default=8 * 3600,
        gt=0,
        le=7 * 24 * 3600,
        description="how long a sign-in to the staff dashboard (/staff/) lasts",
    )
    default_phone_region: str = Field(
        default="US",
        pattern=r"^[A-Z]{2}$",
        description="region of phone numbers searched without a country code (ISO 3166)",
    )

    @field_validator("default_phone_region")
    @classmethod
    def _a_region_with_phone_numbers(cls, region: str) -> str:
        """A region phonenumbers knows: `XX` passed the pattern, and every search for a
        number without a country code then told staff it was "not a phone number
        (Missing or invalid default region)"."""
        import phonenumbers  # here, not at import: settings are read before anything loads

        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("not a region with phone numbers (ISO 3166 alpha-2: US, GB, DE)")
        return region


class EmailSettings(BaseModel):
    """The email channel (channels/email/): IMAP or a relay webhook in, SMTP out."""

    imap_host: str | None = Field(default=None, description="poll this IMAP server when set")
    imap_port: int | None = Field(default=None, description="default: 993 with TLS, else 143")
    imap_user: str | None = None
    imap_password: SecretStr | None = None
    imap_folder: str = "INBOX"
    imap_tls: bool = Field(default=True, description="implicit TLS (IMAPS)")
    imap_poll_seconds: float = Field(default=30.0, gt=0)
    inbound_token: SecretStr | None = Field(
        default=None, description="bearer token of POST /webhooks/email/inbound; unset: no route"
    )
    max_message_bytes: int = Field(
        default=10 * 1024 * 1024, gt=0, description="larger mails: 413 (webhook), header only"
    )
    smtp_host: str | None = Field(default=None, description="send mail through this server")
    smtp_port: int | None = Field(default=None, description="default: 465 with SSL, else 587")
    smtp_user: str | None = Field(default=None, description="no login when unset")
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_ssl: bool = Field(default=False, description="implicit TLS (port 465)")
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    ca_file: str | None = Field(
        default=None, description="CA bundle for IMAP/SMTP TLS; default: the system's"
    )
    from_address: str | None = Field(default=None, description="e.g. support@example.com")
    from_name: str | None = Field(default=None, description="e.g. Example Support")
    reply_to_token: bool = Field(
        default=True, description="Reply-To support+<token>@..., so replies thread"
    )
    max_replies_per_hour: int = Field(
        default=5, ge=0, description="automatic replies per sender per hour"
    )
    max_mime_depth: int = Field(
        default=20, ge=1, description="mail nesting MIME parts deeper is refused, not retried"
    )
    trusted_authserv_ids: str = Field(
        default="",
        description="authserv-ids whose Authentication-Results prove a sender, comma- or "
        "space-separated (e.g. mx.google.com; *.example.com for its subdomains); unset: "
        "every From address is a claim",
    )
    unverified_replies_per_hour: int = Field(
        default=10,
        ge=0,
        description="automatic replies per hour, all together, to unverified senders not on file",
    )

    @property
    def imap_enabled(self) -> bool:
        return self.imap_host is not None

    @property
    def trusted_receivers(self) -> frozenset[str]:
        """The trusted authserv-ids, lower-case."""
        return frozenset(
            part.lower() for part in self.trusted_authserv_ids.replace(",", " ").split() if part
        )

    @property
    def smtp_enabled(self) -> bool:
        return self.smtp_host is not None

    @model_validator(mode="after")
    def _complete(self) -> EmailSettings:
        if self.imap_host and not (self.imap_user and self.imap_password):
            raise ValueError(
                "SWITCHBOARD_EMAIL__IMAP_USER and __IMAP_PASSWORD must be set with __IMAP_HOST"
            )
        if (self.imap_host or self.smtp_host or self.inbound_token) and not self.from_address:
            raise ValueError(
                "SWITCHBOARD_EMAIL__FROM_ADDRESS (the support address) must be set for email"
            )
        if self.from_address and "@" not in self.from_address:
            raise ValueError("SWITCHBOARD_EMAIL__FROM_ADDRESS must be an address: name@domain")
        return self


class TwilioSettings(BaseModel):
    """SMS through Twilio (channels/sms/). Off unless account, token and a sender are set."""

    account_sid: str | None = Field(default=None, description="the Twilio account (AC...)")
    auth_token: SecretStr | None = Field(
        default=None, description="signs Twilio's webhooks and authenticates API calls"
    )
    from_number: str | None = Field(default=None, description="the number replies come from")
    messaging_service_sid: str | None = Field(
        default=None, description="a Messaging Service (MG...) to send from instead"
    )
    api_base_url: str = Field(
        default="https://api.twilio.com", description="where the Twilio REST API is reached"
    )
    help_text: str = Field(
        default="Support by text: reply with your question and our bot or team will answer. "
        "Reply STOP to unsubscribe. Msg & data rates may apply.",
        min_length=1,
        max_length=1600,
        description="the answer to HELP",
    )
    max_message_chars: int = Field(
        default=1600, ge=160, le=1600, description="longer replies are cut to a summary + link"
    )

    @property
    def configured(self) -> bool:
        return bool(
            self.account_sid
            and self.auth_token
            and (self.from_number or self.messaging_service_sid)
        )


class SlackSettings(BaseModel):
    """The Slack channel (channels/slack/): off while no bot token is set."""

    bot_token: SecretStr | None = Field(
        default=None, description="the app's bot token (xoxb-...); unset = Slack is off"
    )
    signing_secret: SecretStr | None = Field(
        default=None, description="verifies Slack's requests (Basic Information > Signing Secret)"
    )
    handoff_channel: str | None = Field(
        default=None, description="channel id the handoff cards go to, e.g. C0123456789"
    )
    api_base_url: str = Field(
        default="https://slack.com/api/", description="Slack Web API base URL"
    )
    timeout_seconds: int = Field(default=10, gt=0, description="per Slack Web API call")

    @field_validator("bot_token", "signing_secret", "handoff_channel", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """docker compose passes `${VAR:-}` as an empty string: that means not set."""
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def enabled(self) -> bool:
        return self.bot_token is not None


class EncoderSettings(BaseModel):
    """The sentence encoder shared by knowledge and NLU (knowledge/embeddings.py)."""

    # onnx-int8 halves the encoder's CPU, but moves the similarities the knowledge base's
    # and router's thresholds were set on with the float model: the dialogue evaluation
    # lost 15 messages and gained 1 (bench/README.md, "An int8 encoder"). Not the default.
    backend: Literal["onnx", "onnx-int8", "torch"] = Field(
        default="onnx",
        description="onnx: ONNX Runtime on an export made once into cache_dir; onnx-int8:"
        " the same with int8 weights (its own export); torch: PyTorch",
    )
    cache_dir: Path | None = Field(
        default=None,
        description="where the ONNX export is kept; default: ~/.cache/switchboard/encoders"
        " ($XDG_CACHE_HOME is honoured)",
    )
    # One: a server process encodes one message (or a small batch) at a time, where a
    # second ONNX thread cost more CPU than it saved time (bench/README.md, "A turn's
    # CPU"), and a machine's cores are used by a process each (`serve --workers N`).
    threads: int = Field(
        default=1, ge=1, le=64, description="ONNX Runtime threads for one encoding (onnx only)"
    )


class Rate(BaseModel):
    """One rate limit as a token bucket: `burst` requests at once, then `per_minute`.

    Set both together, as JSON: SWITCHBOARD_RATE_LIMITS__NLU_PARSE='{"per_minute": 600,
    "burst": 60}'."""

    per_minute: float = Field(gt=0, description="requests per minute, sustained")
    burst: int = Field(ge=1, description="requests allowed at once before the rate applies")


class RateLimitSettings(BaseModel):
    """Request limits, kept in each process's memory (bot/api/rate_limits.py): with N
    processes behind a balancer a client spread over them gets up to N times these.
    The defaults sit far above a busy person's pace (measured by bench/rate_limits.py)."""

    enabled: bool = Field(default=True, description="false: no rate limits at all")
    trusted_proxies: list[str] = Field(
        default=[],
        description="addresses or networks of reverse proxies whose X-Forwarded-For names "
        'the client (JSON list, e.g. ["10.0.0.0/8"]); from anyone else it is ignored',
    )
    webchat_sessions: Rate = Field(
        default=Rate(per_minute=30, burst=60),
        description="new widget sessions per client address (IPv6: per /64)",
    )
    webchat_messages: Rate = Field(
        default=Rate(per_minute=60, burst=30),
        description="messages per widget session, over HTTP and the WebSocket together",
    )
    staff_api: Rate = Field(
        default=Rate(per_minute=600, burst=120), description="staff API requests per staff token"
    )
    nlu_parse: Rate = Field(
        default=Rate(per_minute=600, burst=60),
        description="POST /model/parse requests per client address",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"trusted_proxies: {entry!r} is not an address or network"
                ) from exc
        return value


class DemoSettings(BaseModel):
    """The demo page at `/` (demo/), served in development only."""

    enabled: bool = Field(
        default=False,
        description="the demo page signs the seed's demo customers' identities for the "
        "widget, so anyone who reaches the server can chat as them; `make run` turns it "
        "on; refused in production",
    )


class CorsSettings(BaseModel):
    """Which other origins' pages may call the API from a browser. The widget's API
    (`/api/v1/webchat/`) is open to every origin: the widget runs on customers' sites
    and authenticates with its bearer token, not cookies."""

    staff_origins: list[str] = Field(
        default=[],
        description="origins (scheme://host[:port], JSON list) whose pages may call the "
        "staff API; default: none",
    )

    @field_validator("staff_origins")
    @classmethod
    def _exact_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            scheme, _, rest = origin.partition("://")
            if scheme not in ("http", "https") or not rest or "/" in rest or "*" in rest:
                raise ValueError(
                    f"SWITCHBOARD_CORS__STAFF_ORIGINS: {origin!r} is not an origin like "
                    "https://admin.example.com (no path, no wildcard)"
                )
        return origins


class ChannelCheckSettings(BaseModel):
    """Each configured channel checked against its provider at start and while running
    (bot/wiring/channel_health.py); a failing check is reported, never fatal."""

    timeout_seconds: float = Field(
        default=5.0, gt=0, description="per check; the start waits at most this long for them"
    )
    failing_every_seconds: float = Field(
        default=120.0, gt=0, description="a failing channel is checked again this often"
    )
    passing_every_seconds: float = Field(
        default=1800.0, ge=0, description="a passing channel is checked again this often; 0: never"
    )


class LogSettings(BaseModel):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "text"] = "json"


class PrivacySettings(BaseModel):
    """Erasure and retention (bot/erasure/). Retention is off by default (decided): how
    long a company keeps conversations is its own policy (law, contracts, its customers'
    expectations), and history erased by a default nobody chose cannot come back. Set
    e.g. `SWITCHBOARD_PRIVACY__CONVERSATIONS_MONTHS=24`."""

    erasure_key: SecretStr | None = Field(
        default=None,
        description="key of the tombstones' hashes of erased identifiers; unset: derived "
        "from the widget secret (set it in production, so rotating that secret keeps the "
        "tombstones matching)",
    )
    erasure_retry_window_seconds: float = Field(
        default=7 * 24 * 3600.0, gt=0, description="an erasure step is retried this long"
    )
    conversations_months: int | None = Field(
        default=None, ge=1, description="conversations resolved longer ago lose their texts"
    )
    attachments_months: int | None = Field(
        default=None,
        ge=1,
        description="messages older than this lose what they said about attachments (mail "
        "attachments' names, Twilio media links); no attachment file is kept on disk",
    )
    closed_tickets_months: int | None = Field(
        default=None, ge=1, description="tickets closed longer ago lose their texts"
    )
    retention_every_hours: float = Field(default=24.0, gt=0, description="how often it runs")
    mail_relay_keeps_days: int = Field(
        default=30,
        ge=0,
        description="how long the inbound mail relay (the webhook's provider) keeps mail: "
        "reported as not reachable for that long, as it has no deletion API here",
    )
    twilio_keeps_days: int = Field(
        default=400,
        ge=0,
        description="how long Twilio keeps message logs when Twilio is not configured here "
        "to delete them (reported as not reachable)",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SWITCHBOARD_", env_nested_delimiter="__", extra="ignore"
    )

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Field(default=Path("var"), description="SQLite file and other state")
    public_base_url: str | None = Field(
        default=None, description="the URL providers and browsers reach this server at"
    )
    max_body_bytes: int = Field(default=64 * 1024, gt=0, description="largest request body")
    max_json_depth: int = Field(
        default=32, ge=2, description="JSON bodies and widget frames nested deeper: 400"
    )
    database: DatabaseSettings = DatabaseSettings()
    webchat: WebChatSettings = WebChatSettings()
    delivery: DeliverySettings = DeliverySettings()
    sweeper: SweeperSettings = SweeperSettings()
    nlu: NluSettings = NluSettings()
    knowledge: KnowledgeSettings = KnowledgeSettings()
    support: SupportSettings = SupportSettings()
    staff: StaffSettings = StaffSettings()
    email: EmailSettings = EmailSettings()
    twilio: TwilioSettings = TwilioSettings()
    slack: SlackSettings = SlackSettings()
    encoder: EncoderSettings = EncoderSettings()
    log: LogSettings = LogSettings()
    checks: ChannelCheckSettings = ChannelCheckSettings()
    rate_limits: RateLimitSettings = RateLimitSettings()
    demo: DemoSettings = DemoSettings()
    cors: CorsSettings = CorsSettings()
    webhooks: WebhookSettings = WebhookSettings()
    privacy: PrivacySettings = PrivacySettings()
    surveys: SurveySettings = SurveySettings()
    campaigns: CampaignSettings = CampaignSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    processes: ProcessesSettings = ProcessesSettings()

    @field_validator("public_base_url")
    @classmethod
    def _an_absolute_url(cls, url: str | None) -> str | None:
        """An http(s) address with a host. `localhost:8000` or `example.com` was taken
        as given: every survey, unsubscribe and handoff-page link then lacked a scheme
        (a browser opens it as a relative path) and Twilio's signatures, checked against
        this URL, failed on every webhook, with nothing said at start. Empty is unset."""
        if not url:
            return url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"{url!r} is not an absolute URL: give the scheme and host browsers and "
                "providers reach this server at, e.g. https://support.example.com"
            )
        if parts.query or parts.fragment:
            raise ValueError(f"{url!r}: no query or fragment, only scheme, host and path")
        return url

    @model_validator(mode="after")
    def _twilio_needs_a_public_url(self) -> Settings:
        twilio = self.twilio
        if (twilio.account_sid or twilio.auth_token) and not twilio.configured:
            raise ValueError(
                "SMS needs SWITCHBOARD_TWILIO__ACCOUNT_SID, SWITCHBOARD_TWILIO__AUTH_TOKEN and "
                "SWITCHBOARD_TWILIO__FROM_NUMBER (or SWITCHBOARD_TWILIO__MESSAGING_SERVICE_SID)"
            )
        if twilio.configured and not self.public_base_url:
            raise ValueError(
                "SWITCHBOARD_PUBLIC_BASE_URL must be set when Twilio is configured: "
                "Twilio signs the public URL it calls, and status callbacks go there"
            )
        return self

    @model_validator(mode="after")
    def _rasa_backend_needs_a_url(self) -> Settings:
        if self.nlu.backend == "rasa" and not self.nlu.rasa_url:
            raise ValueError(
                "SWITCHBOARD_NLU__RASA_URL must be set when SWITCHBOARD_NLU__BACKEND=rasa"
            )
        return self

    @model_validator(mode="after")
    def _slack_needs_its_secret_and_channel(self) -> Settings:
        if self.slack.enabled and not (self.slack.signing_secret and self.slack.handoff_channel):
            raise ValueError(
                "SWITCHBOARD_SLACK__SIGNING_SECRET and SWITCHBOARD_SLACK__HANDOFF_CHANNEL must be "
                "set when SWITCHBOARD_SLACK__BOT_TOKEN is"
            )
        return self

    @model_validator(mode="after")
    def _no_demo_in_production(self) -> Settings:
        if self.demo.enabled and self.environment == "production":
            raise ValueError(
                "SWITCHBOARD_DEMO__ENABLED signs demo customers' identities for anyone: "
                "it cannot be on when SWITCHBOARD_ENVIRONMENT=production"
            )
        return self

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Settings:
        """All that production misses, one problem a line: a first deployment that set
        none of them learns of each at once, not one per attempt to start."""
        if self.environment != "production":
            return self
        problems = []
        secret = self.webchat.secret_key
        if secret is None or len(secret.get_secret_value()) < MIN_SECRET_LENGTH:
            problems.append(
                f"SWITCHBOARD_WEBCHAT__SECRET_KEY must be set, at least {MIN_SECRET_LENGTH} "
                "characters, when SWITCHBOARD_ENVIRONMENT=production "
                "(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        token = self.email.inbound_token
        if token is not None and len(token.get_secret_value()) < MIN_SECRET_LENGTH:
            problems.append(
                f"SWITCHBOARD_EMAIL__INBOUND_TOKEN must be at least {MIN_SECRET_LENGTH} "
                "characters when SWITCHBOARD_ENVIRONMENT=production"
            )
        if self.database.url is None:
            problems.append(
                "SWITCHBOARD_DATABASE__URL must be set when SWITCHBOARD_ENVIRONMENT=production"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'switchboard.db').resolve()}"

    @property
    def migrate_on_start(self) -> bool:
        if self.database.auto_migrate is not None:
            return self.database.auto_migrate
        return self.database_url.startswith("sqlite")

    def ingests_demo_help_centre(self) -> bool:
        """Whether an empty knowledge base gets the demo help centre: in development unless
        `KNOWLEDGE__INGEST_DEMO=false`; in production only when set to true."""
        if self.knowledge.ingest_demo is not None:
            return self.knowledge.ingest_demo
        return self.environment == "development"

    def identity_secret(self) -> str | None:
        """The key for widget identity hashes. In development a key derived from the
        widget secret, so the demo page can sign demo customers; in production only
        an explicitly configured one."""
        if self.webchat.identity_secret is not None:
            return self.webchat.identity_secret.get_secret_value()
        if self.environment == "production":
            return None
        return hmac.new(self.webchat_secret().encode(), b"identity", hashlib.sha256).hexdigest()

    def erasure_key(self) -> bytes:
        """The key of the tombstones' hashes: the configured one, or one derived from
        the widget secret."""
        if self.privacy.erasure_key is not None:
            return self.privacy.erasure_key.get_secret_value().encode()
        return hmac.new(self.webchat_secret().encode(), b"erasure", hashlib.sha256).digest()

    def webchat_secret(self) -> str:
        """The widget signing secret; in development, one kept in the data dir."""
        if self.webchat.secret_key is not None:
            return self.webchat.secret_key.get_secret_value()
        path = self.data_dir / "webchat_secret"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()
