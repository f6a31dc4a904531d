"""Analytics over the CRM store: RFM, lifecycle stages, segments, customer lifetime
value and lead scores. Reads the store, writes derived tables (`customer_metrics`,
`model_fits`, `lead_scores`); imports only `crm_store` of ours."""

from analytics.errors import AnalyticsError, NotEnoughData

__all__ = ["AnalyticsError", "NotEnoughData"]
