"""The website chat widget channel."""

from channels.web.hub import SessionHub
from channels.web.outbound import WebChatSender
from channels.web.routes import webchat_router, widget_router
from channels.web.sessions import SessionSigner, WebSession

__all__ = [
    "SessionHub",
    "SessionSigner",
    "WebChatSender",
    "WebSession",
    "webchat_router",
    "widget_router",
]
