"""The support dialogue: one routing decision per question, carried out.

In order:
- A form in progress (ticket, lead, contact change) takes the message as its next
  answer. "cancel" stops it, a request for a person leaves it for one, and a message
  that is clearly another question is answered before the bot asks whether to go on.
- A reply to the bot's last question: a number or option after "which did you mean?",
  yes or no after an offer of a person or a form.
- A language the knowledge base does not cover gets a word in that language and the
  offer of a person.
- Otherwise each question of the message (up to three) is routed by `routing.decide`,
  which weighs the NLU's intents, the knowledge base's articles, the customer's words
  and the last topic, and its plan is carried out here.

Every reply stores why (`attributes["route"]`, route.py): the decision, the rule, the
candidates weighed; `sources` lists only what the reply cites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from actions.context import OFFER_REASON
from actions.domain import CONTACT_FORM, FORMS, LEAD_FORM, OPEN_TICKET_FORM
from actions.handoff import HANDOFF_REASON
from actions.orders import ORDERS_ON_FILE
from bot.conversation import cues
from bot.conversation.action_runner import ActionRunner, is_verified, proves_sender
from bot.conversation.dialogue import (
    FALLBACK,
    Reply,
    Turn,
    Understander,
    Understanding,
    small_talk_intent,
    small_talk_reply,
)
from bot.conversation.forms import (
    REQUESTED_SLOT,
    STOP_OFFERED,
    FormLoop,
    active_form,
)
from bot.conversation.language_notice import handover_line, language_notice, says_yes
from bot.conversation.route import (
    Decision,
    Route,
    article_candidates,
    combined,
    gap_candidates,
    intent_candidates,
    passage_article,
)
from bot.conversation.routing import (
    HELP_CENTRE_GAP,
    ORDER_STATUS,
    SURE,
    Plan,
    Signals,
    answers,
    decide,
    found_where_mentioned,
    interrupts_form,
    outweighs,
    phrasing_doubted,
    sure_request_for_person,
)
from bot.conversation.sentiment import is_negative
from channels.rendering import answer_text
from crm_store.vocabulary import HandoffReason
from knowledge import FALLBACK_TEXT, KnowledgeBase, Passage
from knowledge.answers import to_answer
from knowledge.gaps import Gap
from nlu import FALLBACK_INTENT

_UNSURE = FALLBACK_INTENT
_PERSON_OFFER = "If you'd like a person to help, just say so."
# Replies that must reach an address even after it opted out (the confirmation).
_CONSENT_NOTICES = frozenset({"action_opt_out", "action_opt_in"})
# Forms that change the customer's record: only for a sender the channel proves, on
# every message of the form (`proves_sender`).
_VERIFIED_FORMS = frozenset({CONTACT_FORM})
_CONTACT_INTENT = "update_contact"
CONTACT_NEEDS_VERIFIED = (
    "To change your contact details I need to know it's you, and I can't be sure this "
    "message comes from you, so I haven't changed anything. Sign in on our website and "
    "open the chat there, or text us from the phone number on your account. If you'd "
    "like a person to help, just say so."
)
# Only a message that is nothing but "cancel" (or the like) stops a form: an answer that
# starts with the word ("Stop charging my card twice") is an answer.
_CANCEL = re.compile(
    r"^\s*(cancel|stop|never ?mind|forget (it|about it)|quit)"
    r"(\s+(it|that|this|please|the ticket|the form))*[\s.!]*$",
    re.I,
)
OFFERED_FORM = "offered_form"
LAST_TOPIC = "last_topic"  # the previous question's intent and query, for follow-ups
CLARIFYING = "clarifying"  # the options of the bot's "which did you mean?"
FORM_PAUSED = "form_paused"  # the bot answered something else and asked to go on
NOTICE_LANGUAGE = "notice_language"  # the language the bot's offer of a person was in
# A message cut off mid-sentence ("where is my"), read with the next one: its text and time
CUT_OFF = "cut_off"
# How long a cut-off message waits for its rest: longer, and the next message is a new one.
CUT_OFF_WAITS = timedelta(minutes=15)
# Where messages are sent in halves: a chat or a text, not a mail or a staff question.
_CUT_OFF_CHANNELS = frozenset({"web", "sms"})
OFFER_AFTER_TWO_MISSES = (
    "Sorry, I'm still not getting it. Shall I pass you to a person? Just say yes."
)
OFFER_FOR_COMPLAINT = (
    "I'm really sorry about this. I'd like a person from our team to look at it: "
    "shall I pass you over? Just say yes."
)
SORRY_FOR_COMPLAINT = (
    f"I'm sorry to hear that. I can't put it right from this chat. {_PERSON_OFFER}"
)
MAY_WANT_A_PERSON = (
    "I'm not sure I can help with that here. Would you like me to pass you to a person "
    "from our team? Just say yes."
)
# A question about a topic the help centre never mentions (`knowledge.gaps`): asking in
# other words would not help, a person might.
NOT_IN_HELP_CENTRE = (
    "Our help centre doesn't cover that, so I can't answer it reliably. Would you like me "
    "to connect you with a person?"
)
ACKNOWLEDGED = "Great. Anything else I can help with?"
GO_ON = "It looks like your message was cut off: what would you like to ask?"
ASK_AWAY = "What would you like to ask? Type your question, or ask for a person at any time."
NO_LIST_OPEN = (
    "I'm not sure what that number refers to: there is no list open to pick from. "
    "What would you like to ask?"
)
NOTHING_ELSE = "No problem. What else can I help with?"
ASIDE_NOT_ANSWERED = "Sorry, I don't have an answer to that one."
CLARIFY_INTRO = "I want to answer the right question. Do you mean:"
CLARIFY_OUTRO = "Reply with the number, or ask in other words."
# A question the help centre does not clearly answer, with articles near it, is shown them
# with the fallback: down to this far below the answer threshold (0.36 for 0.54), up to
# three. On the evaluation's splits (session 38), 18 of the 21 answerable questions
# that fell back had the right article among them; 53 of 136 unanswerable ones got a
# list too, which says it may not help and still offers a person.
SUGGEST_BELOW = 0.18
MAX_SUGGESTIONS = 3
SUGGESTIONS_INTRO = "I'm not sure I have a good answer to that. One of these might help:"
SUGGESTIONS_OUTRO = "Reply with the number, ask in other words, or say yes to reach a person."
_FORM_PURPOSE = {
    OPEN_TICKET_FORM: "opening your ticket",
    LEAD_FORM: "your request for our sales team",
    CONTACT_FORM: "changing your contact details",
}
# Form questions whose answer is free text (a question can be an answer to them).
_FREE_TEXT_SLOTS = frozenset({"ticket_subject", "ticket_description", "lead_interest"})
_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2}
# A message that is only a pick from a numbered list: "the first one", "2nd please",
# "option 3", "#2". An ordinal inside a new question ("first order discount?") is not one.
_JUST_A_CHOICE = re.compile(
    r"^(?:(?:i\s+(?:mean|meant)|i'?d\s+like|i\s+want)\s+)?(?:the\s+|option\s+|number\s+|no\.?\s*|#\s*)?"
    r"(first|1st|second|2nd|third|3rd|\d)(?:\s+(?:one|option|article|link|please))*$"
)
_CLARIFIED = "clarify"  # the bot asked which of its options was meant
_SUGGESTED = "suggestions"  # the bot fell back and listed the nearest articles
_SEARCH_DEPTH = 5
# Small talk by the NLU alone needs more than SURE: with the out-of-scope threshold set
# for 3% in-scope fallback, off-topic lines reach greet or goodbye at 0.55 to 0.63
# ("translate hello into french" -> greet 0.627; nlu_banking77/issue 14 notes).
SMALL_TALK_SURE = 0.8


@dataclass(slots=True)
class _Outcome:
    """What one routed question produced, before it becomes replies."""

    texts: list[str]
    route: Route
    intent: str | None
    confidence: float | None
    sources: list[dict[str, Any]] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    shown: tuple[int, ...] = ()  # the knowledge base chunks the texts quote

    def replies(self) -> list[Reply]:
        attributes = {**self.attributes, "route": self.route.to_json()}
        return [
            Reply(
                text,
                intent=self.intent,
                confidence=self.confidence,
                sources=self.sources if index == 0 else [],
                attributes=attributes,
            )
            for index, text in enumerate(self.texts)
        ]


# What a message read whole may lead to and still be tried as two requests: not an
# action on a record, a form, a person or small talk.
_SPLITTABLE = frozenset({Decision.ANSWER, Decision.CLARIFY, Decision.FALLBACK, Decision.OFFER})
_MAX_TOPIC_SPLITS = 2


class SupportDialogue:
    def __init__(
        self,
        knowledge: KnowledgeBase,
        *,
        threshold: float,
        actions: ActionRunner,
        understander: Understander | None = None,
    ) -> None:
        """`understander` reads each question of a message with several on its own;
        without it they share the whole message's understanding."""
        self._knowledge = knowledge
        self._threshold = threshold
        self._actions = actions
        self._forms = FormLoop(actions)
        self._understander = understander

    async def respond(self, turn: Turn) -> list[Reply]:
        turn = await self._with_cut_off_start(turn)
        form = active_form(turn)
        if form in _VERIFIED_FORMS and not proves_sender(turn):
            # Each answer to a form that changes the record must come from the customer
            # too: a forged mail cannot carry on a change the customer started.
            self._forms.cancel(turn)
            return self._needs_verified(turn)
        if form:
            return await self._in_form(turn, form)
        text = turn.message.text
        if cues.says_nothing(text) and small_talk_intent(text) is None:
            # "?", "🤔", "hmm": the NLU read "hmm" as a sure yes ("Great. Anything else?")
            # and a "?" by SMS got a clarifying question between two articles it had no
            # words for. Asked what they want; a question or offer pending stays pending.
            # ("🙏" alone is thanks: small talk.)
            return _Outcome(
                [ASK_AWAY], Route(Decision.SMALL_TALK, "says_nothing"), "says_nothing", 1.0
            ).replies()
        pending = turn.slots.pop(CLARIFYING, None)
        if pending:
            chosen = await self._clarified(turn, pending)
            if chosen is not None:
                return chosen
        elif _JUST_A_CHOICE.match(_plain_choice(text)):
            # "2" or "the second one" with no list open (one shown before another question
            # is closed): read with the last topic it re-answered that; asked instead.
            # An offer stays open.
            route = Route(Decision.SMALL_TALK, "choice_without_list")
            return _Outcome([NO_LIST_OPEN], route, "says_nothing", 1.0).replies()
        # What the bot's last message offered, if anything: a person, or a form.
        offer = turn.slots.pop(OFFER_REASON, None)
        offered_form = turn.slots.pop(OFFERED_FORM, None)
        notice_language = turn.slots.pop(NOTICE_LANGUAGE, None)
        answer = _yes_or_no(turn)
        if answer is None and offer and notice_language and says_yes(text, notice_language):
            # The notice asked for "sí" / "oui" / "ja" in the customer's language; the NLU
            # reads English only and took "sí" for nothing ("still not getting it").
            answer = "affirm"
        if answer and (offer or offered_form):
            return await self._offer_answered(turn, answer, offer, offered_form, notice_language)
        if answer:  # a bare yes or no to nothing the bot asked
            text = ACKNOWLEDGED if answer == "affirm" else NOTHING_ELSE
            route = Route(Decision.SMALL_TALK, f"bare_{answer}")
            return _Outcome([text], route, answer, 1.0).replies()
        language = turn.understanding.language if turn.understanding else None
        if language and language != "en" and language not in self._languages():
            return self._other_language(turn, language)
        questions = cues.questions_in(text)
        offered = offer or offered_form
        if (
            self._cut_off(turn, text, language, questions)
            and not (pending and pending.get("kind") != _SUGGESTED)
            and not (offered and cues.opens_with_yes_or_no(text))
        ):
            # "where is my", the rest ("order") to come: answering the half ("where is
            # my" found the store addresses) answers nothing asked. Kept for the next
            # message, which is read with it. Not after a clarifying question, nor when
            # it opens a reply to an offer ("yes and"): it answers what the bot asked
            # (a list of articles shown with the fallback asked nothing: held there);
            # nor for a request for a person (at once, as always). An offer the bot made
            # stays open for the message that completes this one.
            turn.slots[CUT_OFF] = {"text": text, "at": turn.message.created_at.isoformat()}
            kept = {OFFER_REASON: offer, OFFERED_FORM: offered_form}
            kept[NOTICE_LANGUAGE] = notice_language
            turn.slots.update({key: value for key, value in kept.items() if value})
            return _Outcome(
                [GO_ON], Route(Decision.SMALL_TALK, "cut_off"), "cut_off", 1.0
            ).replies()
        if len(questions) > 1:
            parts = [(question, await self._understand(question, turn)) for question in questions]
        else:
            topics, whole = await self._two_topics(turn, text)
            if topics is None:
                return (await self._route(turn, text, turn.understanding, read=whole)).replies()
            parts = topics
        outcomes: list[_Outcome] = []
        for part, understood in parts:
            cited = {a for outcome in outcomes for a in outcome.route.articles}
            shown = {chunk for outcome in outcomes for chunk in outcome.shown}
            outcomes.append(await self._route(turn, part, understood, cited=cited, shown=shown))
        return _together(outcomes).replies()

    @staticmethod
    def _cut_off(turn: Turn, text: str, language: str | None, questions: list[str]) -> bool:
        """A message of chat or SMS that is one cut-off sentence (`cues.is_cut_off`), in
        English or too short to tell: "Where is my order? Also my" answers its question,
        and mail is not written in halves."""
        return (
            turn.conversation.channel in _CUT_OFF_CHANNELS
            and language in (None, "en")
            and len(questions) == 1
            and cues.is_cut_off(text)
            and not cues.asks_for_person(text)
        )

    async def _with_cut_off_start(self, turn: Turn) -> Turn:
        """`turn`, its message read after the cut-off message before it ("where is my",
        then "order": "where is my order"), when that came within `CUT_OFF_WAITS` and
        is not a question of its own ("how do I return my order") or the whole sentence
        typed again. The message as stored is unchanged; the route's `read_as` shows
        what was read."""
        start = turn.slots.pop(CUT_OFF, None)
        if not start:
            return turn
        waited = turn.message.created_at - datetime.fromisoformat(start["at"])
        rest = turn.message.text.strip()
        if (
            waited > CUT_OFF_WAITS
            or rest.lower().startswith(start["text"].strip().lower())
            or (len(rest.split()) >= 3 and cues.looks_like_question(rest))
        ):
            return turn
        text = f"{start['text']} {rest}"
        understood = await self._understand(text, turn)
        if understood is not None:
            understood = replace(understood, read_as=understood.read_as or text)
        return replace(turn, message=replace(turn.message, text=text), understanding=understood)

    async def _two_topics(
        self, turn: Turn, text: str
    ) -> tuple[list[tuple[str, Understanding | None]] | None, tuple[Signals, str] | None]:
        """Two requests joined by "and" that are not both worded as questions ("size
        advice for a down jacket and how do I wash it"). A split is taken only when
        each side alone is answered, above the answer threshold, by an article of its
        own: "I bought boots in store and want to return them by mail" is one request,
        and its first half alone answers nothing. A message the bot would act on as a
        whole (a record, a form, a person) is not split.

        Returns the two requests with what the NLU made of each, or None; and the whole
        message's reading when it was read (the message left whole is routed on it,
        not searched again)."""
        splits = cues.topic_splits(text, limit=_MAX_TOPIC_SPLITS)
        if not splits:
            return None, None
        whole = await self._signals(turn, text, turn.understanding)
        if decide(whole[0]).decision not in _SPLITTABLE:
            return None, whole
        for head, tail in splits:
            read: list[tuple[str, Understanding | None]] = []
            articles = []
            for part in (head, tail):
                understood = await self._understand(part, turn)
                signals, _ = await self._signals(turn, part, understood, one_of_several=True)
                plan = decide(signals)
                if plan.decision is not Decision.ANSWER or plan.rule.endswith("_probable"):
                    break
                read.append((part, understood))
                articles.append(passage_article(plan.cite[0]))
            if len(articles) == 2 and articles[0] != articles[1]:
                return read, whole
        return None, whole

    # -- one question -------------------------------------------------------------

    async def _route(
        self,
        turn: Turn,
        text: str,
        understood: Understanding | None,
        *,
        cited: set[str] | None = None,
        shown: set[int] | None = None,
        read: tuple[Signals, str] | None = None,
    ) -> _Outcome:
        """`cited`: for one question of several, the articles the others cite. Such a
        question is not asked back ("which did you mean?" would not say which question
        it is about): its best article not cited already answers it. `shown`: the
        sections the others' answers quote; the same section is not quoted twice.
        `read`: the question's signals and query, when already read in
        this turn."""
        if cues.asks_for_person(text):  # at once: nothing to weigh
            return await self._handoff(turn, HandoffReason.CUSTOMER_ASKED, "asked_for_person")
        signals, query = read or await self._signals(
            turn, text, understood, one_of_several=cited is not None, cited=cited
        )
        plan = decide(signals)
        if plan.decision is Decision.CLARIFY and cited is not None:
            fresh = [p for p in plan.options if passage_article(p) not in cited] or plan.options
            plan = Plan(Decision.ANSWER, "article_of_several", cite=fresh[:1])
        said_last = (turn.slots.get(LAST_TOPIC) or {}).get("sections") or []
        if (
            plan.decision is Decision.ANSWER
            and plan.cite[0].chunk_id in said_last
            and is_negative(text)
        ):
            # "this is ridiculous, your service is terrible" right after the refunds
            # answer leaned on it and found the same section: quoting it again answers
            # an upset customer with what just failed them. A person is offered.
            plan = Plan(Decision.OFFER, "complaint_after_answer")
        elif (
            plan.decision is Decision.ANSWER
            and plan.cite[0].chunk_id in said_last
            and not _asked_again(text, turn)
        ):
            # "can i change the address after ordering?" then "what if it already
            # shipped", or "do you ship to canada and how much is it" (the second question
            # reads with the first): the section just quoted was found again. The
            # article's other section closer to this message than the one quoted answers
            # it ("After the first hour", "Delivery times and costs"). Otherwise, or for
            # a message with nothing of its own ("why?", "say that again": no section is
            # near it, `knowledge.base.OTHER_SECTION_FLOOR`), or the same question typed
            # again, the quoted one is quoted again: "how does pay in 4 work" then "whats
            # the minimum?" ($50 is in it; "Who can use it" came next when any other
            # section was taken).
            other = await self._knowledge.other_section_async(
                text, plan.cite[0], only_if_closer=True
            )
            if other is not None:
                plan = replace(plan, rule=f"{plan.rule}_next_section", cite=[other])
        turn_here = (
            turn if understood is turn.understanding else replace(turn, understanding=understood)
        )
        if shown and plan.decision is Decision.ANSWER and plan.cite[0].chunk_id in shown:
            # "is that under warranty? if not, how much is a repair?": both found the
            # section on screen. It is quoted once. (Its next article instead was tried:
            # after "do you ship to canada", "and do you take amex" got delivery times.)
            said = plan.cite[0]
            route = Route(Decision.ANSWER, "already_answered", articles=[passage_article(said)])
            outcome = _Outcome([], route, signals.intent, round(said.similarity, 4))
        else:
            outcome = await self._carry_out(
                turn_here, plan, signals, query, one_of_several=cited is not None
            )
        outcome.route.candidates = _candidates(understood, signals.passages, signals.gap)
        if understood is not None and understood.read_as:
            outcome.route.read_as = understood.read_as
        last_intent = "order_status" if plan.action == ORDER_STATUS else signals.intent
        if plan.decision in (Decision.ANSWER, Decision.ACTION, Decision.CLARIFY):
            sections = [p.chunk_id for p in plan.cite] if plan.decision is Decision.ANSWER else []
            turn.slots[LAST_TOPIC] = {"intent": last_intent, "query": query, "sections": sections}
        return outcome

    async def _signals(
        self,
        turn: Turn,
        text: str,
        understood: Understanding | None,
        *,
        one_of_several: bool = False,
        cited: set[str] | None = None,
    ) -> tuple[Signals, str]:
        """What routing weighs for `text`, and the query searched. `one_of_several`: the
        text is one question of a message with several (read alone, see below);
        `cited`: the articles the questions before it in the message cite."""
        read_as = understood.read_as if understood and understood.read_as else text
        query = _without_entities(read_as, understood)
        last = turn.slots.get(LAST_TOPIC) or {}
        passages = await self._search(query, understood)
        gap = await self._gap(query, understood)
        # "and is there parking?" after the store's hours asks about a gap on its own
        # words: read with the last question, the hours would outweigh it.
        own_gap = outweighs(gap, passages)
        # "what about to Canada?": read with the last question when it does not stand
        # on its own ("and is shipping free?" does).
        stands_alone = answers(passages, self._threshold)
        leans = (
            not own_gap
            and last.get("query")
            and cues.may_lean_on_the_last(text)
            and not cues.bare_numbers(text)
        )
        follow_up = leans and cues.is_follow_up(text)
        asked_again = cues.with_new_object(last["query"], query) if follow_up else None
        again = await self._search(asked_again, understood) if asked_again else []
        if again and again[0].similarity >= passages[0].similarity:
            # "and my rain shell?" after "how do I wash my down jacket": the last question
            # asked about the new thing, when that reads better than the follow-up alone.
            query, passages = asked_again, again
        elif (
            leans
            and cited
            and cues.points_back(text)
            and stands_alone
            and passages[0].similarity < self._threshold
        ):
            # "does the down jacket run small, and how do I wash it": the second question
            # points back at the first's thing. Alone, "how do I wash it" found waterproof
            # care only in the probable zone; read with the first, the first's own article
            # (size) outweighs it. Both readings count (`_blended`) among the articles the
            # first did not cite. Only in the probable zone: a question answered outright
            # alone is left so ("can I cancel my order? if not, how do I return it" read
            # with the first found refunds over starting a return), and one that finds
            # nothing alone is read with the first whole, below ("do you take paypal? is
            # there a fee for that" is about PayPal's section, not Pay in 4's fees).
            again = await self._search(f"{last['query']} {query}", understood)
            fresh = [p for p in passages if passage_article(p) not in cited]
            again = [p for p in again if passage_article(p) not in cited]
            if fresh and again:
                passages = _blended(fresh, again)
        elif leans and not stands_alone:
            query = f"{last['query']} {query}"
            passages = await self._search(query, understood)
        elif (leans and not one_of_several and (follow_up or cues.points_back(text))) or (
            follow_up and passages[0].similarity < self._threshold
        ):
            # "what about a waterproof one?" after washing a down jacket: alone it is only
            # probably about something, and read with the last question the last topic
            # outweighs it. Each article counts by both readings (`_blended`). A message
            # of its own that leans on the last in its words is read so even when it is
            # answered alone: "and if I paid with a gift card?" after refund timing is
            # about refunds onto a gift card, not gift cards; "the email never came"
            # after a forgotten password is the reset email. A message that is only short
            # is not: "do you take amex" after the return window is a new question (read
            # with the last, it found returns on a Pay in 4 order). One question of
            # several is not either: the question before it is answered in the same
            # reply, and its topic outweighed a clear second question ("... and do you do
            # repairs" found the warranty's neighbour, not repairs).
            query = f"{last['query']} {query}"
            passages = _blended(passages, await self._search(query, understood))
        small = small_talk_intent(text)
        if small == "talk_to_human":
            small = None  # only cues.asks_for_person decides that: "person" is a common word
        intent = understood.intent if understood else _UNSURE
        confidence = understood.confidence if understood else 0.0
        if (
            small is None
            and intent in ("greet", "thanks", "goodbye")
            and confidence >= SMALL_TALK_SURE
            and len(text.split()) <= 5
            and (intent != "greet" or cues.opens_with_greeting(text))
            and not (passages and passages[0].similarity >= self._threshold)
            and not _names_a_record(text, understood)
        ):
            # The NLU's small talk, for a short message: a greeting only where it opens
            # the message ("translate hello into japanese" is not one), and none where
            # the help centre answers outright ("klarna?", read "buy now pay later?",
            # was a goodbye to the NLU at 0.82 and the Pay in 4 article at 0.92), nor
            # where it names an order or ticket ("hey has 4417 left yet").
            small = intent
        signals = Signals(
            text=text,
            read_as=read_as,
            intent=intent,
            confidence=confidence,
            entities=list(understood.entities) if understood else [],
            passages=passages,
            threshold=self._threshold,
            verified=is_verified(turn),
            small_talk=small,
            last_intent=last.get("intent"),
            staff_channel=turn.conversation.channel == "slack",
            gap=gap,
        )
        return signals, query

    async def _search(self, query: str, understood: Understanding | None) -> list[Passage]:
        language = understood.language if understood else None
        # The knowledge base returns one passage per article, best first.
        if language and language != "en" and language in self._languages():
            found = await self._knowledge.search_async(query, _SEARCH_DEPTH, language=language)
        else:
            found = await self._knowledge.search_async(query, _SEARCH_DEPTH)
        return phrasing_doubted(found, self._threshold)

    async def _gap(self, query: str, understood: Understanding | None) -> Gap | None:
        """The topic this English question asks about that the help centre never
        mentions (`knowledge.gaps`); None for other languages, whose help centres the
        list of common questions does not read."""
        language = understood.language if understood else None
        gap_async = getattr(self._knowledge, "gap_async", None)
        if (language and language != "en") or gap_async is None:
            return None
        return await gap_async(query)

    async def _carry_out(
        self, turn: Turn, plan: Plan, signals: Signals, query: str, *, one_of_several: bool = False
    ) -> _Outcome:
        decision = plan.decision
        if decision is Decision.HANDOVER:
            return await self._handoff(turn, HandoffReason.CUSTOMER_ASKED, plan.rule)
        if decision is Decision.SMALL_TALK:
            return await self._small_talk(turn, plan, signals)
        if decision is Decision.ACTION:
            assert plan.action is not None
            return await self._action(turn, plan, signals)
        if decision is Decision.FORM:
            return await self._start_form(turn, plan)
        if decision is Decision.ANSWER:
            return await self._answer(turn, plan, signals, query)
        if decision is Decision.CLARIFY:
            return self._clarify(turn, plan, query)
        if decision is Decision.OFFER:
            if plan.rule in ("may_want_a_person", "may_want_sales"):  # the NLU's guess, asked
                reason, text = HandoffReason.CUSTOMER_ASKED, MAY_WANT_A_PERSON
            else:  # a complaint the help centre has no article for
                reason = HandoffReason.COMPLAINT
                text = OFFER_FOR_COMPLAINT if is_negative(signals.text) else SORRY_FOR_COMPLAINT
            turn.slots[OFFER_REASON] = reason
            route = Route(Decision.OFFER, plan.rule)
            return _Outcome([text], route, signals.intent, _rounded(signals.confidence))
        # One question of several is not given a list: which question it is about
        # would not be clear. Nor a question about a topic the help centre never
        # mentions: its nearest articles share only its other words (a job at the
        # Portland store is not the store's address).
        suggest = not one_of_several and plan.rule != HELP_CENTRE_GAP
        return self._fallback(turn, plan, signals, query, suggest=suggest)

    async def _action(self, turn: Turn, plan: Plan, signals: Signals) -> _Outcome:
        assert plan.action is not None
        acting = turn
        if plan.entities:
            understood = turn.understanding or Understanding(signals.intent, signals.confidence)
            acting = replace(
                turn,
                understanding=replace(understood, entities=[*understood.entities, *plan.entities]),
            )
        outcome = await self._actions.run(plan.action, acting, turn.slots)
        outcome.slots.pop(ORDERS_ON_FILE, None)
        turn.slots.update(outcome.slots)  # an offer of a person or a form, if made
        notice = {"consent_notice": True} if plan.action in _CONSENT_NOTICES else {}
        route = Route(Decision.ACTION, plan.rule, action=plan.action)
        intent = plan.action.removeprefix("action_")
        return _Outcome(
            list(outcome.texts), route, intent, _rounded(signals.confidence), [], notice
        )

    async def _start_form(self, turn: Turn, plan: Plan) -> _Outcome:
        form = plan.action
        assert form in FORMS
        if form in _VERIFIED_FORMS and not proves_sender(turn):
            return _from_replies(
                self._needs_verified(turn), Route(Decision.OFFER, "needs_verified")
            )
        replies = await self._forms.start(turn, form, verified=is_verified(turn))
        return _from_replies(replies, Route(Decision.FORM, plan.rule, action=form))

    async def _answer(self, turn: Turn, plan: Plan, signals: Signals, query: str) -> _Outcome:
        (passage,) = plan.cite
        found = to_answer(query, [passage], threshold=0.0)
        assert found is not None
        texts = [answer_text(found, turn.conversation.channel)]
        route = Route(Decision.ANSWER, plan.rule, articles=[passage_article(passage)])
        if plan.rule.startswith("article_for_complaint"):  # a "yes" next reaches a person
            turn.slots[OFFER_REASON] = HandoffReason.COMPLAINT
            if is_negative(signals.text):
                texts.append(f"I'm sorry about the trouble. {_PERSON_OFFER}")
        if plan.then_action is not None:
            extra = await self._actions.run(plan.then_action, turn, turn.slots)
            extra.slots.pop(OFFER_REASON, None)  # the article answered: no person offered
            if extra.slots.get(ORDERS_ON_FILE) != 0:
                texts.extend(extra.texts)
                route.action = plan.then_action
        return _Outcome(
            texts,
            route,
            "knowledge_question" if signals.intent == _UNSURE else signals.intent,
            round(passage.similarity, 4),
            found.sources(),
            shown=(passage.chunk_id,),
        )

    def _clarify(self, turn: Turn, plan: Plan, query: str) -> _Outcome:
        lines, options, choices = _numbered_options(turn, plan.options, query, _CLARIFIED)
        route = Route(Decision.CLARIFY, plan.rule, options=options)
        return _Outcome(
            [f"{CLARIFY_INTRO}\n{lines}\n{CLARIFY_OUTRO}"],
            route,
            "clarify",
            round(plan.options[0].similarity, 4),
            attributes={"choices": choices},
        )

    def _fallback(
        self, turn: Turn, plan: Plan, signals: Signals, query: str, *, suggest: bool = True
    ) -> _Outcome:
        gap = plan.rule == HELP_CENTRE_GAP
        turn.slots[OFFER_REASON] = (
            HandoffReason.NOT_IN_HELP_CENTRE if gap else HandoffReason.NOT_UNDERSTOOD
        )
        best = signals.passages[0].similarity if signals.passages else 0.0
        if _missed_before(turn):
            # A second miss in a row is an offer of a person; one about a gap says why
            # ("Sorry, I'm still not getting it" would be wrong: it was understood).
            route = Route(Decision.OFFER, "missed_twice")
            text = NOT_IN_HELP_CENTRE if gap else OFFER_AFTER_TWO_MISSES
            return _Outcome([text], route, _UNSURE, round(best, 4))
        floor = signals.threshold - SUGGEST_BELOW
        near = [p for p in signals.passages[:MAX_SUGGESTIONS] if p.similarity >= floor]
        if suggest and near:
            # Not an answer (nothing is cited, the decision stays a fallback): the
            # articles nearest the question, one reply away, with a person still offered.
            lines, options, choices = _numbered_options(turn, near, query, _SUGGESTED)
            route = Route(Decision.FALLBACK, plan.rule, options=options)
            return _Outcome(
                [f"{SUGGESTIONS_INTRO}\n{lines}\n{SUGGESTIONS_OUTRO}"],
                route,
                _UNSURE,
                round(best, 4),
                attributes={"choices": choices},
            )
        text = NOT_IN_HELP_CENTRE if gap else FALLBACK_TEXT if signals.passages else FALLBACK
        return _Outcome([text], Route(Decision.FALLBACK, plan.rule), _UNSURE, round(best, 4))

    async def _small_talk(self, turn: Turn, plan: Plan, signals: Signals) -> _Outcome:
        route = Route(Decision.SMALL_TALK, plan.rule)
        if signals.small_talk == "greet":
            outcome = await self._actions.run("action_greet", turn, turn.slots)
            turn.slots.update(outcome.slots)
            route.action = "action_greet"
            return _Outcome(list(outcome.texts), route, "greet", 1.0)
        reply = small_talk_reply(str(signals.small_talk), turn)
        assert reply is not None
        return _Outcome([reply.text], route, reply.intent, 1.0)

    # -- replies to the bot's last question ----------------------------------------

    async def _offer_answered(
        self,
        turn: Turn,
        answer: str,
        offer: str | None,
        offered_form: str | None,
        notice_language: str | None = None,
    ) -> list[Reply]:
        if answer == "deny":
            route = Route(Decision.SMALL_TALK, "offer_declined")
            return _Outcome(
                ["No problem. What else can I help with?"], route, "deny", 1.0
            ).replies()
        if offered_form in _VERIFIED_FORMS and not proves_sender(turn):
            return self._needs_verified(turn)
        if offered_form in FORMS:
            plan = Plan(Decision.FORM, "offer_accepted", offered_form)
            return (await self._start_form(turn, plan)).replies()
        reason = offer or HandoffReason.CUSTOMER_ASKED
        outcome = await self._handoff(turn, reason, "offer_accepted")
        line = handover_line(notice_language)
        if line and "handoff_id" in outcome.attributes:
            # The yes to the language notice is heard in the customer's language (only
            # when a person was really called: a refused handoff says why, in English).
            outcome.texts.insert(0, line)
        return outcome.replies()

    async def _clarified(self, turn: Turn, pending: dict[str, Any]) -> list[Reply] | None:
        options = pending.get("options") or []
        index = _chosen_option(turn.message.text, [str(o.get("label")) for o in options])
        if index is None:
            return None
        # The pick answers what the last message asked: the person offered with a list
        # of suggestions is no longer on offer ("great, thanks" after the article would
        # otherwise be a yes to it).
        for slot in (OFFER_REASON, OFFERED_FORM, NOTICE_LANGUAGE):
            turn.slots.pop(slot, None)
        wanted = options[index].get("article")
        query = str(pending.get("query") or turn.message.text)
        passages = await self._search(query, None)
        chosen = next((p for p in passages if passage_article(p) == wanted), None)
        if chosen is None:
            return None
        plan = Plan(Decision.ANSWER, "clarified", cite=[chosen])
        signals = Signals(turn.message.text, turn.message.text, "knowledge_question", 1.0, [],
                          passages, self._threshold, is_verified(turn))  # fmt: skip
        outcome = await self._answer(turn, plan, signals, query)
        turn.slots[LAST_TOPIC] = {"intent": "knowledge_question", "query": query}
        return outcome.replies()

    def _other_language(self, turn: Turn, language: str) -> list[Reply]:
        turn.slots[OFFER_REASON] = HandoffReason.NOT_UNDERSTOOD
        turn.slots[NOTICE_LANGUAGE] = language
        route = Route(Decision.LANGUAGE, "language_not_covered", language=language)
        return _Outcome([language_notice(language)], route, _UNSURE, None).replies()

    # -- forms ----------------------------------------------------------------------

    async def _in_form(self, turn: Turn, form: str) -> list[Reply]:
        text = turn.message.text
        answer = cues.yes_or_no(text)
        if turn.slots.pop(STOP_OFFERED, None) and answer:
            return self._form_replies(
                self._forms.cancel(turn) if answer == "affirm" else self._forms.ask_again(turn),
                "stop_offer_answered",
                form,
            )
        if turn.slots.pop(FORM_PAUSED, None) and answer:
            return self._form_replies(
                self._forms.ask_again(turn) if answer == "affirm" else self._forms.cancel(turn),
                "go_on_answered",
                form,
            )
        understood = turn.understanding
        # A question the NLU is sure asks for a person ("can a member of staff message me
        # back?") leaves the form too; a statement naming one ("the delivery person left
        # it at the gate") is a ticket's words.
        wants_person = cues.asks_for_person(text) or (
            understood is not None
            and cues.looks_like_question(text)
            and sure_request_for_person(text, understood.intent, understood.confidence)
        )
        if _CANCEL.search(text) or wants_person:
            replies = self._forms.cancel(turn)
            if wants_person:
                return (
                    await self._handoff(turn, HandoffReason.CUSTOMER_ASKED, "asked_for_person")
                ).replies()
            return self._form_replies(replies, "cancelled", form)
        slot = str(turn.slots.get(REQUESTED_SLOT) or "")
        aside = await self._aside(turn, text, slot)
        if aside is not None:
            go_on = _Outcome(
                [
                    f"Shall we go on with {_FORM_PURPOSE.get(form, 'the form')}? "
                    "Say yes to go on, or no to stop."
                ],
                Route(Decision.OFFER, "go_on_with_form", action=form),
                form,
                1.0,
            )
            turn.slots[FORM_PAUSED] = True
            return aside.replies() + go_on.replies()
        replies = await self._forms.advance(turn)
        if turn.slots.get(STOP_OFFERED):  # the third answer turned down: stop?
            route = Route(Decision.OFFER, "offer_to_stop", action=form)
            return _from_replies(replies, route).replies()
        return self._form_replies(replies, "form_answer", form)

    async def _aside(self, turn: Turn, text: str, slot: str) -> _Outcome | None:
        """A message that is clearly not the form's answer but another question: its
        answer (or the honest "I don't know"), or None to take it as the answer. A
        question of three words or more to a form's short question ("what's your name?"
        answered by "can I use Siri?") is an aside; a free-text question (a ticket's
        description) takes questions unless the help centre clearly answers them."""
        if not cues.looks_like_question(text) or len(text.split()) < 3:
            return None
        if FormLoop.entity_for(turn, slot) is not None:
            return None  # "is it ok if you use jo@example.com?": the email is the answer
        signals, query = await self._signals(turn, text, turn.understanding)
        free_text = slot in _FREE_TEXT_SLOTS
        candidates = _candidates(turn.understanding, signals.passages, signals.gap)
        if interrupts_form(signals, free_text_slot=free_text):
            plan = Plan(Decision.ANSWER, "answered_during_form", cite=[signals.passages[0]])
            outcome = await self._answer(turn, plan, signals, query)
        elif not free_text:
            route = Route(Decision.FALLBACK, "not_understood_during_form")
            outcome = _Outcome([ASIDE_NOT_ANSWERED], route, _UNSURE, None)
        else:
            return None
        outcome.route.candidates = candidates
        return outcome

    @staticmethod
    def _form_replies(replies: list[Reply], rule: str, form: str) -> list[Reply]:
        return _from_replies(replies, Route(Decision.FORM, rule, action=form)).replies()

    # -- people ----------------------------------------------------------------------

    @staticmethod
    def _needs_verified(turn: Turn) -> list[Reply]:
        """Refuse a change of the record to a sender the channel has not proven; a
        person is offered. (Mail goes only to the address on file, so a forger learns
        nothing and the real customer hears of the attempt.)"""
        turn.slots[OFFER_REASON] = _CONTACT_INTENT
        route = Route(Decision.OFFER, "needs_verified", action=CONTACT_FORM)
        return _Outcome(
            [CONTACT_NEEDS_VERIFIED], route, _CONTACT_INTENT, _confidence(turn)
        ).replies()

    async def _handoff(self, turn: Turn, reason: str, rule: str) -> _Outcome:
        turn.slots[HANDOFF_REASON] = reason
        outcome = await self._actions.run("action_handoff", turn, turn.slots)
        turn.slots.pop(HANDOFF_REASON, None)
        handoff_id = outcome.slots.get("handoff_id")
        attributes = {"handoff_id": handoff_id} if isinstance(handoff_id, int) else {}
        route = Route(Decision.HANDOVER, rule, action="action_handoff")
        return _Outcome(list(outcome.texts), route, "talk_to_human", 1.0, [], attributes)

    # -- helpers ----------------------------------------------------------------------

    async def _understand(self, text: str, turn: Turn) -> Understanding | None:
        if self._understander is None:
            # The whole message's intent, without its entities (their offsets and
            # values belong to the whole message, not to this question).
            whole = turn.understanding
            return replace(whole, entities=[], read_as=None) if whole else None
        return await self._understander.understand(text)

    def _languages(self) -> set[str]:
        languages = getattr(self._knowledge, "languages", None)
        return set(languages()) if callable(languages) else {"en"}


