"""Cues in the customer's own words that the router weighs beside the NLU's intents.

An intent says what a message is about; some decisions need what the customer asks us
to *do*. "How much does a repair cost?" is about pricing but asks for a price the help
centre gives; "we need a quote for 40 jackets" asks for sales. "What's your phone
number?" is about contact details but changes nothing; "change my number to ..." does.
These patterns are deliberately narrow: a cue that misfires starts a form or hands a
customer over, while a missed cue only leaves the message to the knowledge base.
"""

from __future__ import annotations

import re

_PERSON_NOUN = (
    r"(?:human|person|people|agent|someone|somebody|representative|rep|operator|staff|"
    r"manager|supervisor|team member|advisor|adviser)"
)
_PERSON = (
    r"(?:a |an |the |some |your )?(?:real |live |actual |human |customer service |support )?"
    + _PERSON_NOUN
)
_ASKS_FOR_PERSON = re.compile(
    r"\b(?:talk|speak|chat|get through|be put through)\s+(?:to|with)\s+" + _PERSON + r"\b"
    r"|\b(?:connect|transfer|put|pass|escalate|hand)\s+(?:me\s+)?(?:over\s+|through\s+)?"
    # "connect me w a support rep": "w" and "w/" are "with" in a text
    r"(?:to|with|w/?)\s+" + _PERSON + r"\b"
    # "give me a human", "need a person"; not "give someone a voucher", "get somebody
    # a gift card" (a person who receives something), nor "need someone to collect it"
    r"|\b(?:(?:get|want|need)\s+(?:me\s+)?|give\s+me\s+)"
    + _PERSON
    + r"\b(?!\s+(?:to|who|that|a|an|the|my|his|her|their|some|something|anything)\b)"
    # "id like to be transferred to someone on your team"; not "can the warranty be
    # transferred to someone else", "my parcel was handed to someone next door"
    r"|\b(?:be|get|been|being)\s+(?:transferred|passed|handed|connected|put)\s+"
    r"(?:over\s+|through\s+)?(?:to|with)\s+" + _PERSON + r"\b(?!\s+else\b)"
    r"|\b(?:real|live|actual)\s+(?:human|person|agent|people)\b"
    r"|\bhuman\s+(?:please|pls|now|being)\b"
    r"|^\s*(?:human|agent|operator|representative|person)[\s!.,?]*(?:please|pls|now)?[\s!.]*$"
    r"|\bis (?:there|anyone) (?:a )?(?:real )?(?:human|person|anyone)\b",
    re.I,
)

# A quantity of 20 to 999 of something is a bulk order ("60 fleeces", "25 tents"),
# unless it counts time, money or measure ("30 days", "75 dollars", "10 percent"). Four
# digits and more are order and ticket numbers ("4417 items missing").
_UNITS = (
    r"(?:sec|second|min|minute|hour|hr|day|week|wk|month|year|yr|dollar|buck|euro|pound|"
    r"cent|quid|percent|pct|time|mile|kilometer|kilometre|km|meter|metre|feet|foot|inch|"
    r"inche|gram|kilo|kg|lb|ounce|degree|point|pt|business|working|calendar|order|"
    r"message|email|call|try|trie|attempt)s?\b"
)
_BUSINESS_INTEREST = re.compile(
    r"\b(?:quote|quotation|bulk|wholesale|reseller|resell|stockist|distributor|uniforms?|"
    r"corporate|enterprise|b2b|volume (?:discount|pricing|order)|trade account|"
    r"partnership|partner with|demo|demonstration|sales team|talk to sales|"
    # "a trade arrangement", "happy to commit to a yearly order"
    r"trade (?:arrangement|discount|price|prices|pricing|terms|rates?)|"
    r"(?:yearly|annual|standing) (?:order|orders|purchase|contract)|"
    # sales as people to talk to, not "sales tax" or "sale items"
    r"(?:from|with|to|can|could|would|will)\s+sales\b"
    r"(?!\s+(?:tax|taxes|items?|prices?))|"
    r"sales\s+(?:reps?|representatives?|person|people|department|call|contact)|"
    r"account (?:manager|executive)|"
    r"(?:team|group|company|club|school|staff|employee|office|event) (?:order|orders|"
    r"uniforms?|purchase|gear|kit|jackets))\b"
    r"|\b(?:kit|fit|gear|equip)(?:ting)?\s+out\s+(?:the\s+|our\s+|my\s+)?(?:whole\s+|entire\s+)?"
    r"(?:team|staff|crew|club|group|troop|class|company|department|squad)\b"
    # not the cents of a price ("the $19.95 express fee"), but the thousands of a
    # quantity ("1,200 jackets") still count
    r"|(?<![#\d$£€])(?<!\d\.)(?:[2-9]\d|[1-9]\d\d)\s+(?:(?!"
    + _UNITS
    + r")[a-z]+\s+)?(?:(?!"
    + _UNITS
    + r")[a-z]+s|of\s+(?:them|those))\b",
    re.I,
)

