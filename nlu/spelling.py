"""Spelling correction for what customers type, before retrieval and classification.

"hwo do i rset my pasword" should find the password article. `SpellingCorrector` is
symspellpy over its shipped English frequency dictionary plus the help centre's and the
training data's own words, and it is conservative on purpose: a correct word changed
into another word hurts more than a typo left alone (the encoder survives most typos;
it cannot survive "Kaur" turned into "kauri"). The corrected text is for the machines
only: the history keeps what the customer wrote.

The rules, in the order they apply to each word:

1. Whole whitespace-separated pieces are left alone when they hold a digit (order
   numbers "4417", "#A-1029", "3pm"), an "@" (emails, handles), or look like a web
   address ("https://...", "www.", "acme.com").
2. Words with letters outside ASCII are left alone: they are not English and the
   dictionary cannot judge them (call `correct` on English messages only; see
   `nlu.language`).
3. Apostrophe-less contractions are restored from a fixed table ("doesnt" -> "doesn't",
   "im" -> "I'm", "cant" -> "can't"). Decision: the contraction, not "does not": it is
   the one-character edit the writer skipped, the form the shipped dictionary and the
   help centre write, and it keeps the sentence as written. "cant" and "wont" are
   dictionary words (hypocrisy, habit), but in a message to a shop they are "can't" and
   "won't". Chat shorthand is spelled out from another fixed table (`SPELLED_OUT`:
   "hrs" -> "hours", "u" -> "you"), in any case but mixed: the encoder reads written
   English. These two tables are the only source of corrections for 1-2 letter words.
4. Known words are never touched: the English dictionary, the domain vocabulary, the
   protected terms, common chat shorthand ("lol", "idk", "pls"), a possessive of a
   known word ("order's").
5. Case tells names apart: a word in ALL CAPS is an acronym or a brand (left alone),
   unless most of the message is in capitals (the customer is shouting, and capitals
   say nothing); a Capitalised word that does not start a sentence is likely a name or
   a brand: it is corrected only when the fix is one swap of two adjacent letters
   ("Retrun" -> "Return"), a slip names rarely make into a common word. Mixed case
   ("iPhone") is left alone.
6. Words of 1 or 2 letters are never corrected (too many words are one edit away), nor
   parts of 3 letters or fewer of a hyphenated word ("pre-order", "check-ins"), nor
   3-letter words without a vowel that no vowel put back makes a word: abbreviations
   ("mtb", "bmx"; "mtb service price" was read as "mtg service price"), where "wht" and
   "hlp" lost the vowel of "what" and "help". A hyphenated word of the domain is
   also known written as one word, singular or plural ("E-bikes": "ebike", "ebikes"):
   "ebike" was read as "bike".
7. Otherwise symspell lists the words one edit away (Damerau: a deletion, insertion,
   substitution or swap of adjacent letters); the most likely one wins: its prior is a
   mixture of the domain's word frequencies (weight `DOMAIN_WEIGHT`) and English
   frequencies, so "rset" becomes "reset" (a help-centre word) rather than "set"; and
   an edit a finger rarely makes (a key far from the right one) counts a tenth
   (`_slip_weight`), so "nto" becomes "not", not "to". A candidate known only from
   English must be a common word (`MIN_ENGLISH_COUNT`): a rare dictionary word one
   edit away from an unknown word is more likely a false correction than the writer's
   intent. The British spelling of an American word is no correction ("traveling"
   stays, though the dictionary lacks it). Two edits are not tried: the index for them
   costs four times the build time and twice the memory, and lookups of short words
   took milliseconds.
"""

from __future__ import annotations

import importlib.resources
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from symspellpy import SymSpell, Verbosity

__all__ = ["Change", "Correction", "SpellingCorrector"]

DICTIONARY = "frequency_dictionary_en_82_765.txt"
MAX_EDIT_DISTANCE = 1
# Share of the domain's own word frequencies in the prior (the rest is English). The
# messages are about the shop, so its wording is the better guess; English stays for
# the words the help centre never uses.
DOMAIN_WEIGHT = 0.9
# A candidate known only from English must be at least this frequent in the shipped
# dictionary (about its 22,000 most common words), or the unknown word is left alone.
MIN_ENGLISH_COUNT = 1_000_000
MIN_CORRECTED_LENGTH = 3
# Short parts of hyphenated words are prefixes and particles ("pre-order", "check-ins",
# "add-ons"), not words with a slip: "pre" would become "per".
MAX_AFFIX_LENGTH = 3
# Above this share of ALL CAPS words (3 or more words) the message is shouted.
SHOUTING_SHARE = 0.6

