"""The NLU layer as the engine's `Understander`: the local model or a Rasa server.

Before the parse, the message's spelling is corrected against the vocabulary of the
knowledge base and the training data ("hwo do i rset my pasword"), and its language
is detected. The correction is what the NLU and the knowledge base read; the stored
message keeps the customer's own words, and the corrector never touches numbers,
addresses or names.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from bot.conversation.dialogue import Understanding
from nlu import FALLBACK_INTENT
from nlu.idioms import say_plainly


class ParsedMessage(Protocol):
    def to_rasa(self) -> dict[str, Any]: ...


class NluParser(Protocol):
    """`nlu.NluModel` and `nlu.RasaHttpParser` both: Rasa's parse shape, asynchronously."""

    async def parse_async(self, text: str) -> ParsedMessage: ...


class Corrected(Protocol):
    text: str
    changed: bool


class Speller(Protocol):
    """`nlu.spelling.SpellingCorrector`."""

    def correct(self, text: str) -> Corrected: ...

    def knows(self, word: str) -> bool: ...


class Detected(Protocol):
    code: str | None


# A message this share of whose words the spelling corrector knows (English words and
# the domain's) is English without asking the language detector: most messages, so the
# detector's models load only when a message may be in another language.
KNOWN_ENGLISH_SHARE = 0.8
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


class LanguageGuesser(Protocol):
    """`nlu.language.LanguageDetector`."""

    def detect(self, text: str, *, corrected: str | None = None) -> Detected: ...


class NluUnderstander:
    """Reads Rasa's parse shape, so `nlu.NluModel` and `nlu.RasaHttpParser` both fit."""

    def __init__(
        self,
        parser: NluParser,
        *,
        speller: Speller | None = None,
        languages: LanguageGuesser | None = None,
    ) -> None:
        self.parser = parser
        self.speller = speller
        self.languages = languages

    async def understand(self, text: str) -> Understanding:
        corrected = self.speller.correct(text) if self.speller is not None else None
        language = self._language(text, corrected.text if corrected else None)
        read_as = text
        if corrected is not None and corrected.changed and language in (None, "en"):
            read_as = corrected.text
        if language in (None, "en"):
            read_as = say_plainly(read_as)
        parsed = (await self.parser.parse_async(read_as)).to_rasa()
        intent = parsed.get("intent") or {}
        ranking = [
            (str(item.get("name")), float(item.get("confidence") or 0.0))
            for item in parsed.get("intent_ranking") or []
            if item.get("name")
        ]
        return Understanding(
            intent=str(intent.get("name") or FALLBACK_INTENT),
            confidence=float(intent.get("confidence") or 0.0),
            entities=[
                {key: entity.get(key) for key in ("entity", "value", "start", "end", "extractor")}
                for entity in parsed.get("entities") or []
            ],
            ranking=ranking,
            read_as=read_as if read_as != text else None,
            language=language,
        )

    def _language(self, text: str, corrected: str | None) -> str | None:
        if self.languages is None:
            return None
        if self.speller is not None:
            words = _WORD.findall(text)
            known = sum(1 for word in words if word.isascii() and self.speller.knows(word))
            if words and known >= KNOWN_ENGLISH_SHARE * len(words):
                return "en"
        return self.languages.detect(text, corrected=corrected).code
