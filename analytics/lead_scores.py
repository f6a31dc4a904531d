"""Scoring the store's open leads: calibrate on held-out closed leads, learn from all
closed leads, score every open lead, and write `lead_scores` and the fit report
(`model_fits`, kind lead_scoring) in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert

from analytics.lead_calibration import calibrate
from analytics.lead_features import CLOSED_STATUSES, EXCLUDED, lead_facts
from analytics.lead_scoring import LeadScoringSettings, learn
from analytics.model_fits import LEAD_SCORING, store_fit
from crm_store import Database
from crm_store.base import utcnow
from crm_store.models import LeadScore
from crm_store.summaries import OPEN_LEADS

__all__ = ["LeadScoring", "render_lead_report", "score_leads"]


@dataclass(frozen=True)
class LeadScoring:
    fit_id: int
    scored: int
    report: dict[str, Any]


def score_leads(
    database: Database, *, settings: LeadScoringSettings | None = None, now: datetime | None = None
) -> LeadScoring:
    settings = settings or LeadScoringSettings()
    now = now or utcnow()
    with database.transaction() as session:
        closed = lead_facts(session, CLOSED_STATUSES)
        open_leads = lead_facts(session, OPEN_LEADS)
    calibration = calibrate(closed, settings)
    model = learn(closed, settings)
    scores = {lead.lead_id: model.score(lead) for lead in open_leads}
    report = {
        "fitted_at": now.isoformat(timespec="seconds"),
        "closed_leads": model.closed,
        "won": model.won,
        "lost": model.lost,
        "win_rate": model.win_rate,
        "falls_back_to_prior": model.falls_back,
        "fields": list(settings.fields),
        "excluded_fields": EXCLUDED,
        "settings": {
            "smoothing": settings.smoothing,
            "min_closed_leads": settings.min_closed_leads,
            "prior_win_rate": settings.prior_win_rate,
            "prior_weight": settings.prior_weight,
            "clamp": [settings.lowest, settings.highest],
        },
        "open_leads_scored": len(scores),
        "calibration": calibration.as_json() if calibration else None,
    }
    with database.transaction() as session:
        fit_id = store_fit(session, LEAD_SCORING, report, now)
        session.execute(delete(LeadScore))
        if scores:
            session.execute(
                insert(LeadScore.__table__),
                [
                    {
                        "lead_id": lead_id,
                        "probability": score.probability,
                        "factors": [factor.as_json() for factor in score.factors],
                        "scored_at": now,
                        "model_fit_id": fit_id,
                    }
                    for lead_id, score in scores.items()
                ],
            )
    return LeadScoring(fit_id, len(scores), report)


def render_lead_report(report: dict[str, Any]) -> str:
    """A stored lead-scoring report as text for a terminal."""
    lines = [
        f"lead scoring at {report['fitted_at']}: {report['closed_leads']} closed leads "
        f"({report['won']} won, {report['lost']} lost), win rate {report['win_rate']:.1%} "
        f"(prior-smoothed), {report['open_leads_scored']} open leads scored",
        f"  fields: {', '.join(report['fields'])}",
        f"  left out (set after the outcome): {', '.join(report['excluded_fields'])}",
    ]
    if report["falls_back_to_prior"]:
        lines.append(
            f"  too few closed leads (fewer than {report['settings']['min_closed_leads']}): "
            "every open lead gets the prior-smoothed win rate"
        )
    c = report["calibration"]
    if c is None:
        lines.append("  calibration: too few closed leads to hold some out")
        return "\n".join(lines)
    lines.append(
        f"  calibration on the newest {c['held_out']} closed leads (trained on {c['trained_on']}):"
        f" Brier {c['brier']:.4f} vs {c['base_rate_brier']:.4f} for the base rate "
        f"{c['base_rate']:.1%} (skill {c['skill']:+.3f})"
    )
    lines.append("  predicted     leads  mean predicted  won")
    for b in c["reliability"]:
        mean = "-" if b["mean_predicted"] is None else f"{b['mean_predicted']:.3f}"
        won = "-" if b["observed_win_rate"] is None else f"{b['observed_win_rate']:.3f}"
        lines.append(f"  {b['low']:.1f}-{b['high']:.1f}   {b['leads']:>8}  {mean:>14}  {won:>5}")
    return "\n".join(lines)
