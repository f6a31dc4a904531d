"""Stored fit reports (`model_fits`): each refit adds one; the newest of a kind is the
one in use. Old reports are kept, so a change in the figures can be traced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store.models import ModelFit

__all__ = [
    "CUSTOMER_METRICS",
    "LEAD_SCORING",
    "LIFETIME_VALUE",
    "StoredFit",
    "latest_fit",
    "store_fit",
]

LIFETIME_VALUE = "lifetime_value"
LEAD_SCORING = "lead_scoring"
# Every refit's own record, fitted or not: when, the lifecycle thresholds it used (the
# stage job's), the stages it moved, and the dashboard's figures it stored.
CUSTOMER_METRICS = "customer_metrics"


@dataclass(frozen=True)
class StoredFit:
    id: int
    kind: str
    fitted_at: datetime
    report: dict[str, Any]


def store_fit(session: Session, kind: str, report: dict[str, Any], fitted_at: datetime) -> int:
    row = ModelFit(kind=kind, report=report, fitted_at=fitted_at)
    session.add(row)
    session.flush()
    return row.id


def latest_fit(session: Session, kind: str) -> StoredFit | None:
    row = session.scalars(
        select(ModelFit)
        .where(ModelFit.kind == kind)
        .order_by(ModelFit.fitted_at.desc(), ModelFit.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return StoredFit(id=row.id, kind=row.kind, fitted_at=row.fitted_at, report=dict(row.report))