# A number after a name is a model, not a quantity: "the summit 35 and summit 45 packs",
# "your alpine 40 bags". A word before the number that counts or orders ("order 45
# packs", "about 40 kids", "another 30 shirts") leaves it a quantity.
_MODEL_NAME_BEFORE = re.compile(
    r"\b(?:the|a|an|and|or|vs\.?|versus|between|my|your|our|their)\s+(?!(?:order|orders|"
    r"ordering|buy|buying|get|getting|need|needing|want|purchase|purchasing|supply|about|"
    r"around|roughly|approximately|approx|some|over|under|nearly|almost|another|extra|"
    r"further|additional|other|first|last|next|remaining|least|like|maybe|perhaps|just|"
    r"only|exactly|possibly|probably|all|total|full|whole)\b)[a-z]+\s+$",
    re.I,
)

# "for my company", "for our team": a sign of business only when the help centre has no
# answer ("I need a VAT invoice for my company" is a question about invoices).
_FOR_AN_ORGANISATION = re.compile(
    r"\bfor (?:our|my) (?:team|company|staff|employees|club|school|office|business|crew)\b",
    re.I,
)

_TICKET_REQUEST = re.compile(
    r"\b(?:open|raise|create|file|log|submit|start|make|register|lodge)\s+"
    r"(?:a\s+|an\s+|the\s+|new\s+|me\s+a\s+)*(?:support\s+)?(?:ticket|case|request|"
    r"complaint|bug report|report)\b"
    r"|\bnew ticket\b|\breport (?:a|an|this) (?:bug|problem|issue|fault|defect)\b"
    r"|\bas a ticket\b",
    re.I,
)

_CONTACT_CHANGE = re.compile(
    r"\b(?:change|update|correct|replace|edit|fix)\s+(?:my|the)\s+"
    r"(?:e-?mail|phone|mobile|cell|number|contact|address)",
    re.I,
)
# New contact details announced rather than asked to change: "i got a new phone number",
# "my email has changed", "we changed our number".
_NEW_CONTACT = re.compile(
    r"\b(?:(?:i|we)(?:'ve| have)?\s+(?:got|get|have)\s+a\s+new\s+"
    r"(?:(?:phone|mobile|cell)(?:\s+number)?|number|e-?mail(?:\s+address)?)|"
    r"(?:i|we)(?:'ve| have)?\s+changed\s+(?:my|our)\s+(?:phone|mobile|cell|number|e-?mail)|"
    r"(?:my|our)\s+(?:(?:phone|mobile|cell)\s+)?(?:number|e-?mail(?:\s+address)?)\s+"
    r"(?:has\s+|have\s+|is\s+)?changed)\b",
    re.I,
)
_HOW_TO = re.compile(r"^\s*(?:how|where|can i|how do|how can|is it possible)\b", re.I)
_CONTACT_VALUE = re.compile(r"@|\+?\d[\d\s().-]{6,}\d")

_OWN_ORDERS = re.compile(
    r"\b(?:my|our)\s+(?:last\s+|latest\s+|recent\s+|current\s+|open\s+)?(?:orders?|"
    r"purchases?|parcels?|packages?|deliver(?:y|ies)|shipments?|stuff)\b"
    # "the stuff I ordered", "the boots we bought": their own order, said by what is in it
    r"|\b(?:the|what)\s+(?:\w+\s+){0,2}?(?:i|we)\s+(?:just\s+)?(?:ordered|bought|purchased)\b",
    re.I,
)
_ORDER_STATE_ASK = re.compile(
    # "where my order is" asked indirectly ("can you tell me where my order is") too
    r"\b(?:where(?:'s|s| is| are)|where(?= (?:my|our) )|status|track|tracking|update on|"
    r"when (?:will|does|do|is)|"
    r"(?:news|updates?) (?:on|about)|(?:going on|happening|up) with|gone out|sent out|"
    # "has my order from last week shipped" (a few words between, not the whole message:
    # `.*` made every "has" scan to the end; more than eight words between are not read
    # as asking). "arrive" alone is not: "will it arrive before 2025", "arrive at zip
    # code 90210" would make those numbers orders to look up.
    r"has (?:\S+\s+){0,8}(?:shipped|arrived|been (?:sent|dispatched|delivered))|eta|"
    r"list|show|see|check|on (?:its|it's|the) way|shipped|dispatched|delivered)\b",
    re.I,
)
# "my tickets", "do I have any open tickets": the customer's own, whoever's words.
_OWN_TICKETS = re.compile(
    r"\b(?:my|our|any)\s+(?:open\s+|support\s+|last\s+)?(?:tickets?|cases?|support requests?)\b",
    re.I,
)

# "ok and my rain shell?": a word of acknowledgement before a follow-up.
_FILLER = r"(?:(?:ok|okay|so|right|cool|great|thanks)[,!.]?\s+)?"
_FOLLOW_UP = re.compile(
    r"^\s*" + _FILLER + r"(?:and|also|plus|what about|how about|and what about|same for|what if|"
    r"and for|and to|and from|or)\b",
    re.I,
)
_BARE_NUMBER = re.compile(r"(?<![\w-])#?(\d{4,10})(?![\w-])")
_QUESTION_START = re.compile(
    # "actually how long is the warranty", "oh wait, can I pay by PayPal": a word that
    # turns to a new question may come first.
    r"^\s*(?:(?:actually|wait|oh|btw|by the way|sorry|hang on|quick question|ok|okay|so|"
    # "n can i split it", "nd is there": "and" as texters write it
    r"also|and|n|nd|but)[\s,:;.!-]+)*"
    r"(?:how|what|whats|what's|when|where|why|which|who|whom|whose|can|could|do|does|"
    r"did|is|are|was|were|will|would|should|may|might|have|has|any|anyone)\b",
    re.I,
)


