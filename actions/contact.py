"""Changing contact details: `contact_form` takes the new email or phone, sends a code to
it where Switchboard has that channel, and takes the code back; `action_update_contact`
then makes it the customer's address on file.

Every step needs a sender the channel proves (`sb_sender_proven`: a signed-in widget
visitor, the carrier's number, mail a trusted receiver authenticated), so the change is
confirmed through a channel already verified for the customer, and the code to the new
address only proves that address. Mail merely answered to the address on file is not
enough: anyone can write any From address, and a code sent to an address the forger
names would be theirs. The dialogue checks first; the actions check again, for a Rasa
deployment that calls them directly. Without a configured channel for the new address
(no SMTP for email, no Twilio for SMS) nothing can prove it, so the request becomes a
ticket for a person to confirm.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.context import Caller
from actions.store import StoreAction, in_transaction
from crm_store import Database, customers, history, outbox, tickets
from crm_store.customers import normalise_email
from crm_store.models import Customer, Identity
from crm_store.records import NewInteraction

CODE_TTL_SECONDS = 15 * 60
MAX_TRIES = 3
BY_AGENT = "by_agent"  # the verification_code slot when a person will confirm instead
_FORM_SLOTS = ("new_contact", "verification_code", "contact_code_hash", "contact_code_expires")
NOT_PROVEN = (
    "I can't change contact details from here: I can't be sure this message comes from "
    "you, so I haven't changed anything. If you'd like a person to help, just say so."
)


def parse_contact(text: str, default_region: str = "US") -> tuple[str, str] | None:
    """("email", address) or ("sms", E.164 number) from what the customer typed."""
    text = text.strip()
    if "@" in text:
        try:
            checked = validate_email(text, check_deliverability=False)
        except EmailNotValidError:
            return None
        return "email", normalise_email(checked.normalized) or checked.normalized
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return "sms", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _code_hash(code: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


class ValidateContactForm(FormValidationAction):
    def __init__(self, database: Database, verifiable_channels: frozenset[str]) -> None:
        self._db = database
        self._channels = verifiable_channels

    def name(self) -> str:
        return "validate_contact_form"

    async def validate_new_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any
    ) -> dict[str, Any]:
        parsed = parse_contact(str(value or ""))
        caller = Caller.of(tracker)
        if not caller.proven:
            dispatcher.utter_message(text=NOT_PROVEN)
            return {"new_contact": None}
        if parsed is None:
            dispatcher.utter_message(
                text="That doesn't look like an email address or phone number. Could you "
                "type it again, like name@example.com or +1 415 555 0100?"
            )
            return {"new_contact": None}
        channel, address = parsed
        if caller.customer_id is None:
            return {"new_contact": None}
        customer_id = caller.customer_id
        if channel not in self._channels:
            await in_transaction(
                self._db,
                lambda s: tickets.open_ticket(
                    s,
                    customer_id=customer_id,
                    subject=f"Confirm a contact change to {address}",
                    description=f"The customer asked (on {caller.channel}) to change their "
                    f"{'email' if channel == 'email' else 'phone'} to {address}. No {channel} "
                    "channel is configured to send a code, so please confirm it with them.",
                    conversation_id=caller.conversation_id,
                ),
            )
            dispatcher.utter_message(
                text=f"I can't send a code to {address} from here, so a person from our "
                "team will confirm the change with you."
            )
            return {"new_contact": address, "verification_code": BY_AGENT}
        code = f"{secrets.randbelow(10**6):06d}"
        salt = secrets.token_hex(8)
        sent = await in_transaction(
            self._db, lambda s: _send_code(s, customer_id, channel, address, code)
        )
        if not sent:
            dispatcher.utter_message(
                text="I can't use that address for your account. If you think that's wrong, "
                "ask for a person."
            )
            return {"new_contact": None}
        dispatcher.utter_message(text=f"I've sent a 6-digit code to {address}.")
        return {
            "new_contact": address,
            "contact_code_hash": f"{salt}${_code_hash(code, salt)}",
            "contact_code_expires": time.time() + CODE_TTL_SECONDS,
            "contact_code_tries": 0,
        }

    def validate_verification_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any
    ) -> dict[str, Any]:
        if value == BY_AGENT:
            return {"verification_code": BY_AGENT}
        if not Caller.of(tracker).proven:
            dispatcher.utter_message(text=NOT_PROVEN)
            return {"verification_code": "failed", "contact_code_hash": None}
        stored = str(tracker.get_slot("contact_code_hash") or "")
        expires = float(tracker.get_slot("contact_code_expires") or 0)
        tries = int(tracker.get_slot("contact_code_tries") or 0) + 1
        salt, _, expected = stored.partition("$")
        given = "".join(ch for ch in str(value or "") if ch.isdigit())
        if (
            expected
            and time.time() < expires
            and secrets.compare_digest(_code_hash(given, salt), expected)
        ):
            return {"verification_code": "ok"}
        if tries >= MAX_TRIES or time.time() >= expires:
            dispatcher.utter_message(
                text="That code didn't work, so I've stopped the change. You can start again "
                "any time."
            )
            # "failed" fills the form's last slot, so the form ends; the submit action
            # sees it and changes nothing.
            return {"verification_code": "failed", "contact_code_hash": None}
        dispatcher.utter_message(text="That code doesn't match. Please check it and try again.")
        return {"verification_code": None, "contact_code_tries": tries}


PENDING_FOR = "pending_contact_for"


def _send_code(session: Session, customer_id: int, channel: str, address: str, code: str) -> bool:
    """Log and queue the code to the new address.

    Until the code comes back, the address belongs to a blank holding record, never to
    the customer: whoever really has that number or mailbox (a typo away) must not be
    taken for them. A confirmed code moves the address over (`_adopt`)."""
    identity = session.scalars(
        select(Identity).where(Identity.channel == channel, Identity.address == address)
    ).one_or_none()
    if identity is None:
        holder = Customer(attributes={PENDING_FOR: customer_id})
        session.add(holder)
        session.flush()
        identity = Identity(customer_id=holder.id, channel=channel, address=address)
        session.add(identity)
        session.flush()
    elif identity.customer_id != customer_id:
        owner = session.get_one(Customer, identity.customer_id)
        if (owner.attributes or {}).get(PENDING_FOR) != customer_id:
            return False  # someone else's address: not to be taken over
    conversation = history.current_conversation(
        session, customer_id=identity.customer_id, identity_id=identity.id, channel=channel
    )
    outbox.log_outbound(
        session,
        conversation,
        address,
        NewInteraction(
            direction="out",
            author="system",
            text=f"Your verification code is {code}. It expires in 15 minutes. If you "
            "didn't ask to change your contact details, ignore this message.",
            delivery_status="pending",
            attributes={"verification_code": True},
        ),
    )
    return True


class ActionUpdateContact(StoreAction):
    def name(self) -> str:
        return "action_update_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        caller = Caller.of(tracker)
        address = tracker.get_slot("new_contact")
        outcome = tracker.get_slot("verification_code")
        clear = [SlotSet(slot, None) for slot in (*_FORM_SLOTS, "contact_code_tries")]
        if outcome != "ok" or not address or caller.customer_id is None:
            return clear  # failed (already told) or left to a person (already told)
        if not caller.proven:
            dispatcher.utter_message(text=NOT_PROVEN)
            return clear
        customer_id = caller.customer_id
        kind = "email" if "@" in address else "sms"

        def update(session: Session) -> None:
            customer = session.get_one(Customer, customer_id)
            if kind == "email":
                customer.email = address
            else:
                customer.phone = address
            identity = session.scalars(
                select(Identity).where(Identity.channel == kind, Identity.address == address)
            ).one()
            if identity.customer_id != customer_id:
                _adopt(session, identity.customer_id, customer_id)
            identity.verified = True

        await in_transaction(self._db, update)
        what = "email address" if kind == "email" else "phone number"
        dispatcher.utter_message(text=f"Done: your {what} is now {address}.")
        return clear


def _adopt(session: Session, holder_id: int, customer_id: int) -> None:
    """Move everything of a holding record (the address, its conversation with the code,
    anything its owner wrote meanwhile) to the customer who proved the address; the
    holding record itself goes (`crm_store.customers.merge`)."""
    holder = customers.get_customer(session, holder_id)
    assert holder is not None and holder.attributes.get(PENDING_FOR) == customer_id
    customers.merge(session, keep_id=customer_id, absorb_id=holder_id)