def _from_replies(replies: list[Reply], route: Route) -> _Outcome:
    first = replies[0] if replies else Reply("")
    attributes: dict[str, Any] = {}
    for reply in replies:
        attributes.update(reply.attributes)
    return _Outcome(
        [r.text for r in replies], route, first.intent, first.confidence, [], attributes
    )


def _together(outcomes: list[_Outcome]) -> _Outcome:
    """One reply for a message with several questions: each answer in turn."""
    texts, sources, attributes = [], [], {}
    for outcome in outcomes:
        if not outcome.texts:  # said by another question's answer
            continue
        texts.append("\n\n".join(outcome.texts))
        sources.extend(outcome.sources)
        attributes.update(outcome.attributes)
    attributes.pop("choices", None)  # buttons would not say which question they answer
    first = outcomes[0]
    route = combined([o.route for o in outcomes])
    return _Outcome(
        ["\n\n".join(texts)], route, first.intent, first.confidence, sources, attributes
    )


def _candidates(
    understood: Understanding | None, passages: list[Passage], gap: Gap | None = None
) -> list:
    ranking = list(understood.ranking) if understood and understood.ranking else []
    if understood and not ranking:
        ranking = [(understood.intent, understood.confidence)]
    if gap is not None and found_where_mentioned(gap, passages):
        gap = None  # a topic the answer's own article mentions is no gap
    return [*intent_candidates(ranking), *article_candidates(passages), *gap_candidates(gap)]