# A greeting opens the message it is in: "hi there", "good morning team", "hey, how are
# you?". A greeting word further in is part of something else ("translate hello into
# japanese", "can you say hello to my mum"), which the NLU, trained on greetings alone,
# still reads as one.
_OPENS_WITH_GREETING = re.compile(
    r"^\W*(?:h+i+|he+y+a?|hel+o+|hal+o+|hul+o+|hiya|howdy|yo+|greetings|morning|evening|"
    r"afternoon|good\s+(?:morning|afternoon|evening|day)|g'?day|sup|"
    r"how\s+(?:are|r)\s+(?:you|u)|how'?s\s+it\s+going|what'?s\s+up)\b",
    re.I,
)


# A message cut off mid-sentence, the rest to come in the next: "where is my", "can I
# return the", "I ordered boots and". It ends on a word an English sentence rarely ends
# on (a possessive, an article, "and", "because"), with no punctuation. Left out: "or"
# ("a store in portland or", Oregon), "cos" (a brand), "oh my", a word after a comma
# ("thanks, An"), and "a" naming something ("size a", "plan A", "option b or a").
_NAMED_BY_A_LETTER = (
    "size", "plan", "grade", "option", "type", "class", "part", "model", "vitamin",
    "version", "level", "group", "or", "category", "section", "gate", "row",
)  # fmt: skip
_CUT_OFF = re.compile(
    r"(?<!,)\s(?:my|your|ur|our|their|the|an|and|but|because|"
    + "".join(rf"(?<!\b{noun}\s)" for noun in _NAMED_BY_A_LETTER)
    + r"a)\s*$",
    re.I,
)
_OH_MY = re.compile(r"\boh\s+my\s*$", re.I)


def is_cut_off(text: str) -> bool:
    """ "where is my": two words or more ending where no sentence ends (`_CUT_OFF`)."""
    stripped = " " + text.strip()
    return (
        len(stripped.split()) >= 2
        and bool(_CUT_OFF.search(stripped))
        and not _OH_MY.search(stripped)
    )


def opens_with_greeting(text: str) -> bool:
    """The message starts with a greeting (see `_OPENS_WITH_GREETING`)."""
    return bool(_OPENS_WITH_GREETING.search(text))


# "are you a robot?", "am I talking to a real person?", "is this a bot": the whole
# message asks what answers. Said honestly, with the way to a person (it is not a request
# for one); a message that goes on ("are you a bot? I want a human") is routed as a whole.
_ASKS_WHAT_ANSWERS = re.compile(
    r"^\W*(?:(?:hi|hello|hey|so|wait|um+|ok)\W+)?"
    r"(?:(?:are|r)\s+(?:you|u)|am\s+i\s+(?:talking|chatting|speaking|writing)\s+(?:to|with)|"
    r"is\s+(?:this|that|it)(?:\s+(?:a|an))?)"
    r"\s+(?:(?:just|only)\s+)?(?:a\s+|an\s+)?(?:real\s+|actual\s+|live\s+)?"
    r"(?:(?:ro)?bot|chat\s*bot|ai|a\.i\.?|machine|computer|human|person)"
    r"(?:\s+or\s+(?:a\s+|an\s+)?(?:real\s+)?(?:(?:ro)?bot|human|person|machine|ai))?[\s?!.]*$",
    re.I,
)


def asks_what_answers(text: str) -> bool:
    """The message only asks whether a bot or a person answers (`_ASKS_WHAT_ANSWERS`)."""
    return bool(_ASKS_WHAT_ANSWERS.search(text))


def asks_for_person(text: str) -> bool:
    """An explicit request to talk to a person, however it is worded ("connect me to
    someone NOW", "can I speak with a real human"); not "how do I reach you?", nor "am I
    talking to a real person?" (`asks_what_answers`)."""
    return bool(_ASKS_FOR_PERSON.search(text)) and not asks_what_answers(text)


def shows_business_interest(text: str) -> bool:
    """Quotes, bulk or team orders, demos, reselling: what sales should follow up."""
    return any(
        not (
            match.group()[0].isdigit()
            and _MODEL_NAME_BEFORE.search(text, max(0, match.start() - 60), match.start())
        )
        for match in _BUSINESS_INTEREST.finditer(text)
    )


def speaks_for_an_organisation(text: str) -> bool:
    """ "for my company", "for our team": business interest unless the help centre
    answers the question outright."""
    return bool(_FOR_AN_ORGANISATION.search(text))


def asks_for_ticket(text: str) -> bool:
    """ "Open a ticket", "report a bug": an explicit request for a tracked case."""
    return bool(_TICKET_REQUEST.search(text))


def asks_to_change_contact(text: str) -> bool:
    """ "Change my email to x@y.com", "please update my phone number", "I got a new phone
    number"; not "how do I change my email?" (that one the help centre answers)."""
    if not (_CONTACT_CHANGE.search(text) or _NEW_CONTACT.search(text)):
        return False
    return bool(_CONTACT_VALUE.search(text)) or not _HOW_TO.search(text)


