"""SMS through Twilio: signed webhooks in, the Messages API out. `twilio` stays here."""

from channels.sms.inbound import KeywordReplies
from channels.sms.outbound import TwilioSender
from channels.sms.ports import ConsentRegister, DeliveryReports
from channels.sms.routes import SMS_PATH, STATUS_PATH, twilio_router
from channels.sms.signature import SignatureCheck

__all__ = [
    "SMS_PATH",
    "STATUS_PATH",
    "ConsentRegister",
    "DeliveryReports",
    "KeywordReplies",
    "SignatureCheck",
    "TwilioSender",
    "twilio_router",
]
