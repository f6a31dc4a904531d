"""`switchboard analytics refit|report`: customer figures, lifetime value and lead scores
from a shell. Loads the settings and the store only (no model), so it starts quickly;
the defaults of every option are the analytics package's own."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.cli.help_format import WholeHelpGroup

if TYPE_CHECKING:
    from bot.settings import Settings
    from crm_store import Database


@click.group(short_help="Customer metrics, lifetime value and lead scores.", cls=WholeHelpGroup)
def analytics() -> None:
    """Customer metrics (RFM, stages, segments), lifetime value and lead scores."""


def _database(settings: Settings | None = None) -> Database:
    from bot.cli.main import _fail_clearly, _settings
    from bot.wiring.database import open_database

    found = settings or _settings()
    return _fail_clearly(lambda: open_database(found))


@analytics.command("refit")
@click.option("--horizon-weeks", default=52, show_default=True, type=click.IntRange(1, 520))
@click.option(
    "--discount-rate",
    default=0.10,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="annual rate the expected value is discounted at",
)
@click.option(
    "--margin",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="share of revenue counted as value (1: revenue)",
)
@click.option(
    "--at-risk-days",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="silence after which a customer is at risk "
    "(default: ANALYTICS__AT_RISK_AFTER_DAYS, else learned)",
)
@click.option(
    "--lapsed-days",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="silence after which a customer has lapsed "
    "(default: ANALYTICS__LAPSED_AFTER_DAYS, else learned)",
)
@click.option(
    "--lead-field",
    "lead_fields",
    multiple=True,
    help="a lead field to score on (repeat; default: all known fields)",
)
def analytics_refit(
    horizon_weeks: int,
    discount_rate: float,
    margin: float,
    at_risk_days: float | None,
    lapsed_days: float | None,
    lead_fields: tuple[str, ...],
) -> None:
    """Recompute customer metrics, refit lifetime value, rescore open leads; print the reports."""
    from analytics.clv import ValueHorizon, render_clv_report
    from analytics.customer_metrics import stage_counts
    from analytics.lead_scores import render_lead_report, score_leads
    from analytics.lead_scoring import LeadScoringSettings
    from analytics.refit import RefitSettings, refit_customers
    from bot.cli.main import _settings

    settings = _settings()
    if at_risk_days is None:
        at_risk_days = settings.analytics.at_risk_after_days
    if lapsed_days is None:
        lapsed_days = settings.analytics.lapsed_after_days
    try:
        refit_settings = RefitSettings(
            horizon=ValueHorizon(horizon_weeks, discount_rate, margin),
            at_risk_after_days=at_risk_days,
            lapsed_after_days=lapsed_days,
        )
        lead_settings = LeadScoringSettings(fields=lead_fields) if lead_fields else None
        if at_risk_days is not None and lapsed_days is not None and lapsed_days <= at_risk_days:
            raise ValueError("--lapsed-days must be more than --at-risk-days")
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    database = _database(settings)
    try:
        customers = refit_customers(database, settings=refit_settings)
        leads = score_leads(database, settings=lead_settings)
        with database.transaction() as session:
            stages = stage_counts(session)
    finally:
        database.dispose()
    t = customers.thresholds
    click.echo(f"customer metrics: {customers.customers:,} customers")
    click.echo(
        _thresholds_line(t.at_risk_after_days, t.lapsed_after_days, t.learned_from_intervals)
    )
    click.echo(f"lifecycle stages moved: {customers.stages_moved:,} customers")
    click.echo(_segments_line(customers.segment_sizes, "this refit"))
    click.echo(_stages_line(stages))
    if customers.report is None:
        click.echo(f"lifetime value: not fitted ({customers.not_fitted})")
    else:
        click.echo(render_clv_report(customers.report))
    click.echo(render_lead_report(leads.report))


@analytics.command("report")
def analytics_report() -> None:
    """Print the last lifetime-value and lead-scoring reports and the segment sizes."""
    from analytics.clv import render_clv_report
    from analytics.customer_metrics import segment_sizes, stage_counts
    from analytics.lead_scores import render_lead_report
    from analytics.model_fits import CUSTOMER_METRICS, LEAD_SCORING, LIFETIME_VALUE, latest_fit

    database = _database()
    try:
        with database.transaction() as session:
            refit = latest_fit(session, CUSTOMER_METRICS)
            value = latest_fit(session, LIFETIME_VALUE)
            leads = latest_fit(session, LEAD_SCORING)
            sizes = segment_sizes(session)
            stages = stage_counts(session)
    finally:
        database.dispose()
    if refit is None and value is None and leads is None:
        raise click.ClickException("no analytics yet: run `switchboard analytics refit`")
    computed = (refit.report.get("computed_at") if refit else None) or "never"
    click.echo(_segments_line(sizes, f"the refit at {computed[:16].replace('T', ' ')} UTC"))
    click.echo(_stages_line(stages))
    lifecycle = (refit or value).report.get("lifecycle") if (refit or value) else None
    if lifecycle:
        click.echo(
            _thresholds_line(
                lifecycle["at_risk_after_days"],
                lifecycle["lapsed_after_days"],
                lifecycle["learned_from_intervals"],
            )
        )
    if value is None:
        click.echo("lifetime value: never fitted")
    else:
        click.echo(render_clv_report(value.report))
    if leads is not None:
        click.echo(render_lead_report(leads.report))


@analytics.command("leads")
@click.option("--owner", metavar="EMAIL", help="only this sales owner's leads (their email)")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
def analytics_leads(owner: str | None, limit: int) -> None:
    """Open leads to call first, best chance of winning first, as the last refit scored
    them, after each owner's expected wins (the dashboard's "Lead scores by owner")."""
    from analytics.dashboard import (
        DashboardFilter,
        count_leads,
        lead_board,
        lead_scores,
        refit_time,
    )
    from crm_store.staff import staff_by_email

    every = DashboardFilter()
    database = _database()
    try:
        with database.transaction() as session:
            scored = refit_time(session)
            member = staff_by_email(session, owner) if owner else None
            if owner and member is None:
                raise click.ClickException(f"no staff user has the email {owner!r}")
            owner_id = member.id if member else None
            if owner_id is None:
                owners, leads = lead_board(session, every, limit=limit)
            else:
                owners, leads = (
                    [],
                    lead_scores(session, every, owner_staff_id=owner_id, limit=limit),
                )
            total = count_leads(session, every, owner_staff_id=owner_id)
    finally:
        database.dispose()
    when = f"{scored:%Y-%m-%d %H:%M} UTC" if scored else "never: run `switchboard analytics refit`"
    of = f" of {owner}" if owner else ""
    click.echo(f"{total:,} open leads{of}, scored by the refit at {when}")
    for row in owners:
        name = row["owner"]["name"] if row["owner"] else "no owner"
        click.echo(f"  {name}: {row['leads']:,} open, {row['expected_wins']:.2f} expected wins")
    if leads:
        click.echo(f"the first {len(leads)}, best chance first:")
    for lead in leads:
        chance = (
            "not scored" if lead["probability"] is None else f"{100 * lead['probability']:.1f}%"
        )
        who = lead["customer"]["name"] or f"customer #{lead['customer']['id']}"
        email = f" <{lead['customer']['email']}>" if lead["customer"]["email"] else ""
        held_by = lead["owner"]["name"] if lead["owner"] else "no owner"
        factors = "; ".join(
            f"{f['field']} = {f['value']} (x{f['odds_ratio']})" for f in lead["factors"]
        )
        click.echo(
            f"  {chance:>10}  {who}{email}, {lead['company'] or 'no company'}: {lead['status']}, "
            f"{held_by}, came by {lead['source_channel']}" + (f"; {factors}" if factors else "")
        )


def _segments_line(sizes: dict[str, int], when: str) -> str:
    # Labelled, beside the stages line: both speak of "at risk", and they measure
    # different things at different times (analytics/README.md "Segments").
    return f"segments (RFM, as of {when}; silent = the stage at_risk or lapsed then): " + ", ".join(
        f"{name} {count:,}" for name, count in sizes.items()
    )


def _stages_line(stages: dict[str, int]) -> str:
    return "lifecycle stages now (moved since by orders and the hourly stage job): " + ", ".join(
        f"{name} {count:,}" for name, count in stages.items() if count
    )


def _thresholds_line(at_risk: float, lapsed: float, learned_from: int) -> str:
    source = (
        f"learned from {learned_from:,} purchase intervals"
        if learned_from
        else "set, or the defaults for a base with under 30 purchase intervals"
    )
    return f"lifecycle: at risk after {at_risk:.0f} days, lapsed after {lapsed:.0f} days ({source})"