_WHATS_MY = re.compile(r"\bwhat(?:'s|s| is| was| are| were)\s+(?:my|our)\b", re.I)
# "what did I order last time", "what have we bought from you", "my order history".
_WHAT_I_ORDERED = re.compile(
    r"\bwhat\s+(?:did|have|had)\s+(?:i|we)\s+(?:order|buy|bought|purchase)(?:ed)?\b|"
    r"\b(?:my|our)\s+(?:order|purchase)\s+history\b",
    re.I,
)
_CHANGE_ORDER = re.compile(r"\b(?:cancel|change|modify|amend|edit)\b", re.I)


def asks_about_own_orders(text: str) -> bool:
    """ "Where is my order?", "show my orders", "what's my last order?", "what did I order
    last time": the customer's own records, not a general question about how orders work."""
    return bool(
        _OWN_ORDERS.search(text) and (_ORDER_STATE_ASK.search(text) or _WHATS_MY.search(text))
    ) or bool(_WHAT_I_ORDERED.search(text))


def asks_to_change_order(text: str) -> bool:
    """ "cancel order 4420", "can I change the address on 4417": the bot cannot change an
    order, so the help centre says how, and the order's state comes under it."""
    return bool(_CHANGE_ORDER.search(text))


_SUMMARY = re.compile(r"\b(?:summary|summarise|summarize|overview|rundown)\b", re.I)


def asks_for_summary(text: str) -> bool:
    """ "give me the account summary for Acme": a summary asked for in so many words."""
    return bool(_SUMMARY.search(text))


def asks_about_order_state(text: str) -> bool:
    """ "is 4420 on its way?", "has it shipped": words about where an order is."""
    return bool(_ORDER_STATE_ASK.search(text))


# Words that say an order is not where it should be: "order 7731 hasn't shown up yet",
# "why is 5120 taking so long".
_ORDER_PROGRESS = re.compile(
    r"\b(?:(?:shown|showed|turned|turn) up|come|came|here yet|late|taking|still not)\b", re.I
)


def is_about_order_progress(text: str) -> bool:
    """Where an order is, or that it has not come: `asks_about_order_state`, or words
    that say it is late ("hasn't shown up yet")."""
    return asks_about_order_state(text) or bool(_ORDER_PROGRESS.search(text))


def asks_about_own_tickets(text: str) -> bool:
    return bool(_OWN_TICKETS.search(text))


_PERSON_WORD = re.compile(r"\b(?:" + _PERSON_NOUN + r"|anyone|call me|ring me|phone me)\b", re.I)


def mentions_a_person(text: str) -> bool:
    """A word for a person or a call ("have someone ring me back"): what makes the NLU's
    guess that a customer wants a person more than a guess."""
    return bool(_PERSON_WORD.search(text))


_YEAR = re.compile(r"^(?:19|20)\d\d$")
# A number the message says is something else: "my zip is 97201", "call me on 0770...".
_OTHER_NUMBER = re.compile(
    r"\b(?:zip|post ?code|postal code|phone|mobile|cell|call|text|ring|card|pin|code|"
    r"account number|tel)\b",
    re.I,
)


def order_like_numbers(text: str) -> list[str]:
    """Bare numbers that may be an order number: 4 to 10 digits, not a year ("since
    2019"), none when the message names the number as something else (a zip code, a
    phone number, a card)."""
    if _OTHER_NUMBER.search(text):
        return []
    return [n for n in bare_numbers(text) if not _YEAR.match(n)]


def is_follow_up(text: str) -> bool:
    """ "and 4418?", "what about to Canada?": a short message leaning on the last one."""
    return len(text.split()) <= 8 and bool(_FOLLOW_UP.search(text))


_NEW_OBJECT = re.compile(
    r"^\s*"
    + _FILLER
    + r"(?:and what about|what about|how about|same for|and|or)\s+(?P<rest>.+?)[\s?!.]*$",
    re.I,
)
_DETERMINER = r"my|a|an|the|your|our|this|that|these|those|his|her|their|some"
_DETERMINERS = frozenset(_DETERMINER.split("|"))
_PLACE = ("to", "from", "in", "within", "into", "at", "inside", "outside")
_PREPOSITION = (*_PLACE, "for", "on", "with", "without", "by", "after", "before")
_LAST_DETERMINER = re.compile(rf"\b(?:{_DETERMINER})\b(?!.*\b(?:{_DETERMINER})\b)", re.I)
_STARTS_A_QUESTION = re.compile(
    r"^(?:is|are|was|were|do|does|did|can|could|will|would|should|how|what|when|where|why|"
    r"which|who|if|i|you|we|it|they)\b",
    re.I,
)
_MAX_LAST_WORDS = 15


