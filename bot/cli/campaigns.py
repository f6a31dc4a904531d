"""`switchboard campaigns ...`: segments and campaigns from a shell.

Loads only the settings and the store (no model), so it starts quickly. `run` sends in
this process (the scheduler and the sender, as `serve` runs them) until the campaigns
named are finished: for sending from a worker machine, or a deployment without the web
server."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bot.cli.help_format import WholeHelpGroup
from engagement.recipient_list import STATES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.settings import Settings
    from crm_store import Database

T = TypeVar("T")


@click.group(short_help="Segments and campaigns: preview, schedule, report.", cls=WholeHelpGroup)
def campaigns() -> None:
    """Segments and campaigns: save, preview, schedule, pause, resume, cancel, report."""


def _open() -> tuple[Settings, Database]:
    from bot.cli.main import _fail_clearly, _settings
    from bot.wiring.database import open_database
    from crm_store.wakeups import announce_queued_rows

    settings = _settings()
    database = _fail_clearly(lambda: open_database(settings))
    announce_queued_rows(database)  # a campaign scheduled or moved here: the servers look
    return settings, database


def _in_store(work: Callable[[Session, Settings], T]) -> T:
    """Run `work` in one transaction; engagement errors become one clear line."""
    from engagement.errors import CampaignStateError, InvalidCampaign

    settings, database = _open()
    try:
        with database.transaction() as session:
            return work(session, settings)
    except InvalidCampaign as exc:
        lines = [exc.reason] + [
            f"  customer {p['customer_id']}, {p['step']}: {p['error']}" for p in exc.problems
        ]
        raise click.ClickException("\n".join(lines)) from None
    except CampaignStateError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        database.dispose()


def _campaign(session: Session, campaign_id: int) -> Any:
    from crm_store.campaigns import get_campaign

    found = get_campaign(session, campaign_id)
    if found is None:
        raise click.ClickException(f"no campaign {campaign_id}")
    return found


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@campaigns.command("load")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def load(folder: Path) -> None:
    """Save the segments, campaigns and journeys of the YAML files in FOLDER (campaigns
    and journeys as drafts)."""
    from engagement.yaml_files import load_folder

    report = _in_store(lambda session, _: load_folder(session, folder))
    click.echo(f"segments: {', '.join(report.segments) or 'none'}")
    click.echo(f"campaigns: {', '.join(report.campaigns) or 'none'}")
    click.echo(f"journeys: {', '.join(report.journeys) or 'none'}")
    for problem in report.problems:
        click.echo(f"problem: {problem}", err=True)
    if report.problems:
        sys.exit(1)


@campaigns.command("segment")
@click.argument("name")
@click.option("--filter", "filter_json", required=True, help="the filter as JSON")
@click.option("--description", default=None)
def segment(name: str, filter_json: str, description: str | None) -> None:
    """Save a segment: NAME and its filter as JSON; prints its size and a sample."""
    from pydantic import ValidationError

    from crm_store.base import utcnow
    from engagement.campaign_actions import save_segment, segment_preview
    from engagement.definitions import SegmentDefinition, first_problem

    try:
        found_filter = json.loads(filter_json)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(
            f"not JSON ({exc}): {filter_json!r}", param_hint="--filter"
        ) from None
    try:
        definition = SegmentDefinition(name=name, description=description, filter=found_filter)
    except ValidationError as exc:
        raise click.ClickException(f"invalid segment: {first_problem(exc)}") from None
    found = _in_store(
        lambda session, _: segment_preview(
            session, save_segment(session, definition), now=utcnow(), sample=10
        )
    )
    _echo_json(found)


@campaigns.command("list")
def listing() -> None:
    """Every campaign with its status."""
    from crm_store.campaigns import list_campaigns

    found = _in_store(lambda session, _: list_campaigns(session))
    if not found:
        click.echo(
            "no campaigns yet: write them in YAML files and save them with "
            '`switchboard campaigns load FOLDER` (README "Campaigns")'
        )
    for c in found:
        click.echo(f"{c.id}\t{c.status}\t{c.kind}\t{'+'.join(c.steps)}\t{c.name}")


@campaigns.command("preview")
@click.argument("campaign_id", type=int)
@click.option("--sample", default=20, show_default=True, help="customer rows shown")
@click.option(
    "--limit",
    default=100_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="customers of the audience evaluated",
)
@click.option("--json", "as_json", is_flag=True, help="the whole dry run as JSON")
def preview(campaign_id: int, sample: int, limit: int, as_json: bool) -> None:
    """Dry run: who would get which step when, and why the others would not (a
    journey: each customer's steps as they would fall due if they entered now)."""
    from bot.wiring.campaigns import engagement_rules
    from crm_store.base import utcnow
    from engagement.preview import preview_campaign
    from engagement.rules import channels_off_reason

    found = _in_store(
        lambda session, settings: preview_campaign(
            session,
            _campaign(session, campaign_id),
            engagement_rules(settings),
            now=utcnow(),
            max_customers=limit,
            sample=sample,
        )
    )
    if as_json:
        _echo_json(found)
    else:
        click.echo(
            f"campaign {campaign_id} ({found['status']}), planned {found['planned_at']}: "
            f"audience {found['audience']}, evaluated {found['evaluated']}"
        )
        for step, counts in found["steps"].items():
            excluded = ", ".join(f"{r} {n}" for r, n in counts["excluded"].items()) or "none"
            click.echo(
                f"  {step}: send {counts['send_now']}, wait for quiet hours "
                f"{counts['wait_for_quiet_hours']}; excluded: {excluded}"
            )
        if found["channels_off"]:
            click.echo(f"  scheduling is refused: {channels_off_reason(found['channels_off'])}")
        for row in found["rows"]:
            what = row["at"] if row["decision"] == "send" else row["detail"]
            # A journey's steps fall due one after another: each row says when.
            due = f"\tdue {row['due']}" if found["kind"] == "journey" else ""
            click.echo(
                f"  customer {row['customer_id']}\t{row['step']}\t{row['decision']}"
                f"\t{row['reason'] or ''}{due}\t{what or ''}"
            )
    for error in found["template_errors"]:
        click.echo(
            f"template error: customer {error['customer_id']}, {error['step']}: {error['error']}",
            err=True,
        )
    if found["template_errors"]:
        sys.exit(1)


def _when_or_now(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """As `_when`, and "now" is the current time (whatever time the draft saved)."""
    if value == "now":
        from crm_store.base import utcnow

        return utcnow()
    return _when(ctx, param, value)


def _when(_: click.Context, __: click.Parameter, value: str | None) -> datetime | None:
    """An option's ISO time with its zone, read before the store is opened."""
    if value is None:
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO time, e.g. 2026-12-01T09:00+01:00"
        ) from None
    if found.tzinfo is None:
        raise click.BadParameter(f"{value!r} needs a time zone, e.g. 2026-12-01T09:00+01:00")
    return found


@campaigns.command("schedule")
@click.argument("campaign_id", type=int)
@click.option(
    "--at",
    default=None,
    callback=_when_or_now,
    help="ISO time with zone, or now (default: the time saved with it, else now)",
)
@click.option(
    "--deadline", default=None, callback=_when, help="ISO time with zone: nothing sent after it"
)
def schedule(campaign_id: int, at: datetime | None, deadline: datetime | None) -> None:
    """Schedule a draft campaign (its preview must have no template errors)."""
    from bot.wiring.campaigns import engagement_rules
    from crm_store.base import utcnow
    from engagement.campaign_actions import schedule_campaign

    found = _in_store(
        lambda session, settings: schedule_campaign(
            session,
            _campaign(session, campaign_id),
            engagement_rules(settings),
            now=utcnow(),
            at=at,
            deadline=deadline,
        )
    )
    click.echo(f"campaign {found.id} scheduled for {found.scheduled_at.isoformat()}")


def _mover(action: str) -> click.Command:
    @click.argument("campaign_id", type=int)
    def move(campaign_id: int) -> None:
        from crm_store.base import utcnow
        from engagement.campaign_actions import move_campaign

        found = _in_store(
            lambda session, _: move_campaign(
                session, _campaign(session, campaign_id), action, now=utcnow()
            )
        )
        click.echo(f"campaign {found.id} is {found.status}")

    move.__doc__ = f"{action.capitalize()} a campaign."
    return campaigns.command(action)(move)


for _action in ("pause", "resume", "cancel"):
    _mover(_action)


@campaigns.command("report")
@click.argument("campaign_id", type=int)
def report(campaign_id: int) -> None:
    """Results as JSON: sent, delivered, failed, suppressed by reason, replies,
    unsubscribes, conversions and lift against the holdout."""
    from engagement.report import campaign_report

    _echo_json(
        _in_store(lambda session, _: campaign_report(session, _campaign(session, campaign_id)))
    )


@campaigns.command("recipients")
@click.argument("campaign_id", type=int)
@click.option("--state", type=click.Choice(STATES))
@click.option("--reason", help="a suppression or failure reason, e.g. no_consent")
@click.option("--step", help="one step's rows, e.g. sms (a journey's: its step name)")
@click.option("--after-id", type=click.IntRange(min=0), default=0, help="the last id seen")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
def recipients(
    campaign_id: int,
    state: str | None,
    reason: str | None,
    step: str | None,
    after_id: int,
    limit: int,
) -> None:
    """Who the campaign was sent to, as JSON: each customer and step with the send's
    state, reason and delivery status, and the counts (`next_after_id` pages on). As
    over the API, each customer listed is an audited read: here by the system through
    the CLI (a shell has no staff user), in the transaction that read them."""
    from bot.api.audit import record_in
    from engagement.recipient_list import recipient_list

    def work(session: Session, _: Settings) -> dict[str, Any]:
        found = recipient_list(
            session,
            _campaign(session, campaign_id),
            state=state,
            reason=reason,
            step=step,
            after_id=after_id,
            limit=limit,
        )
        listed = sorted({row["customer"]["id"] for row in found["recipients"]})
        if listed:
            record_in(session, "switchboard campaigns recipients", None, "read", listed, via="cli")
        return found

    _echo_json(_in_store(work))


@campaigns.command("run")
@click.argument("campaign_ids", type=int, nargs=-1)
def run(campaign_ids: tuple[int, ...]) -> None:
    """Send in this process until CAMPAIGN_IDS are done or cancelled (none: until
    stopped). Safe beside a server and other `run`s: rows are claimed, never shared. A
    campaign that does not exist or is a draft is refused before anything runs (a draft
    would never be done, so `run` would wait for ever); one already done or cancelled
    is said, and with nothing else to run, nothing is started."""
    settings, database = _open()
    try:
        statuses = _statuses(database, campaign_ids)
        _refuse_what_would_never_finish(statuses)
        for campaign_id, status in statuses.items():
            if status in FINISHED:
                click.echo(f"campaign {campaign_id} is {status}: nothing left to send")
        if campaign_ids and all(s in FINISHED for s in statuses.values()):
            return
        asyncio.run(_run(settings, database, campaign_ids))
        if campaign_ids:
            statuses = _statuses(database, campaign_ids)
            _refuse_what_would_never_finish(statuses)
            for campaign_id, status in statuses.items():
                click.echo(f"campaign {campaign_id} is {status}")
    finally:
        database.dispose()


FINISHED = ("done", "cancelled")


def _statuses(database: Database, campaign_ids: tuple[int, ...]) -> dict[int, str | None]:
    """Each campaign's status, None for one that does not exist."""
    from crm_store.campaigns import get_campaign

    with database.transaction() as session:
        found = {i: get_campaign(session, i) for i in campaign_ids}
    return {i: (c.status if c is not None else None) for i, c in found.items()}


def _refuse_what_would_never_finish(statuses: dict[int, str | None]) -> None:
    """A campaign that does not exist, or a draft (never scheduled, or put back by the
    scheduler because its time passed too long ago), is never done: said, exit 1."""
    for campaign_id, status in statuses.items():
        if status is None:
            raise click.ClickException(f"no campaign {campaign_id}")
        if status == "draft":
            raise click.ClickException(
                f"campaign {campaign_id} is a draft, so nothing of it is sent: schedule it "
                f"first (`switchboard campaigns schedule {campaign_id}`), then run it"
            )


async def _run(settings: Settings, database: Database, campaign_ids: tuple[int, ...]) -> None:
    from anyio import to_thread

    from bot.logs import configure_logging
    from bot.wiring.bootstrap import smtp_sender
    from bot.wiring.campaigns import campaign_scheduler, campaign_sender
    from bot.wiring.sms import sms_sender
    from bot.wiring.web import web_sender
    from bot.workers import Workers
    from channels.messages import Channel
    from channels.ports import ChannelSender
    from channels.web import SessionHub
    from crm_store.campaigns import get_campaign
    from crm_store.wakeups import wakeups_for

    configure_logging(settings.log.level, settings.log.format)
    senders: dict[Channel, ChannelSender] = {}
    sms = sms_sender(settings)
    if sms is not None:
        senders[Channel.SMS] = sms
    if settings.email.smtp_enabled:
        senders[Channel.EMAIL] = smtp_sender(settings.email, database)
    # Web chat: the message is written to the store here; the wake-up reaches the
    # widget's socket in the server process that holds it (LISTEN/NOTIFY on PostgreSQL;
    # on SQLite the widget reads it at its next catch-up or visit).
    wakeups = wakeups_for(database.url, poll_seconds=settings.processes.resync_seconds)
    senders[Channel.WEB] = web_sender(SessionHub(wakeups))
    sender = campaign_sender(settings, database, senders)
    scheduler = campaign_scheduler(settings, database, sender.wake)
    workers = Workers(
        {"wakeups": wakeups, "campaign-sender": sender, "campaign-scheduler": scheduler}
    )
    workers.start()

    def finished() -> bool:
        # A draft ends the wait too: the scheduler put it back (its time passed too long
        # ago), and `run` says so when it returns.
        with database.transaction() as session:
            found = [get_campaign(session, i) for i in campaign_ids]
        return all(c is None or c.status in (*FINISHED, "draft") for c in found)

    try:
        while not (campaign_ids and await to_thread.run_sync(finished)):
            await asyncio.sleep(settings.campaigns.poll_interval_seconds)
    finally:
        await workers.stop(settings.delivery.shutdown_grace_seconds)
