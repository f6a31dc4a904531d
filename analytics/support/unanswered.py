"""Questions the knowledge base could not answer, grouped so the team sees which
article to write next.

Each question, most asked wording first, joins the first group whose leading wording
it resembles, else leads a new group. Resemblance is the cosine of sentence embeddings
(all-MiniLM-L6-v2, the encoder the knowledge base already loaded, handed in by the bot:
analytics never imports the model) at `SIMILAR_MEANING`; without an encoder (the CLI,
a store with no knowledge base) it is TF-IDF over words and word pairs at
`SIMILAR_WORDS`. bench/unanswered_grouping.py measures both on paraphrase groups: the
encoder groups "can I pay with bitcoin?" with "do you take crypto payments?", which
shares no word with it, so the encoder is what the report uses when it has one."""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = [
    "EXAMPLE_CHARS",
    "SIMILAR_MEANING",
    "SIMILAR_WORDS",
    "QuestionEncoder",
    "RememberedEncodings",
    "group_questions",
    "groups_of",
]

SIMILAR_MEANING = 0.5  # chosen on bench/unanswered_grouping.py (0.45-0.6 tried)
SIMILAR_WORDS = 0.2  # the same (0.1-0.3 tried)
# The most asked distinct wordings grouped; rarer ones are left out of the groups (one
# encoding each: this bounds a report request's time).
MAX_WORDINGS = 300
# An example of a customer's message is cut to this many characters, its last an
# ellipsis: a table row, not the whole message.
EXAMPLE_CHARS = 80
_SPACES = re.compile(r"\s+")


class QuestionEncoder(Protocol):
    """Unit-length sentence embeddings, one row per text (knowledge's SentenceEncoder)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class RememberedEncodings:
    """A `QuestionEncoder` that encodes each wording once per process and remembers it
    (the `REMEMBERED` most recently used), so a report request encodes only the
    wordings no earlier request saw; with the sentence encoder on a CPU, encoding the
    300 grouped wordings is what a request would otherwise spend most of its time on.

    Why the encodings and not the grouped result per knowledge base and day: a wording's
    encoding never changes while the process runs (the encoder is fixed), so nothing
    has to be invalidated and the groups come out as they would without it, for any
    range and channel; grouping cached per day would be stale as soon as a customer
    asked something new that day, and would need the day's fallbacks to be re-read
    anyway to tell. Grouping 300 remembered vectors takes milliseconds."""

    REMEMBERED = 5000  # 384 float32 each: under 8 MB

    def __init__(self, encoder: QuestionEncoder) -> None:
        self._encoder = encoder
        self._known: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.encoded = 0  # wordings handed to the encoder so far

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            new = list(dict.fromkeys(text for text in texts if text not in self._known))
        if new:
            vectors = np.asarray(self._encoder.encode(new), dtype=np.float32)
            with self._lock:
                self.encoded += len(new)
                self._known.update(zip(new, vectors, strict=True))
        with self._lock:
            found = []
            for text in texts:
                vector = self._known.get(text)
                if vector is None:  # pushed out meanwhile by another request's wordings
                    vector = np.asarray(self._encoder.encode([text]), dtype=np.float32)[0]
                found.append(vector)
                self._known[text] = vector
                self._known.move_to_end(text)
            while len(self._known) > self.REMEMBERED:
                self._known.popitem(last=False)
        return np.stack(found) if found else np.zeros((0, 0), dtype=np.float32)


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text.strip().lower()).rstrip("?!. ")


def _one_line(text: str) -> str:
    """A message as its customer wrote it (case and punctuation kept), on one line and cut
    at `EXAMPLE_CHARS`."""
    line = _SPACES.sub(" ", text.strip())
    return line if len(line) <= EXAMPLE_CHARS else line[: EXAMPLE_CHARS - 1].rstrip() + "…"


def _vectors(wordings: list[str], encoder: QuestionEncoder | None) -> tuple[np.ndarray, float]:
    if encoder is not None:
        return np.asarray(encoder.encode(wordings), dtype=np.float32), SIMILAR_MEANING
    try:
        sparse = TfidfVectorizer(
            stop_words="english", ngram_range=(1, 2), sublinear_tf=True
        ).fit_transform(wordings)
    except ValueError:  # nothing but stop words: only the same wording groups
        return np.eye(len(wordings), dtype=np.float32), 1.0
    return sparse.toarray().astype(np.float32), SIMILAR_WORDS


def groups_of(wordings: list[str], encoder: QuestionEncoder | None = None) -> list[list[int]]:
    """Indexes of `wordings` (most asked first) grouped, each group led by its first."""
    vectors, similar = _vectors(wordings, encoder)
    leaders: list[int] = []
    groups: list[list[int]] = []
    for index, vector in enumerate(vectors):
        if leaders and vector.any():
            similarity = vectors[leaders] @ vector
            best = int(similarity.argmax())
            if similarity[best] >= similar:
                groups[best].append(index)
                continue
        leaders.append(index)
        groups.append([index])
    return groups


def group_questions(
    texts: list[str],
    *,
    encoder: QuestionEncoder | None = None,
    top: int = 10,
    examples: int = 3,
) -> list[dict[str, Any]]:
    """The `top` groups, largest first: `question` (the group's most asked wording,
    lower-cased), `count` (questions in it) and up to `examples` of the customers'
    messages in it as they wrote them: the most written spelling of each wording, most
    asked wording first, then their other spellings (`texts` earlier first on a tie)."""
    written: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        if text.strip():
            written[_normal(text)][_one_line(text)] += 1
    asked = Counter({wording: spellings.total() for wording, spellings in written.items()})
    if not asked:
        return []
    wordings = [text for text, _ in asked.most_common(MAX_WORDINGS)]
    groups = sorted(
        groups_of(wordings, encoder), key=lambda group: -sum(asked[wordings[n]] for n in group)
    )[:top]
    return [
        {
            "question": wordings[group[0]],
            "count": sum(asked[wordings[n]] for n in group),
            "examples": _examples([written[wordings[n]] for n in group], examples),
        }
        for group in groups
    ]


def _examples(spellings: list[Counter[str]], most: int) -> list[str]:
    firsts = [spelled.most_common()[0][0] for spelled in spellings]
    others = [text for spelled in spellings for text, _ in spelled.most_common()[1:]]
    return list(dict.fromkeys([*firsts, *others]))[:most]