def with_new_object(last: str, follow_up: str) -> str | None:
    """The last question asked again about what a short follow-up names: "how do I wash
    my down jacket" + "and my rain shell?" -> "how do I wash my rain shell"; "how much is
    shipping within the US" + "what about to Canada?" -> "how much is shipping to
    Canada"; "what about a waterproof one?" -> "... a waterproof jacket". None when the
    follow-up is a question of its own ("and is shipping free?"), a condition ("what if
    ..."), or names nothing the last question had a place for.

    Decision: words, not a parser: the follow-up's first word says what it replaces (a
    preposition its last like one, a determiner or bare noun the last noun phrase)."""
    found = _NEW_OBJECT.match(follow_up)
    if found is None or len(last.split()) > _MAX_LAST_WORDS:
        return None
    rest = found.group("rest").strip()
    words = rest.split()
    first = words[0].lower()
    if _STARTS_A_QUESTION.match(rest) or len(words) > 6:
        return None
    if first in _PREPOSITION:
        alike = _PLACE if first in _PLACE else (first,)
        spots = [m for m in re.finditer(r"\b(\w+)\b", last) if m.group(1).lower() in alike]
        if not spots:
            return None
        start = spots[-1].start()
        return f"{last[:start]}{rest}{last[_phrase_end(last, start) :]}".strip()
    if first not in _DETERMINERS and len(words) > 3:
        return None
    spot = _LAST_DETERMINER.search(last)
    if spot is None:
        return None
    end = _phrase_end(last, spot.start())
    replaced = last[spot.start() : end].split()
    if words[-1].lower() in ("one", "ones") and len(replaced) > 1:
        head = replaced[-1].strip("?!.,")
        rest = " ".join([*words[:-1], head + ("s" if words[-1].lower() == "ones" else "")])
    if first not in _DETERMINERS:
        rest = f"{replaced[0]} {rest}"  # "and phone number?": "my phone number"
    return f"{last[: spot.start()]}{rest}{last[end:]}".strip()


_PHRASE_ENDS = frozenset(
    {
        *_PREPOSITION,
        *("be", "is", "are", "was", "were", "will", "would", "can", "could", "do", "does"),
        *("did", "have", "has", "had", "and", "or", "but"),
    }
)


def _phrase_end(text: str, start: int) -> int:
    """Where the phrase opened at `start` ("the red boots", "within the US") ends: at
    the next preposition, verb of being or joining word after its first word, an adverb
    or participle after its second, or the end of the sentence ("when will [the red
    boots] be back in stock")."""
    words = list(re.finditer(r"[\w']+|[?!.,;]", text[start:]))
    for place, found in enumerate(words[1:], 1):
        word = found.group(0).lower()
        # Past its first words, an adverb or participle ends it too: "the down
        # [ethically sourced]", not "the [damaged] jacket".
        verb_like = place >= 2 and word.endswith(("ly", "ed", "ing"))
        if word in _PHRASE_ENDS or verb_like or not word[0].isalnum():
            return start + found.start() - (1 if text[start + found.start() - 1] == " " else 0)
    return len(text.rstrip(" ?!."))


_POINTS_BACK = re.compile(r"\b(?:it|its|it's|that|this|those|these|there|they|them|same)\b", re.I)


_OPENS_ON_THE = re.compile(r"^\W*the\b", re.I)


def may_lean_on_the_last(text: str) -> bool:
    """A short message that may only make sense with the last question: a follow-up
    cue, a word pointing back ("can I cancel it?", "where is it exactly"), or a few words
    ("what's the minimum?")."""
    return is_follow_up(text) or points_back(text) or len(text.split()) <= 4


def points_back(text: str) -> bool:
    """A short message naming something already said: a word pointing back ("can I
    cancel it?") or a thing it opens on as known ("the email never came")."""
    if len(text.split()) > 8:
        return False
    return bool(_POINTS_BACK.search(text) or _OPENS_ON_THE.search(text))


def bare_numbers(text: str) -> list[str]:
    """Numbers of 4 to 10 digits standing alone (an order number said without "order")."""
    return _BARE_NUMBER.findall(text)


_HYPOTHETICAL = re.compile(
    r"^\s*(?:and\s+|so\s+|but\s+)?(?:if|what if|what happens if|suppose|supposing)\b", re.I
)


def is_hypothetical(text: str) -> bool:
    """ "if i turn off marketing emails will i still get shipping updates": asks what
    would happen, so it is never an instruction to do it."""
    return bool(_HYPOTHETICAL.search(text))


def looks_like_question(text: str) -> bool:
    stripped = text.strip()
    return stripped.endswith("?") or bool(_QUESTION_START.search(stripped))


