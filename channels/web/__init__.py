"""The website chat widget channel."""

from channels.web.carried import CarriedMessages
from channels.web.hub import SessionHub
from channels.web.outbound import WebChatSender
from channels.web.revocations import SessionRevocations
from channels.web.routes import WIDGET_API_PREFIX, webchat_router, widget_router
from channels.web.sessions import SessionSigner, WebSession

__all__ = [
    "WIDGET_API_PREFIX",
    "CarriedMessages",
    "SessionHub",
    "SessionRevocations",
    "SessionSigner",
    "WebChatSender",
    "WebSession",
    "webchat_router",
    "widget_router",
]
