"""Support reports, computed from the event log alone (crm_store/event_log.py): care
cycles, bot resolution and handoffs, response and resolution times, agents'
workload, satisfaction and the questions the knowledge base could not answer. Every
figure's definition is in analytics/README.md ("Support reports")."""

from analytics.support.report import ReportPeriod, support_report

__all__ = ["ReportPeriod", "support_report"]