# Every pattern that may meet a run of spaces starts only where the run starts
# (`(?<![\s,])`): a pattern tried at each space of a run and backtracking through the
# rest of it costs the square of the run (a message of 4,000 spaces took over a minute).
_SENTENCE = re.compile(r"(?<=[?!.])\s+|\n+|(?<!\s)\s+(?=\d[).]\s)")
# A second question joined to the first by "and", "also" or a comma: "do you take Apple
# Pay and is there a minimum?", "is it safe, and when do you charge it?".
_JOINED_QUESTION = re.compile(
    r"(?<![\s,])(?:\s*,[\s,]*|\s+)(?:(?:and|also|plus|&)\s*)?(?:also\s+)?(?=(?:how|what|whats|what's|when|"
    r"where|why|which|can|could|do|does|did|is|are|will|would|should|may)\s+\w+\s+\w+)",
    re.I,
)
_JOINER = re.compile(r"(?:^|\s)(?:and|also|plus|&)\s*$|,\s*$", re.I)
_ENUMERATION = re.compile(r"^\s*\d[).]\s*")
_WH_WORD = re.compile(r"\b(?:how|what|whats|what's|when|where|why|which)\b", re.I)
_MAX_PARTS = 3
_THREE_WORDS = re.compile(r"\s*\S+\s+\S+\s+\S")
# A further question that depends on the answer to the one before: "can I cancel? if
# not, how do I return it". The condition is not part of what is asked (read alone,
# "if not how do I return it" found the refunds article instead of starting a return).
_CONDITION = re.compile(
    r"^\s*(?:(?:and|but|or)\s+)?(?:if\s+(?:not|so|yes|no|that'?s\s+not\s+possible|"
    r"you\s+can'?t|i\s+can'?t)|otherwise|or\s+else|failing\s+that)\b\s*[,:;-]?\s*",
    re.I,
)


# A sentence that only continues the message: "Do you ship to Australia? Also, do you
# take PayPal", "gift card balance? and can I get a refund onto one". The joiner is not
# part of the question, and hid it ("also do you ..." does not start like a question).
_LEADING_JOINER = re.compile(
    r"^\s*(?:(?:oh|ok|okay)\s+)?(?:and\s+also|and|n|nd|also|plus|btw|by\s+the\s+way|"
    r"(?:one\s+)?more\s+thing|another\s+(?:thing|question))\b\s*[,:;-]?\s*",
    re.I,
)


def _without_joiner(sentence: str) -> str:
    return _LEADING_JOINER.sub("", sentence) or sentence


def has_question_word(text: str) -> bool:
    """ "how", "what", "when", "where", "why", "which" anywhere in the message."""
    return bool(_WH_WORD.search(text))


# A question that asks only what to do about what the message has already said: "It's
# started soaking through at the shoulders. What should I do?". Alone it finds nothing;
# it is read with the sentences before it, as context is.
_ASKS_ABOUT_THE_ABOVE = re.compile(
    r"^\W*(?:(?:so|and|but|ok|okay|then)\W+)*(?:"
    r"what\s+(?:should|shall|do|can|could|would)\s+(?:i|we)\s+do"
    r"(?:\s+(?:now|next|then|about\s+(?:it|this|that)))?"
    r"|what\s+(?:now|next|are\s+my\s+options)"
    r"|(?:can|could)\s+you\s+help(?:\s+me)?"
    r"|any\s+(?:ideas|advice|suggestions)"
    r"|(?:please\s+)?advise"
    r")(?:\s+(?:please|pls|plz))?\W*$",
    re.I,
)


# A question word inside a sentence that opens a clause about what already happened is
# not a question: "I never made an account when I ordered", "my work email which got
# shut off", "I forgot what I paid". Such a sentence is context for the question after
# it ("..., how do I start a return?"), not a question of its own: read as two, its half
# about the account was answered with creating one (sessions 33 to 44's blind sets).
_TELLS_WHAT_HAPPENED = re.compile(
    r"(?<=\w)[\s,]+(?:when|where|what|which)\s+(?:(?:i|we|you|he|she|they|it)\s+)?"
    r"(?:(?:just|already|first|never|had|have|was|were)\s+)?"
    r"(?:\w+ed|bought|made|paid|got|sent|went|came|did|gave|left|put|took|was|were|"
    r"broke|tore|wore|ran|shut|told|said|saw|found|lost|had)\b",
    re.I,
)


def _is_question(sentence: str) -> bool:
    if _ASKS_ABOUT_THE_ABOVE.match(sentence):
        return False
    # "And refunds?" after other questions: short, but a question of its own.
    short_follow_up = sentence.rstrip().endswith("?") and bool(_FOLLOW_UP.search(sentence))
    sentence = _without_joiner(sentence)
    words = len(sentence.split())
    if words < 3:
        return short_follow_up
    if looks_like_question(sentence):
        return True
    return has_question_word(_TELLS_WHAT_HAPPENED.sub(" ", sentence))


def _clauses(sentence: str) -> list[str]:
    """A sentence cut before each further question joined by "and", "also" or a comma
    (only where the cut leaves two questions of three words or more)."""
    pieces: list[str] = []
    start = 0
    for match in _JOINED_QUESTION.finditer(sentence):
        if match.start() == 0:
            continue
        head = sentence[start : match.start()]
        # The joiner is in the match (and the character before it): searching the whole
        # sentence up to each match, or counting all the words after it, costs the square
        # of a long mail's length.
        joined = bool(_JOINER.search(sentence, max(0, match.start() - 1), match.end()))
        if joined and _is_question(head.strip()) and _THREE_WORDS.match(sentence, match.end()):
            pieces.append(head.strip())
            start = match.end()
    pieces.append(sentence[start:].strip())
    return [p for p in pieces if p]