def _numbered_options(
    turn: Turn, passages: list[Passage], query: str, kind: str
) -> tuple[str, list[str], list[dict[str, str]]]:
    """`passages` as numbered lines, their articles, and the quick-reply choices (web
    chat's buttons; SMS and mail read the numbers); kept in the turn's slots so the next
    message, a number or a label's words, picks one (`_clarified`). `kind` says whether
    the bot asked which was meant (`_CLARIFIED`) or only listed articles with its
    fallback (`_SUGGESTED`)."""
    labels = _labels(passages)
    options = [
        {"article": passage_article(p), "label": label}
        for p, label in zip(passages, labels, strict=True)
    ]
    turn.slots[CLARIFYING] = {"query": query, "options": options, "kind": kind}
    lines = "\n".join(f"{n}. {label}" for n, label in enumerate(labels, start=1))
    choices = [{"label": label, "reply": str(n)} for n, label in enumerate(labels, start=1)]
    return lines, [o["article"] for o in options], choices


def _labels(options: list[Passage]) -> list[str]:
    # An FAQ entry is labelled by its question: its file's title ("Frequently asked
    # questions") says nothing about which answer the button gives.
    titles = [p.question if p.is_faq and p.question else p.title for p in options]
    if len(set(titles)) == len(titles):
        return titles
    return [
        f"{p.title}: {p.section}" if p.section and p.section != p.title else p.title
        for p in options
    ]


