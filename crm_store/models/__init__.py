"""All tables of the CRM store. Importing this package registers them on `Base.metadata`."""

from crm_store.models.accounts import Account
from crm_store.models.analytics import CustomerMetrics, LeadScore, ModelFit
from crm_store.models.audit import AuditEntry
from crm_store.models.campaigns import (
    Campaign,
    CampaignRecipient,
    CampaignSend,
    JourneyEnrolment,
    Segment,
    WebCampaignMessage,
)
from crm_store.models.consents import ConsentEntry
from crm_store.models.conversations import Conversation, Interaction
from crm_store.models.customers import Customer, Identity
from crm_store.models.delivery import InboundReceipt, OutboxMessage
from crm_store.models.erasures import ErasedIdentifier, Erasure, ErasureStep
from crm_store.models.events import AgentReply, CareCycle, LoggedEvent, SatisfactionSurvey
from crm_store.models.handoffs import Handoff, ReplyKey
from crm_store.models.leads import Lead
from crm_store.models.mailboxes import MailboxWatermark
from crm_store.models.orders import Order
from crm_store.models.slack import SlackCall, SlackEvent
from crm_store.models.staff import StaffUser
from crm_store.models.tickets import Ticket, TicketEvent
from crm_store.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookSubscription
from crm_store.models.widget_sessions import WidgetSessionRevocation

__all__ = [
    "Account",
    "AgentReply",
    "AuditEntry",
    "Campaign",
    "CampaignRecipient",
    "CampaignSend",
    "CareCycle",
    "ConsentEntry",
    "Conversation",
    "Customer",
    "CustomerMetrics",
    "ErasedIdentifier",
    "Erasure",
    "ErasureStep",
    "Handoff",
    "Identity",
    "InboundReceipt",
    "Interaction",
    "JourneyEnrolment",
    "Lead",
    "LeadScore",
    "LoggedEvent",
    "MailboxWatermark",
    "ModelFit",
    "Order",
    "OutboxMessage",
    "ReplyKey",
    "SatisfactionSurvey",
    "Segment",
    "SlackCall",
    "SlackEvent",
    "StaffUser",
    "Ticket",
    "TicketEvent",
    "WebCampaignMessage",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "WidgetSessionRevocation",
]