CONTRACTIONS: dict[str, str] = {
    "arent": "aren't",
    "cant": "can't",
    "couldnt": "couldn't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "dont": "don't",
    "hadnt": "hadn't",
    "hasnt": "hasn't",
    "havent": "haven't",
    "im": "I'm",
    "isnt": "isn't",
    "ive": "I've",
    "shouldnt": "shouldn't",
    "thats": "that's",
    "theres": "there's",
    "theyre": "they're",
    "wasnt": "wasn't",
    "werent": "weren't",
    "whats": "what's",
    "wont": "won't",
    "wouldnt": "wouldn't",
    "youre": "you're",
    "youve": "you've",
}

# Chat shorthand spelled out for the machines, as the contractions are restored: the
# encoder and the classifier were trained on written English, and "portland flagship hrs"
# found store addresses where "hours" finds opening hours. Only words whose meaning in a
# message to a shop is not in doubt ("r" may be a size; "info" reads well as it is).
SPELLED_OUT: dict[str, str] = {
    "u": "you",
    "ur": "your",
    "hrs": "hours",
    "hr": "hour",
    "mins": "minutes",
    "wk": "week",
    "wks": "weeks",
    "yr": "year",
    "yrs": "years",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "acct": "account",
    "pw": "password",
    "pwd": "password",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "msg": "message",
    "pkg": "package",
    "abt": "about",
    "ppl": "people",
    "bc": "because",
    "cuz": "because",
    "thru": "through",
    "qty": "quantity",
    "approx": "approximately",
}

# Chat shorthand written on purpose: not typos, never "corrected" into a word.
SHORTHAND = frozenset((
    "afaik", "asap", "atm", "brb", "btw", "cya", "faq", "fyi", "gonna", "gotta", "idk",
    "imo", "irl", "jk", "lmk", "lol", "msg", "nvm", "np", "ok", "okay", "omg", "pls",
    "plz", "pm", "smh", "tbh", "thx", "ttyl", "ty", "wanna", "wtf", "ya", "yup",
))  # fmt: skip

# Names and words customers write to a shop that the shipped dictionary lacks or ranks
# too low to keep, so edit distance 1 "corrected" them into common words: "amex" became
# "alex", "gmail" "email", "mom" "mon", "wth" "with" (found by correcting the demo help
# centre's `asked:` phrasings, which are written as customers write). Card networks and
# wallets, buy-now-pay-later, carriers, mail providers, marketplaces and stores people
# compare prices with, devices, family words, e-gift words, chat shorthand.
EVERYDAY = frozenset((
    "amex", "mastercard", "paypal", "venmo", "zelle", "applepay", "gpay", "klarna",
    "afterpay", "sezzle", "ups", "usps", "fedex", "dhl", "gmail", "hotmail", "icloud",
    "amazon", "ebay", "etsy", "walmart", "costco", "rei", "iphone", "ipad", "android",
    "mom", "moms", "dad", "dads", "hubby", "bf", "gf", "egift", "ecard", "evoucher",
    "wth", "ikr", "rn", "bc", "tmrw", "tmr",
))  # fmt: skip

# An edit a finger rarely makes counts this much (see `_slip_weight`). Neighbours are
# the QWERTY keys one row or column away, rows taken as aligned (they nearly are).
UNLIKELY_SLIP = 0.1
KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
NEIGHBOURS: dict[str, str] = {
    key: "".join(
        other[j]
        for r2, other in enumerate(KEYBOARD_ROWS)
        if abs(r2 - r) <= 1
        for j in range(max(0, c - 1), min(len(other), c + 2))
        if other[j] != key
    )
    for r, row in enumerate(KEYBOARD_ROWS)
    for c, key in enumerate(row)
}

_PIECE = re.compile(r"\S+")
APOSTROPHES = "'\u2019"  # typed and typographic
_WORD = re.compile(rf"[^\W\d_]+(?:[{APOSTROPHES}][^\W\d_]+)*")
_WEB = re.compile(r"://|^www\.|[A-Za-z0-9-]+\.[A-Za-z]{2,}")
SENTENCE_ENDS = ".!?:;\n"


class Change(NamedTuple):
    """One corrected word: what was written, what it became, and where (character
    offsets into the original text, end exclusive)."""

    original: str
    corrected: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Correction:
    """The corrected text and each change made to it."""

    text: str
    changes: list[Change] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


