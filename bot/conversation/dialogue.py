"""The dialogue layer: given a turn, decide the bot's replies.

`small_talk` knows greetings, thanks, goodbyes and requests for a person. `RuleDialogue`
is small talk with a fallback; `SupportDialogue` (bot/conversation/support_dialogue.py) puts the
knowledge base between the two. The engine only sees the `Dialogue` protocol.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.conversation import cues
from crm_store.records import (
    ConversationRecord,
    CustomerRecord,
    IdentityRecord,
    InteractionRecord,
)
from nlu import FALLBACK_INTENT


@dataclass(frozen=True, slots=True)
class Understanding:
    """What the NLU layer made of one message; stored on the inbound interaction.

    `read_as` is the text the NLU read (spelling corrected; entity offsets refer to
    it), None when it is the message as written. `ranking` is the intent ranking with
    calibrated confidences, best first. `language` is the detected language (ISO 639-1),
    None when the message is too short to tell."""

    intent: str
    confidence: float
    entities: list[dict[str, Any]] = field(default_factory=list)
    ranking: list[tuple[str, float]] = field(default_factory=list)
    read_as: str | None = None
    language: str | None = None

    def entity_values(self, name: str) -> list[Any]:
        return [entity["value"] for entity in self.entities if entity.get("entity") == name]


class Understander(Protocol):
    async def understand(self, text: str) -> Understanding: ...


@dataclass(frozen=True, slots=True)
class Turn:
    """One inbound message and what the bot knows around it.

    `slots` is the conversation's dialogue memory (form state, collected values): a
    fresh copy per turn that the dialogue may change; the engine stores it with the
    replies. `authenticated`: the channel vouched for the sender of this very message
    (the inbound `ContactProfile.verified`: a signed widget identity, the carrier's
    number, mail a trusted receiver authenticated).
    """

    customer: CustomerRecord
    conversation: ConversationRecord
    message: InteractionRecord
    history: list[InteractionRecord]
    understanding: Understanding | None = None
    identity: IdentityRecord | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    authenticated: bool = False


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    intent: str | None = None
    confidence: float | None = None
    sources: list[Any] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)


class Dialogue(Protocol):
    async def respond(self, turn: Turn) -> list[Reply]: ...


_GREETING = re.compile(
    r"^\s*(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening))\b[\s!.,?]*$"
    # "is anyone there?", "u there?": checking that someone answers is a hello too
    r"|^\s*(?:(?:hi|hello|hey)[\s,!.]*)?(?:is\s+)?(?:any(?:one|body)|some(?:one|body)|"
    r"(?:are\s+)?(?:you|u))\s+(?:there|here|around|online|awake)[\s!.?]*$",
    re.I,
)
# "ok thanks", "great, thank you", "ok thanks bye": an acknowledgement may come first.
_ACKNOWLEDGED = (
    r"(?:(?:ok(?:ay)?|k|great|perfect|cool|awesome|alright|got it|brilliant|lovely)[\s,!.]*)?"
)
# "ta" is British thanks ("brilliant ta", "ta very much"); texters' spellings besides.
_THANKED = (
    r"(?:thanks|thank you|thank u|thankyou|thanx|thnx|thx|ty|tysm|tyvm|ta|cheers"
    r"|much appreciated)"
)
_THANKS = re.compile(rf"^\s*{_ACKNOWLEDGED}{_THANKED}\b[^?]*$", re.I)
_GOODBYE = re.compile(
    rf"^\s*{_ACKNOWLEDGED}(?:{_THANKED}(?:\s+again)?[\s,!.]*)?"
    r"(bye|goodbye|see you|that'?s all)\b[^?]*$",
    re.I,
)
_PERSON = re.compile(r"\b(human|person|agent|someone real|real person|representative)\b", re.I)
FALLBACK = (
    "Sorry, I didn't understand that. Could you put it another way? "
    "If you'd rather reach a person, just say so."
)
# Honest until agent handoff exists: nobody is paged, but the support team reads every
# conversation in the customer's history.
PERSON_REQUESTED = (
    "I can't bring a person into this chat, but our support team reads every "
    "conversation here. Leave your question and how to reach you, and they will follow up."
)
# Said when asked whether a bot answers: what it is, what it can do, and the way to a person.
WHAT_ANSWERS = (
    "I'm an automated assistant. I answer from the help centre and can look up your orders "
    "and tickets. If you'd rather talk to a person, just say so."
)


# A message of nothing but emoji: a smile or a heart after an answer is thanks ("😀"
# got the fallback); other emoji say nothing to answer. Where a yes is read first
# (`cues.yes_or_no`, as the support dialogue does), a thumbs-up or an OK hand is a yes.
_ACKNOWLEDGING_EMOJI = frozenset("👍👌🙏❤♥💙💚💯🙂😊😀😃😄😁🥰😍🤗✅✔")
# "Hi, I have a question about my order", "quick question": a question announced, not
# asked yet. Answering it from the nearest article ("changing an order") answers nothing
# the customer said: the bot asks for the question.
_ANNOUNCES_A_QUESTION = re.compile(
    r"^\W*(?:(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening))\W+(?:there\W+)?)?"
    r"(?:(?:i\s+(?:have|got|'ve\s+got)|i'?ve\s+got)\s+(?:a|one|another|some)\s+(?:quick\s+|small\s+)?"
    r"(?:question|query|questions|queries)|(?:a\s+)?quick\s+(?:question|one|q)"
    r"|(?:can|could|may)\s+i\s+ask\s+(?:you\s+)?(?:a\s+(?:quick\s+)?(?:question|something)|something))"
    r"(?:\s+(?:about|on|regarding|re)\s+(?:my|an?|the|your)?\s*[a-z]+(?:\s+[a-z]+)?)?"
    r"[\s?!.:,]*$",
    re.I,
)
ASKS_FOR_THE_QUESTION = "Sure, go ahead: what would you like to know?"


def small_talk_intent(text: str) -> str | None:
    """Recognise small talk without NLU (used when NLU is off or unsure).

    Greetings, thanks and goodbyes match only short messages that are nothing else
    ("hi", "thanks!"), so "hi, how long do refunds take?" goes on to the knowledge base.
    """
    if cues.asks_what_answers(text):
        return "what_answers"
    if cues.only_emoji(text):
        return "thanks" if any(ch in _ACKNOWLEDGING_EMOJI for ch in text) else None
    if _ANNOUNCES_A_QUESTION.search(text):
        return "question_announced"
    if _PERSON.search(text):
        return "talk_to_human"
    if _GREETING.search(text):
        return "greet"
    if _GOODBYE.search(text):  # "thanks, bye" is a goodbye
        return "goodbye"
    if _THANKS.search(text):
        return "thanks"
    return None


def small_talk_reply(intent: str, turn: Turn) -> Reply | None:
    """The reply to a small-talk intent, personalised where the store knows the name."""
    if intent == "talk_to_human":
        return Reply(PERSON_REQUESTED, intent=intent, confidence=1.0)
    if intent == "greet":
        first_name = (turn.customer.name or "").split(" ")[0]
        hello = f"Hi {first_name}!" if first_name else "Hi!"
        return Reply(f"{hello} How can I help you today?", intent=intent, confidence=1.0)
    if intent == "thanks":
        return Reply("You're welcome! Anything else I can do?", intent=intent, confidence=1.0)
    if intent == "what_answers":
        return Reply(WHAT_ANSWERS, intent=intent, confidence=1.0)
    if intent == "question_announced":
        return Reply(ASKS_FOR_THE_QUESTION, intent=intent, confidence=1.0)
    if intent == "goodbye":
        return Reply("Goodbye, and thanks for getting in touch.", intent=intent, confidence=1.0)
    return None


def small_talk(turn: Turn) -> Reply | None:
    intent = small_talk_intent(turn.message.text)
    return small_talk_reply(intent, turn) if intent else None


class RuleDialogue:
    """Small talk, and otherwise a fallback that offers a person."""

    async def respond(self, turn: Turn) -> list[Reply]:
        reply = small_talk(turn)
        return [reply or Reply(FALLBACK, intent=FALLBACK_INTENT, confidence=0.0)]
