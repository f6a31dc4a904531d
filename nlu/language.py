"""Which language a customer wrote in, so a message the help centre cannot read gets a
word in its own language instead of "Sorry, I'm still not getting it".

lingua (lingua-language-detector) ships its models in the package: nothing is fetched.
The rule that matters: an English message taken for another language is worse than a
foreign one missed (the customer would be told, in Turkish, that the bot reads only
English). So a language other than English is named only with a clear lead over the
others and enough text to judge; short and slangy English ("heya", "ttyl", "cheers")
is where lingua guesses wrong, and those guesses are turned into None ("cannot tell").

Figures behind the constants: bench/languages.py, which prints for each threshold the
share of English customer messages (nlu/data/support.yml, BANKING77's test set) taken
for another language and the recall on bench/data/customer_languages.yml.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from lingua import ConfidenceValue, IsoCode639_1, Language, LanguageDetectorBuilder

__all__ = ["CUSTOMER_LANGUAGES", "DetectedLanguage", "LanguageDetector"]

# English, and what customers of a US/European shop write: the EU's larger languages,
# and the largest immigrant and tourist languages in the US and the EU. Each language
# more splits lingua's confidence further between neighbours (sv/da/nb, es/pt), so the
# list stays at what is likely; a Danish message then mostly comes out as None or a
# neighbour, which costs the customer an English sentence, not a wrong answer.
CUSTOMER_LANGUAGES: tuple[str, ...] = (
    "en", "es", "fr", "de", "pt", "it", "nl", "pl", "sv", "tr", "ru", "zh", "ja", "ar",
)  # fmt: skip

# Below this many letters nothing is said ("ok", "hi!", "4417", an emoji). Ideographs
# and kana count `IDEOGRAPH_WEIGHT` letters each: one carries about a word.
MIN_LETTERS = 3
IDEOGRAPH_WEIGHT = 3
# A language other than English needs at least this confidence (lingua's values sum to
# 1 over the languages above). Measured in bench/languages.py, high-accuracy mode, with
# the rules below: at 0.7 none of the 456 support.yml examples and the 3,080 BANKING77
# test texts was taken for another language, 2 of the 456 examples with typos were
# (0 with `corrected`), and 136 of 142 written non-English messages were recognised
# by this threshold alone (romance 38/44, 41/44 with `ENGLISH_RULED_OUT` below;
# germanic 32/32, slavic 30/30, other 36/36; never a wrong code; 135 with `corrected`,
# which loses "hallo, waar is mijn bestelling?"). 0.6
# recognises 2 more, but the most foreign-looking clean English message, "resubscribe
# me", is Dutch at 0.574: 0.7 keeps a margin. At 0.5 that message is lost. lingua
# alone (its top language, no threshold) takes 35 of the 456 examples for another
# language, 113 of them with typos.
NON_ENGLISH_MIN_CONFIDENCE = 0.7
# A lone word in the Latin alphabet is named as a language other than English only
# above this: lingua read "heya" as Turkish (0.76), "ttyl" as Polish (0.67) and "hej"
# as Polish (0.62), while "dziękuję" (1.0) or "obrigado" (0.80) are clear enough.
SINGLE_WORD_MIN_CONFIDENCE = 0.9
# Inverted question and exclamation marks are written only in Spanish, and lingua does
# not weigh them: "¿Puedo devolver unas botas?" was Spanish at 0.687, "¡Hola! ¿tienen
# tallas grandes?" at 0.616, so both were "cannot tell", answered in English, and the
# spelling corrector turned the first into "¿Puedo revolver una boats?". With one of
# these marks, Spanish needs only a clear lead. No English message carries them.
SPANISH_MARKS = "\u00bf\u00a1"  # ¿ ¡
SPANISH_MARKED_MIN_CONFIDENCE = 0.5
# Neighbouring languages split lingua's confidence: "ciao, posso pagare con paypal?" was
# Italian at 0.58 (Portuguese 0.16, English 0.05), "puis-je payer avec paypal ?" French at
# 0.50 (German 0.11, English 0.05), so both were "cannot tell" and got the English
# fallback. A message of two words or more is also named when English is all but ruled
# out and one language leads the next by this factor, from this confidence up.
# "resubscribe me" (Dutch 0.57, English 0.26) stays unnamed. Figures: bench/languages.py.
ENGLISH_RULED_OUT = 0.06
CLEAR_LEAD_FACTOR = 3.0
CLEAR_LEAD_MIN_CONFIDENCE = 0.4


@dataclass(frozen=True, slots=True)
class DetectedLanguage:
    """`code` is ISO 639-1 ("en", "es"), or None when the text cannot tell (too short,
    too few letters, or no language clearly ahead); `confidence` is lingua's value for
    the top language (0.0 when there is nothing to judge)."""

    code: str | None
    confidence: float


class LanguageDetector:
    """One per process. High-accuracy mode, measured in
    bench/languages.py: low-accuracy mode is about three times faster (p50 0.055 ms
    against 0.174 ms, both far below a parse) and takes 25 MB, not 340 to 400, but at
    the same threshold it took 15 of 456 support.yml examples for another language
    (3.3%, "how do I reset my password?" among them) and 55 of 3,080 BANKING77 texts.

    Models load on first use of a language, about 25 MB each (the first Latin-script
    message loads all the Latin-script languages' models, over a second), unless
    `preload` is set, which loads all of them at once (3 to 11 s here, 340 to 400 MB)."""

    def __init__(
        self,
        languages: Iterable[str] = CUSTOMER_LANGUAGES,
        *,
        min_confidence: float = NON_ENGLISH_MIN_CONFIDENCE,
        low_accuracy: bool = False,
        preload: bool = False,
    ) -> None:
        """`min_confidence` and `low_accuracy` exist for the benchmark; the defaults are
        the measured choice."""
        codes = list(dict.fromkeys(code.lower() for code in languages))
        if "en" not in codes:
            raise ValueError("the languages must include English ('en')")
        chosen = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in codes]
        builder = LanguageDetectorBuilder.from_languages(*chosen)
        if low_accuracy:
            builder = builder.with_low_accuracy_mode()
        if preload:
            builder = builder.with_preloaded_language_models()
        self._detector = builder.build()
        self.languages: tuple[str, ...] = tuple(codes)
        self._min_confidence = min_confidence

    def detect(self, text: str, *, corrected: str | None = None) -> DetectedLanguage:
        """The language of `text`, or a None code when it cannot tell.

        `corrected` is the same text after spelling correction (nlu/spelling.py), when
        the caller has it: a language other than English is then not named (None) when
        the corrected text reads as English. Typos make English look foreign ("no moree
        promotionaal messages" read as Dutch); corrected, it reads as English again. A
        foreign message, "corrected" as if English, mostly stays foreign or unclear
        ("ich habe mein Passwort vergessen" -> "rich have mean Passwort vergessen").
        Figures: bench/languages.py, "+ confirmed, corrected"."""
        first = self._judge(text)
        if first.code in (None, "en") or corrected is None or corrected == text:
            return first
        if self._judge(corrected).code == "en":
            return DetectedLanguage(None, first.confidence)
        return first

    def _judge(self, text: str) -> DetectedLanguage:
        letters = _letter_weight(text)
        if letters < MIN_LETTERS:
            return DetectedLanguage(None, 0.0)
        values: list[ConfidenceValue] = self._detector.compute_language_confidence_values(text)
        if not values:
            return DetectedLanguage(None, 0.0)
        top = values[0]
        code = top.language.iso_code_639_1.name.lower()
        confidence = float(top.value)
        if code == "en":
            return DetectedLanguage(code, confidence)
        needed = self._min_confidence
        if code == "es" and any(mark in text for mark in SPANISH_MARKS):
            needed = min(needed, SPANISH_MARKED_MIN_CONFIDENCE)
        if _is_one_latin_word(text):
            needed = max(needed, SINGLE_WORD_MIN_CONFIDENCE)
        if confidence < needed and not _clear_of_english(text, values):
            return DetectedLanguage(None, confidence)
        return DetectedLanguage(code, confidence)


def _clear_of_english(text: str, values: list[ConfidenceValue]) -> bool:
    """English all but ruled out and the top language far ahead of the next (see
    `ENGLISH_RULED_OUT`)."""
    if _is_one_latin_word(text) or len(values) < 2:
        return False
    english = next((v.value for v in values if v.language == Language.ENGLISH), 0.0)
    top, second = values[0].value, values[1].value
    return (
        english <= ENGLISH_RULED_OUT
        and top >= CLEAR_LEAD_MIN_CONFIDENCE
        and top >= CLEAR_LEAD_FACTOR * second
    )


def _letter_weight(text: str) -> int:
    weight = 0
    for ch in text:
        if ch.isalpha():
            weight += IDEOGRAPH_WEIGHT if _is_ideographic(ch) else 1
    return weight


def _is_ideographic(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL"))


def _is_one_latin_word(text: str) -> bool:
    words = [w for w in text.split() if any(ch.isalpha() for ch in w)]
    return len(words) == 1 and all(
        "LATIN" in unicodedata.name(ch, "") for ch in words[0] if ch.isalpha()
    )