class SpellingCorrector:
    """Built once per process: `build` took 2.7 s and 68 MB here (bench/typos.py);
    `correct` then took p50 0.07 ms per message, about 1/500 of an NLU parse. Safe to
    share between threads (`correct` only reads)."""

    def __init__(
        self,
        symspell: SymSpell,
        english: dict[str, int],
        domain: Counter[str],
        protected: frozenset[str],
    ) -> None:
        self._symspell = symspell
        self._english = english
        self._english_total = max(1, sum(english.values()))
        self._domain = domain
        self._domain_total = max(1, sum(domain.values()))
        self._protected = protected

    @classmethod
    def build(
        cls, domain_texts: Iterable[str], *, protected_terms: Iterable[str] = ()
    ) -> SpellingCorrector:
        """The shipped English dictionary plus the words of `domain_texts` (the knowledge
        base's texts, the NLU training examples). `protected_terms` (product names,
        brands; several words each if need be) are never corrected, and are domain words:
        a slip in one ("Stormshel") may be corrected to it."""
        symspell = SymSpell(max_dictionary_edit_distance=MAX_EDIT_DISTANCE, prefix_length=7)
        resource = importlib.resources.files("symspellpy").joinpath(DICTIONARY)
        with importlib.resources.as_file(resource) as path:
            if not symspell.load_dictionary(str(path), term_index=0, count_index=1):
                raise RuntimeError(f"symspellpy's {DICTIONARY} did not load")
        english = dict(symspell.words)
        protected = frozenset(
            _lookup_form(word)
            for term in protected_terms
            for word in _WORD.findall(term)
            if word.isascii()
        )
        domain: Counter[str] = Counter()
        for text in domain_texts:
            for piece in _PIECE.findall(text):
                if _is_protected_piece(piece):
                    continue
                domain.update(
                    _lookup_form(w) for w in _WORD.findall(piece) if w.isascii() and len(w) > 1
                )
                domain.update(_joined_forms(piece))
        domain.update(protected)
        for word, count in domain.items():
            if word not in english:
                symspell.create_dictionary_entry(word, count)
        return cls(symspell, english, domain, protected)

    def knows(self, word: str) -> bool:
        """Whether `word` (any case) is a word this corrector leaves alone."""
        key = _lookup_form(word)
        return (
            key in self._english
            or key in self._domain
            or key in self._protected
            or key in SHORTHAND
            or key in EVERYDAY
            or (key.endswith("'s") and self.knows(key[:-2]))
        )

    def correct(self, text: str) -> Correction:
        """`text` with its likely typos corrected; untouched text keeps its case and
        punctuation. For English messages (see the module's rules)."""
        words = [
            (m.group(), piece.start() + m.start())
            for piece in _PIECE.finditer(text)
            if not _is_protected_piece(piece.group())
            for m in _WORD.finditer(piece.group())
        ]
        if not words:
            return Correction(text)
        capitals = [w for w, _ in words if len(w) > 1 and w.isupper()]
        shouting = len(words) >= 3 and len(capitals) > SHOUTING_SHARE * len(words)
        changes: list[Change] = []
        for word, start in words:
            if len(word) <= MAX_AFFIX_LENGTH and _in_compound(text, start, start + len(word)):
                continue
            first = word[0].isupper() and _starts_sentence(text, start)
            fixed = self._fix(word, sentence_start=first, shouting=shouting)
            if fixed is not None and fixed != word:
                changes.append(Change(word, fixed, start, start + len(word)))
        if not changes:
            return Correction(text)
        parts: list[str] = []
        cursor = 0
        for change in changes:
            parts.append(text[cursor : change.start])
            parts.append(change.corrected)
            cursor = change.end
        parts.append(text[cursor:])
        return Correction("".join(parts), changes)

    def _fix(self, word: str, *, sentence_start: bool, shouting: bool) -> str | None:
        if not word.isascii():
            return None
        key = _lookup_form(word)
        if key in self._protected:
            return None
        shape = _shape(word)
        if key in SPELLED_OUT and shape != "mixed":  # "HRS" and "Hrs" are hours too
            spelled = SPELLED_OUT[key]
            return spelled[0].upper() + spelled[1:] if sentence_start else spelled
        if shape == "mixed" or (shape == "upper" and len(word) > 1 and not shouting):
            return None
        name_like = shape == "title" and not sentence_start
        if key in CONTRACTIONS and not name_like:
            return _recase(CONTRACTIONS[key], word)
        if len(word) < MIN_CORRECTED_LENGTH or self.knows(word) or self._abbreviation(key):
            return None
        best = self._best_candidate(key)
        if best is None or (name_like and not _is_adjacent_swap(key, best)):
            return None
        return _recase(best, word)

    def _abbreviation(self, key: str) -> bool:
        """Three letters, no vowel, and no word with a vowel put back ("mtb", "bmx"; not
        "wht" or "hlp", which lost the vowel of "what" and "help")."""
        if len(key) != 3 or any(letter in "aeiouy" for letter in key):
            return False
        return not any(self.knows(key[:i] + vowel + key[i:]) for i in range(4) for vowel in "aeiou")

    def _best_candidate(self, key: str) -> str | None:
        suggestions = self._symspell.lookup(
            key, Verbosity.ALL, max_edit_distance=MAX_EDIT_DISTANCE, transfer_casing=False
        )
        best, best_likelihood = None, 0.0
        for suggestion in suggestions:
            term = suggestion.term
            if term == key or _is_british_for(term, key):
                continue
            in_domain = self._domain.get(term, 0)
            in_english = self._english.get(term, 0)
            if not in_domain and in_english < MIN_ENGLISH_COUNT:
                continue
            prior = (
                DOMAIN_WEIGHT * in_domain / self._domain_total
                + (1 - DOMAIN_WEIGHT) * in_english / self._english_total
            )
            likelihood = prior * _slip_weight(key, term)
            if likelihood > best_likelihood:
                best, best_likelihood = term, likelihood
        return best