def _plain_choice(text: str) -> str:
    return " ".join(text.lower().strip(" .!?)").split())


def _chosen_option(text: str, labels: list[str]) -> int | None:
    said = _plain_choice(text)
    choice = _JUST_A_CHOICE.match(said)
    if choice:
        picked = choice.group(1)
        index = int(picked) - 1 if picked.isdigit() else _ORDINALS[picked]
        return index if 0 <= index < len(labels) else None
    # A label's words from the start of a word ("returns" for "Return policy", "exchange"
    # for "Exchanges"), not any letters in it: "sure", a yes to the person offered with
    # suggestions, is not "How to measure".
    stem = said[:-1] if len(said) > 4 and said.endswith("s") else said
    words = re.compile(rf"\b{re.escape(stem)}") if stem else None
    matches = [i for i, label in enumerate(labels) if words and words.search(label.lower())]
    return matches[0] if len(matches) == 1 and len(said) >= 4 else None


def _yes_or_no(turn: Turn) -> str | None:
    said = cues.yes_or_no(turn.message.text)
    if said:
        return said
    understood = turn.understanding
    text = turn.message.text
    if cues.looks_like_question(text) or cues.has_question_word(text):
        # "what if it's not covered?" reads as "deny" to the NLU, but it asks something.
        return None
    if understood and understood.intent in ("affirm", "deny") and understood.confidence >= SURE:
        return understood.intent if len(text.split()) <= 6 else None
    return None