def questions_in(text: str) -> list[str]:
    """The separate questions of a message, up to three ("Do you ship to Canada? How much
    is it? And can I return there?", "1) PO boxes? 2) express?", "do you take Apple Pay and
    is there a minimum"). A message of one question, or a question with its context ("I
    bought a jacket last week. Can I return it?"), is one part: a sentence that is not
    itself a question stays with the question after it."""
    sentences = [_ENUMERATION.sub("", s).strip() for s in _SENTENCE.split(text) if s and s.strip()]
    clauses = [clause for sentence in sentences for clause in _clauses(sentence)]
    parts: list[str] = []
    context: list[str] = []
    for clause in clauses:
        if _is_question(clause):
            parts.append(" ".join([*context, clause]))
            context = []
        else:
            context.append(clause)
    if context:
        if parts:
            parts[-1] = " ".join([parts[-1], *context])
        else:
            return [text.strip()]
    if len(parts) > _MAX_PARTS:
        parts = [*parts[: _MAX_PARTS - 1], " ".join(parts[_MAX_PARTS - 1 :])]
    parts[1:] = [_CONDITION.sub("", _without_joiner(part)) or part for part in parts[1:]]
    return parts or [text.strip()]


# Where a message may join two topics that are not both worded as questions: "size
# advice for a down jacket and how do I wash it", "I need an invoice and then please
# tell me how to delete my account", "my code didn't work and now my card got declined".
_TOPIC_JOIN = re.compile(
    r"(?<![\s,])(?:\s*,[\s,]*\s|\s+)(?:and|also|plus)(?:\s+(?:then|now|also))?\s+(?:(?:please|pls)\s+)?"
    # "... got my return last week and still no money on my card" is one complaint
    r"(?!\s*(?:then\s+)?(?:still|yet)\b)"
    r"|(?<![\s;])\s*;\s*",
    re.I,
)
_MIN_TOPIC_WORDS = 3
# What happened before the request is its context, not a request of its own: "I bought
# boots in your store and want to return them", "we ordered two tents and ...".
_NARRATION = re.compile(
    r"^\s*(?:so\s+)?(?:i|we)\s+(?:just\s+|recently\s+|already\s+|have\s+|had\s+)?"
    r"(?:bought|ordered|purchased|got|received|paid|returned|placed|sent|picked\s+up|"
    r"used|tried|made)\b",
    re.I,
)


def topic_splits(text: str, limit: int = 2) -> list[tuple[str, str]]:
    """The ways one message could be two requests joined by "and" (or "also", "plus",
    "; "), each side three words or more, in the order they appear, the first `limit`.
    Whether a split is real is for the knowledge base to say: only a split whose sides
    each find their own article is taken (support_dialogue.py). A first half that tells
    what happened ("I bought boots in store and want to return them by mail") is
    context, never a split.

    Each join is judged by a few words around it, and a side is cut out only for a
    split taken: a long mail of "and"s costs its length, not its square."""
    splits: list[tuple[str, str]] = []
    if _NARRATION.match(text):
        return splits
    for match in _TOPIC_JOIN.finditer(text):
        if len(splits) == limit:
            break
        if not _THREE_WORDS.match(text, match.end()):
            continue
        head = text[: match.start()].strip()
        if len(head.split(maxsplit=_MIN_TOPIC_WORDS)) < _MIN_TOPIC_WORDS:
            continue
        tail = text[match.end() :].strip()
        splits.append((head, _CONDITION.sub("", tail) or tail))
    return splits


# A reply that is nothing but yes or no, in one or a few of the words people use for it:
# "yes", "sure, go on", "ok carry on please", "nah I'm good thanks". Answering the form's
# "Shall we go on?" with "yes go on" was read as small talk when only one word was allowed.
_YES_WORDS = (
    r"yes|yeah|yea|yep|yup|ya|sure|ok|okay|alright|all right|y|please|pls|plz|"
    r"please do|go on|go ahead|carry on|continue|keep going|do it|of course|absolutely|"
    r"definitely|sounds good|that would be great|let'?s (?:go on|continue|do it|go)"
)
_NO_WORDS = (
    r"no|nope|nah|n|no thanks|no thank you|not now|not really|i'?m good|all good|"
    r"no need|i'?m fine|that'?s all|that'?s it"
)
_POLITE = r"thanks|thank you|ty|thx"


def _phrases(words: str) -> frozenset[tuple[str, ...]]:
    """The alternatives of `words` as word tuples, each optional apostrophe spelt both
    ways ("i'?m good" is ("im", "good") once apostrophes are dropped)."""
    spelt = set()
    for alternative in re.split(r"\|(?![^()]*\))", words):
        group = re.search(r"\(\?:([^)]*)\)", alternative)
        endings = group.group(1).split("|") if group else [""]
        for ending in endings:
            phrase = alternative[: group.start()] + ending if group else alternative
            spelt.add(tuple(phrase.replace("'?", "").split()))
    return frozenset(spelt)


_YES_PHRASES = _phrases(_YES_WORDS)
_NO_PHRASES = _phrases(_NO_WORDS)
_POLITE_PHRASES = _phrases(_POLITE)
_REPLY_SEPARATOR = re.compile(r"[\s,.!]+")
_REPLY_CHARACTERS = re.compile(r"^[\w\s,.!'\u2019]*$")
_LONGEST_PHRASE = max(len(p) for p in _YES_PHRASES | _NO_PHRASES | _POLITE_PHRASES)