def _joined_forms(piece: str) -> list[str]:
    """A hyphenated word written as one, singular and plural: "E-bikes" -> "ebikes",
    "ebike"; none for a piece without a hyphen between letters."""
    parts = _WORD.findall(piece)
    if len(parts) < 2 or "-" not in piece or not all(p.isascii() for p in parts):
        return []
    joined = _lookup_form("".join(parts))
    other = joined[:-1] if joined.endswith("s") else joined + "s"
    return [joined, other]


def _lookup_form(word: str) -> str:
    return word.lower().replace("\u2019", "'")


def _is_protected_piece(piece: str) -> bool:
    """Order numbers, emails, handles, web addresses: never corrected, never learnt."""
    return any(ch.isdigit() for ch in piece) or "@" in piece or bool(_WEB.search(piece))


def _in_compound(text: str, start: int, end: int) -> bool:
    return text[start - 1 : start] == "-" or text[end : end + 1] == "-"


def _starts_sentence(text: str, start: int) -> bool:
    """Whether only punctuation and spaces stand between `start` and the text's start
    or the end of the previous sentence."""
    i = start - 1
    while i >= 0 and not text[i].isalnum():
        if text[i] in SENTENCE_ENDS:
            return True
        i -= 1
    return i < 0


def _shape(word: str) -> str:
    letters = "".join(ch for ch in word if ch not in APOSTROPHES)
    if letters.islower():
        return "lower"
    if letters.isupper():
        return "upper"
    if letters[0].isupper() and letters[1:].islower():
        return "title"
    return "mixed"


def _recase(corrected: str, like: str) -> str:
    """`corrected` written in the case of `like` ("Hwo" -> "How", "PASWORD" -> ...)."""
    shape = _shape(like)
    if shape == "upper" and len(like) > 1:
        return corrected.upper()
    if shape == "title":
        return corrected[0].upper() + corrected[1:]
    return corrected


def _slip_weight(typed: str, meant: str) -> float:
    """How likely `typed` is as a slip for `meant` (one edit apart). Typing errors are
    mostly a letter left out, two letters swapped, a letter doubled, or a key next to
    the right one; a letter from across the keyboard is `UNLIKELY_SLIP` times as likely.
    This is what turns "nto" into "not" rather than the far more frequent "to"."""
    if len(typed) == len(meant):
        differ = [i for i, (a, b) in enumerate(zip(typed, meant, strict=True)) if a != b]
        if len(differ) == 1:
            i = differ[0]
            return 1.0 if typed[i] in NEIGHBOURS.get(meant[i], "") else UNLIKELY_SLIP
        return 1.0  # two adjacent letters swapped
    if len(typed) == len(meant) + 1:  # a letter too many
        i = next(
            (i for i, (a, b) in enumerate(zip(typed, meant, strict=False)) if a != b), len(meant)
        )
        extra = typed[i]
        around = typed[max(0, i - 1) : i] + typed[i + 1 : i + 2]
        near = any(extra == ch or extra in NEIGHBOURS.get(ch, "") for ch in around)
        return 1.0 if near else UNLIKELY_SLIP
    return 1.0  # a letter left out


def _is_british_for(term: str, key: str) -> bool:
    """ "travelling" for "traveling", "cancelled" for "canceled": the dictionary lacks
    some American spellings, and an American customer spelled them right."""
    return any(
        key.endswith("l" + suffix) and term == key[: -len(suffix)] + "l" + suffix
        for suffix in ("ed", "ing", "er", "ers")
    )


def _is_adjacent_swap(written: str, corrected: str) -> bool:
    if len(written) != len(corrected):
        return False
    differ = [i for i, (a, b) in enumerate(zip(written, corrected, strict=True)) if a != b]
    return (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and written[differ[0]] == corrected[differ[1]]
        and written[differ[1]] == corrected[differ[0]]
    )