# Entities whose values name a record, not what is asked: cut out of the search.
# Dates and amounts stay: "are your phone lines open on sunday" without "sunday" found
# the opening hours at 0.39 (0.75 with it) and the ticket status action answered.
_IDENTIFIERS = frozenset({"email", "phone", "order_number", "ticket_number", "account"})


def _without_entities(text: str, understood: Understanding | None) -> str:
    """The message with the identifiers it names (`_IDENTIFIERS`) cut out, for a
    cleaner knowledge-base match."""
    if not understood or not understood.entities:
        return text
    spans = sorted(
        (e["start"], e["end"])
        for e in understood.entities
        if e.get("entity") in _IDENTIFIERS
        and isinstance(e.get("start"), int)
        and isinstance(e.get("end"), int)
    )
    kept, position = [], 0
    for start, end in spans:
        if start >= position:
            kept.append(text[position:start])
            position = end
    kept.append(text[position:])
    stripped = " ".join("".join(kept).split())
    return stripped if stripped.strip(" ?!.,") else text


def _blended(alone: list[Passage], with_last: list[Passage]) -> list[Passage]:
    """A follow-up's articles scored by the mean of their similarity to the follow-up
    alone and to it read with the last question (an article one search did not return
    counts at that search's lowest similarity), best first. Each article is shown by
    the passage of the search that matched it better. The mean is the similarity the
    routing judges; `own_similarity` is dropped, since both readings already count."""
    if not alone or not with_last:
        return with_last or alone
    floors = (min(p.similarity for p in alone), min(p.similarity for p in with_last))
    found: list[dict[str, Passage]] = [{}, {}]
    for side, passages in enumerate((alone, with_last)):
        for passage in passages:
            found[side].setdefault(passage_article(passage), passage)
    blended = []
    for article in found[0].keys() | found[1].keys():
        shown = [found[side].get(article) for side in (0, 1)]
        mean = (
            sum(p.similarity if p is not None else floors[side] for side, p in enumerate(shown)) / 2
        )
        best = max((p for p in shown if p is not None), key=lambda p: p.similarity)
        blended.append(replace(best, similarity=mean, own_similarity=None))
    return sorted(blended, key=lambda p: (-p.similarity, passage_article(p)))


def _asked_again(text: str, turn: Turn) -> bool:
    """The message is the last question typed again ("what's your return policy" twice):
    its words, in any case and punctuation, are the last query's."""
    last = (turn.slots.get(LAST_TOPIC) or {}).get("query") or ""
    return _words(text) == _words(last)


def _words(text: str) -> list[str]:
    """Lower case, apostrophes dropped ("what's" and "Whats" are one word)."""
    return re.findall(r"[^\W_]+", re.sub(r"['\u2019]", "", text.lower()))


def _missed_before(turn: Turn) -> bool:
    """Was the bot's previous answer also a miss (two failed understandings in a row)?"""
    for message in reversed(turn.history):
        if message.author == "bot":
            return message.intent == _UNSURE
    return False


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def _confidence(turn: Turn) -> float | None:
    return round(turn.understanding.confidence, 4) if turn.understanding else None


def _names_a_record(text: str, understood: Understanding | None) -> bool:
    """The message names an order or a ticket by its number, or says a number that may
    be an order's ("hey has 4417 left yet": the NLU tags no entity without "order")."""
    return bool(cues.order_like_numbers(text)) or (
        understood is not None
        and any(e.get("entity") in ("order_number", "ticket_number") for e in understood.entities)
    )