def _reply_of(text: str, first: frozenset[tuple[str, ...]]) -> bool:
    """One of the `first` phrases, then more of them or thanks, and nothing else.

    A walk over the words, each position reached at most once: the regular expression it
    replaces tried every way of reading "no thanks" (one phrase, or "no" then "thanks")
    and took seconds on a message repeating it twenty times."""
    if not _REPLY_CHARACTERS.match(text):
        return False
    words = [w for w in _REPLY_SEPARATOR.split(text.lower().replace("\u2019", "'")) if w]
    words = [w.replace("'", "") for w in words]
    if not words:
        return False
    later = first | _POLITE_PHRASES
    reached = {0}
    for start in range(len(words)):
        if start not in reached:
            continue
        allowed = first if start == 0 else later
        for size in range(1, min(_LONGEST_PHRASE, len(words) - start) + 1):
            if tuple(words[start : start + size]) in allowed:
                reached.add(start + size)
    return len(words) in reached


# A message of nothing but emoji (skin tones and joiners included).
_ONLY_EMOJI = re.compile(
    "^[\\s\u200d\ufe0f\U0001f3fb-\U0001f3ff\u2600-\u27bf\U0001f000-\U0001faff]+$"
)
_AGREEING_EMOJI = frozenset("👍👌✅✔🆗")
_DISAGREEING_EMOJI = frozenset("👎❌🚫")


def only_emoji(text: str) -> bool:
    return bool(_ONLY_EMOJI.match(text))


# Sounds of thinking, not words: "hmm", "umm", "uh", "erm", "mm".
_HESITATION = re.compile(r"^\W*(?:(?:h+m+|u+m+|u+h+m*|e+r+m*|m{2,})\b\W*)+$", re.I)
_WORDLESS = re.compile(r"^[\W_]*$")


def says_nothing(text: str) -> bool:
    """ "?", "...", "🤔", "hmm": a message with nothing in it to answer or act on (a
    thumbs-up or down alone says yes or no: `yes_or_no`)."""
    if yes_or_no(text) is not None:
        return False
    return bool(_WORDLESS.match(text) or _HESITATION.match(text))


_OPENS_WITH_YES_OR_NO = re.compile(rf"^\W*(?:{_YES_WORDS}|{_NO_WORDS})\b", re.I)


def opens_with_yes_or_no(text: str) -> bool:
    """ "yes and", "no but": a reply to what the bot asked, whatever follows."""
    return bool(_OPENS_WITH_YES_OR_NO.search(text))


def yes_or_no(text: str) -> str | None:
    """ "affirm" or "deny" for a reply that is nothing but yes or no (a thumbs-up or
    down alone too: by SMS it is how many say yes); else None."""
    if only_emoji(text):
        if any(ch in _AGREEING_EMOJI for ch in text):
            return "affirm"
        if any(ch in _DISAGREEING_EMOJI for ch in text):
            return "deny"
        return None
    if _reply_of(text, _YES_PHRASES):
        return "affirm"
    if _reply_of(text, _NO_PHRASES):
        return "deny"
    return None


# What a consent change acts on: the carriers' keywords said alone ("STOP", "start",
# "unsubscribe"), or words naming the messages or the list.
_CONSENT_KEYWORD = re.compile(
    r"^\W*(?:stop(?: all)?|unsubscribe|opt[- ]?(?:out|in)|subscribe|start|unstop|end|quit)"
    r"\W*$",
    re.I,
)
_CONSENT_OBJECT = re.compile(
    r"\b(?:unsubscrib\w*|subscri\w*|opt(?:\s+me)?[- ]?(?:out|in)|marketing|newsletters?"
    r"|promo\w*|e-?mails?|emailing|texts?|texting|sms|messag\w*|mailing|list|notifications?"
    r"|updates|offers|alerts|contact me|call(?:ing)? me)\b",
    re.I,
)


# "stop sending me these", "quit texting me this junk", "stop spamming me": the messages
# themselves, pointed at rather than named (by SMS, the texts the customer is reading).
# The pointer must end the request: "stop sending me these damaged items", "stop sending
# this order, I want to cancel it", "stop sending them to my work address" name
# something else ("stop sending them, ..." is read as the rest says), and "don't stop
# sending me these" is no request to stop.
_STOP_THESE = re.compile(
    r"(?<!don't )(?<!don\u2019t )(?<!dont )(?<!do not )"
    r"\b(?:stop|quit|no more)\s+(?:spamming\s+(?:me|us)"
    r"|(?:sending|texting|emailing|messaging)(?:\s+(?:me|us))?\s+"
    r"(?:(?:these|this|them|that)(?:\s+(?:junk|spam|crap|rubbish))?|junk|spam|any ?more))"
    r"(?:\s+(?:please|pls|plz|thanks|thx|now|ok|okay))?\s*(?:[.!?]|$)",
    re.I,
)


def names_consent(text: str) -> bool:
    """ "unsubscribe", "STOP", "no more texts please", "stop sending me these": a
    consent change says what it stops or starts, or points at the messages, or is a
    carrier's keyword alone. A bare "cancel" is not one (the NLU read it as an
    unsubscribe at 0.99): cancel what, an order, a form, a ticket?"""
    return bool(
        _CONSENT_KEYWORD.search(text) or _CONSENT_OBJECT.search(text) or _STOP_THESE.search(text)
    )
