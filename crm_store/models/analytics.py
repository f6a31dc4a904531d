"""Tables analytics derives from the store (the `analytics` package writes them; nothing
here is a source of truth: each is recomputed whole by `switchboard analytics refit`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_store.base import Base, utcnow


class ModelFit(Base):
    """One fit of a model (lifetime value, lead scoring): its report as JSON, with the
    parameters, log-likelihood or calibration, and the checks it passed or failed."""

    __tablename__ = "model_fits"
    __table_args__ = (Index("ix_model_fits_kind_fitted", "kind", "fitted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # "lifetime_value", "lead_scoring"
    fitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CustomerMetrics(Base):
    """A customer's purchase figures as of `computed_at`: RFM, lifecycle suggestion,
    ready-made segment and, once a lifetime-value fit exists, its predictions."""

    __tablename__ = "customer_metrics"
    # The dashboard's date range starts from the last purchase (analytics/dashboard.py);
    # a refit writes the rows in this order, so a range's rows sit together.
    __table_args__ = (Index("ix_customer_metrics_last_purchase", "last_purchase_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # One row per customer. Derived rows go with what they were derived from (a deleted
    # customer or lead); a merge drops both customers' rows (crm_store/merging.py).
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), unique=True
    )
    computed_at: Mapped[datetime] = mapped_column()
    first_purchase_at: Mapped[datetime | None] = mapped_column()
    last_purchase_at: Mapped[datetime | None] = mapped_column()
    order_count: Mapped[int] = mapped_column(default=0)
    lifetime_spend_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    recency_days: Mapped[float | None] = mapped_column(Float)
    recency_score: Mapped[int | None] = mapped_column(SmallInteger)
    frequency_score: Mapped[int | None] = mapped_column(SmallInteger)
    monetary_score: Mapped[int | None] = mapped_column(SmallInteger)
    suggested_stage: Mapped[str | None] = mapped_column(String(20))
    segment: Mapped[str | None] = mapped_column(String(20), index=True)
    probability_alive: Mapped[float | None] = mapped_column(Float)
    expected_purchases: Mapped[float | None] = mapped_column(Float)
    expected_spend_cents: Mapped[float | None] = mapped_column(Float)
    lifetime_value_cents: Mapped[float | None] = mapped_column(Float)
    model_fit_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_fits.id", ondelete="SET NULL")
    )


class LeadScore(Base):
    """An open lead's probability of being won, with the factors that moved it most."""

    __tablename__ = "lead_scores"

    lead_id: Mapped[int] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True
    )
    probability: Mapped[float] = mapped_column(Float)
    factors: Mapped[list[Any]] = mapped_column(default=list)
    scored_at: Mapped[datetime] = mapped_column()
    model_fit_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_fits.id", ondelete="SET NULL")
    )
