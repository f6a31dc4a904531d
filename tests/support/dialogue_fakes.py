"""Fakes behind `SupportDialogue` for its unit tests: a knowledge base that returns
scripted passages and an action runner that records every action it was asked to run
and answers with scripted outcomes. Neither loads a model, opens a database or listens
on a port; both keep what they were asked for tests to assert on.

They satisfy what the dialogue calls, not a declared Protocol: the dialogue's
constructor names the concrete `KnowledgeBase` (reached through
`knowledge.answer_async`, which calls `search_async`) and `ActionRunner` (`run`).
"""

from __future__ import annotations

import zlib
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from bot.conversation.action_runner import ActionOutcome, context_slots
from bot.conversation.dialogue import Turn
from knowledge import Passage


def passage(
    text: str,
    similarity: float,
    *,
    title: str = "Refunds",
    section: str = "Timing",
    source: str = "https://help.acme.test/refunds",
) -> Passage:
    """One search hit; `similarity` decides whether it is confident. Each section of
    each source is a chunk of its own, as in a real index."""
    return Passage(
        document_id=title.lower(),
        chunk_id=zlib.crc32(f"{source}#{section}".encode()),
        title=title,
        section=section,
        source=source,
        score=similarity,
        text=text,
        similarity=similarity,
    )


@dataclass
class ScriptedKnowledgeBase:
    """Returns the same passages for every search (best first), or, for a query that
    contains a key of `by_words` (lower case), that key's passages; records the queries
    and the language asked for. `covers` is the set of languages it answers in."""

    passages: list[Passage] = field(default_factory=list)
    by_words: dict[str, list[Passage]] = field(default_factory=dict)
    queries: list[str] = field(default_factory=list)
    languages_asked: list[str | None] = field(default_factory=list)
    covers: set[str] = field(default_factory=lambda: {"en"})
    # A passage's article's other section, by the passage's chunk id (none: one section)
    other_sections: dict[int, Passage] = field(default_factory=dict)
    sections_asked: list[tuple[str, int]] = field(default_factory=list)

    async def search_async(
        self, query: str, k: int = 5, language: str | None = None
    ) -> list[Passage]:
        self.queries.append(query)
        self.languages_asked.append(language)
        for words, found in self.by_words.items():
            if words in query.lower():
                return found[:k]
        return self.passages[:k]

    async def other_section_async(
        self, text: str, shown: Passage, *, only_if_closer: bool = False
    ) -> Passage | None:
        self.sections_asked.append((text, shown.chunk_id))
        return self.other_sections.get(shown.chunk_id)

    def languages(self) -> set[str]:
        return set(self.covers)


@dataclass(frozen=True)
class ActionRun:
    """One action the dialogue ran, with what the real runner would have sent it."""

    name: str
    slots: dict[str, Any]  # the conversation's slots at the call (a copy)
    context: dict[str, Any]  # the caller's context slots (customer, channel, verified)
    candidates: dict[str, Any] | None
    active_loop: str | None
    entities: list[dict[str, Any]] = field(default_factory=list)  # on the message


@dataclass
class RecordingActions:
    """An `ActionRunner` that records each run and answers from a script.

    `will_answer(name, *texts, **slots)` queues one outcome for the next run of `name`
    (the slots become its SlotSet events). An unscripted validation accepts its
    candidates, as a form's validation does for a good answer; any other unscripted
    action answers "<name> ran".
    """

    runs: list[ActionRun] = field(default_factory=list)
    _script: defaultdict[str, deque[ActionOutcome]] = field(
        default_factory=lambda: defaultdict(deque)
    )

    def will_answer(self, name: str, *texts: str, **slots: Any) -> None:
        self._script[name].append(ActionOutcome(list(texts), dict(slots)))

    @property
    def ran(self) -> list[str]:
        return [run.name for run in self.runs]

    async def run(
        self,
        name: str,
        turn: Turn,
        slots: dict[str, Any],
        *,
        candidates: dict[str, Any] | None = None,
        active_loop: str | None = None,
    ) -> ActionOutcome:
        entities = list(turn.understanding.entities) if turn.understanding else []
        self.runs.append(
            ActionRun(name, dict(slots), context_slots(turn), candidates, active_loop, entities)
        )
        if self._script[name]:
            return self._script[name].popleft()
        if name.startswith("validate_"):
            return ActionOutcome([], dict(candidates or {}))
        return ActionOutcome([f"{name} ran"])
