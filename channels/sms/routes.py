"""Twilio's webhooks: inbound messages and delivery status callbacks.

Both check the signature first: a missing or wrong one gets 403 and nothing is stored.
An inbound message is taken in and answered inline (intake and NLU take well under
Twilio's 15 s), and the webhook answers with empty TwiML: the reply goes out through the
outbox, never in the TwiML, so it is logged first and retried if Twilio refuses it.
A Twilio retry of the same MessageSid is a no-op in the engine.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from twilio.twiml.messaging_response import MessagingResponse

from channels.messages import Channel
from channels.ports import MessageIntake
from channels.sms.inbound import BadForm, KeywordReplies, parse_form, to_inbound
from channels.sms.keywords import Keyword, keyword_of, normalise
from channels.sms.ports import ConsentRegister, DeliveryReports
from channels.sms.signature import SignatureCheck
from crm_store.base import MAX_ID

log = logging.getLogger(__name__)

SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"


def _form(required: list[str], fields: dict[str, str]) -> dict[str, object]:
    """A Twilio webhook's form body, for the API document (Twilio sends more fields than
    these; all are strings)."""
    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": required,
                    "properties": {
                        name: {"type": "string", "description": text}
                        for name, text in fields.items()
                    },
                    "additionalProperties": {"type": "string"},
                }
            }
        },
    }


_INBOUND_FORM = _form(
    ["MessageSid", "From", "To"],
    {
        "MessageSid": "Twilio's id of the message (SM...)",
        "From": "the sender's number, E.164",
        "To": "the company number it was sent to",
        "Body": "the text",
        "NumMedia": "how many media files are attached",
    },
)
_STATUS_FORM = _form(
    ["MessageSid", "MessageStatus"],
    {
        "MessageSid": "Twilio's id of the sent message",
        "MessageStatus": "queued, sent, delivered, undelivered, failed, ...",
        "ErrorCode": "Twilio's error code when it failed",
    },
)
# What both webhooks refuse, before anything is stored.
_REFUSALS: dict[int | str, dict[str, object]] = {
    400: {"description": "the form is not UTF-8, or lacks a field Twilio always sends"},
    403: {"description": "missing or invalid X-Twilio-Signature"},
    415: {"description": "not application/x-www-form-urlencoded"},
}
_TWIML = {200: {"description": "empty TwiML", "content": {"text/xml": {}}}}


def empty_twiml() -> Response:
    return Response(str(MessagingResponse()), media_type="text/xml")


async def _signed_form(request: Request, check: SignatureCheck) -> dict[str, str]:
    """The form fields of a request Twilio signed; 403 before anything else if not."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise HTTPException(415, "Twilio webhooks are application/x-www-form-urlencoded")
    try:
        fields = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise HTTPException(400, "the form is not UTF-8") from None
    if not check.is_valid(request, fields):
        log.warning("Twilio webhook refused: bad signature", extra={"path": request.url.path})
        raise HTTPException(403, "missing or invalid X-Twilio-Signature")
    return fields


def twilio_router(
    *,
    intake: MessageIntake,
    consents: ConsentRegister,
    reports: DeliveryReports,
    check: SignatureCheck,
    replies: KeywordReplies,
) -> APIRouter:
    router = APIRouter(tags=["sms"])

    @router.post(
        SMS_PATH,
        openapi_extra={"requestBody": _INBOUND_FORM},
        responses={**_TWIML, **_REFUSALS},
    )
    async def inbound_sms(request: Request) -> Response:
        fields = await _signed_form(request, check)
        try:
            sms = parse_form(fields)
        except BadForm as exc:
            raise HTTPException(400, str(exc)) from None
        opted_out = await consents.is_opted_out(Channel.SMS, sms.sender)
        keyword = keyword_of(sms.body, opted_out=opted_out)
        if keyword in (Keyword.OPT_OUT, Keyword.OPT_IN):
            await consents.record(
                Channel.SMS,
                sms.sender,
                opted_in=keyword is Keyword.OPT_IN,
                source=f"SMS {normalise(sms.body)}",
                provider_message_id=sms.message_sid,
                wording=replies.opt_in if keyword is Keyword.OPT_IN else replies.opt_out,
            )
        result = await intake.receive(to_inbound(sms, keyword, replies))
        log.info(
            "sms received",
            extra={
                "conversation_id": result.conversation_id,
                "duplicate": result.duplicate,
                "keyword": keyword.value if keyword else None,
                "media": len(sms.media),
            },
        )
        return empty_twiml()

    @router.post(
        STATUS_PATH,
        openapi_extra={"requestBody": _STATUS_FORM},
        responses={
            **_TWIML,
            **_REFUSALS,
            404: {"description": "no SMS was sent with this MessageSid"},
        },
    )
    async def delivery_status(request: Request) -> Response:
        fields = await _signed_form(request, check)
        sid = fields.get("MessageSid", "").strip()
        status = (fields.get("MessageStatus") or fields.get("SmsStatus") or "").strip().lower()
        if not sid or not status:
            raise HTTPException(400, "missing MessageSid or MessageStatus")
        raw_outbox = request.query_params.get("outbox")
        # str.isdigit() passes "²" and any length: the id must also fit the store's
        # INTEGER column, else the lookup overflowed into a 500.
        if raw_outbox is not None and not (
            raw_outbox.isascii() and raw_outbox.isdigit() and int(raw_outbox) <= MAX_ID
        ):
            raise HTTPException(400, f"outbox must be a number from 0 to {MAX_ID}")
        code = fields.get("ErrorCode", "").strip()
        error = f"Twilio error {code}" if code else None
        moved = await reports.report(
            Channel.SMS,
            sid,
            status,
            outbox_id=int(raw_outbox) if raw_outbox else None,
            error=error,
        )
        if moved is None:
            raise HTTPException(404, f"no SMS was sent with MessageSid {sid}")
        log.info("sms status", extra={"sid": sid, "status": status, "applied": moved})
        return empty_twiml()

    return router
