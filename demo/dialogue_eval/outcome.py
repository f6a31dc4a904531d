"""What the bot did with one customer message, read from the replies it stored.

Each bot reply records why it was sent in `attributes["route"]` (the routing contract of
issue 14): `decision` (answer, action, form, clarify, handover, offer, fallback,
small_talk, language), `rule`, `action`, `articles`, `options`, `language`, `parts`
(one such dict per question of a message with several). The reply's `sources` list what
it cites. Replies stored before the router wrote `route` are read by the legacy reader
(demo/dialogue_eval/legacy.py), and the outcome says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from crm_store.records import InteractionRecord
from demo.dialogue_eval.data_set import article_key
from demo.dialogue_eval.legacy import legacy_route

DECISIONS = frozenset(
    {
        "answer",
        "action",
        "form",
        "clarify",
        "handover",
        "offer",
        "fallback",
        "small_talk",
        "language",
    }
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """All the bot's replies to one message, taken together."""

    decisions: tuple[str, ...] = ()
    actions: frozenset[str] = frozenset()  # actions and forms run (name per decision)
    cited: frozenset[str] = frozenset()  # article keys the replies cite
    options: frozenset[str] = frozenset()  # what a clarifying question or a fallback's list offered
    languages: frozenset[str] = frozenset()
    legacy: bool = False  # read (at least partly) by the legacy reader
    texts: tuple[str, ...] = field(default=(), compare=False)
    rules: tuple[str, ...] = field(default=(), compare=False)  # the router's rule per decision
    routes: tuple[dict[str, Any], ...] = field(default=(), compare=False)  # as stored

    def describe(self) -> str:
        """Short, for the confusion table and the failure list."""
        if not self.decisions:
            return "no reply"
        parts = []
        for decision in dict.fromkeys(self.decisions):
            if decision == "answer":
                parts.append("answer " + "+".join(sorted(self.cited)))
            elif decision in ("action", "form"):
                parts.append(f"{decision} " + "+".join(sorted(self.actions)))
            elif decision == "clarify":
                parts.append("clarify " + "/".join(sorted(self.options)))
            elif decision == "language":
                parts.append("language " + "+".join(sorted(self.languages)))
            else:
                parts.append(decision)
        if self.cited and "answer" not in self.decisions:
            parts.append("citing " + "+".join(sorted(self.cited)))
        return ", ".join(parts)


def outcome_of(replies: Iterable[InteractionRecord]) -> Outcome:
    decisions: list[str] = []
    actions: set[str] = set()
    cited: set[str] = set()
    options: set[str] = set()
    languages: set[str] = set()
    legacy = False
    texts = []
    rules: list[str] = []
    routes: list[dict[str, Any]] = []
    for reply in replies:
        texts.append(reply.text)
        route = reply.attributes.get("route")
        if isinstance(route, dict):
            # What the reply cites is in its sources too: both count as cited.
            cited.update(article_key(s["source"]) for s in reply.sources if _has_source(s))
        else:
            route, legacy = legacy_route(reply), True
        routes.append(route)
        for part in [route, *_parts(route)]:
            decision = part.get("decision")
            if decision:
                decisions.append(str(decision))
                rules.append(str(part.get("rule") or decision))
            if part.get("action") and decision in ("action", "form"):
                actions.add(str(part["action"]))
            cited.update(article_key(str(a)) for a in part.get("articles") or [])
            options.update(str(o) for o in part.get("options") or [])
            if part.get("language"):
                languages.add(str(part["language"]))
    return Outcome(
        tuple(decisions),
        frozenset(actions),
        frozenset(cited),
        frozenset(options),
        frozenset(languages),
        legacy,
        tuple(texts),
        tuple(rules),
        tuple(routes),
    )


def _parts(route: dict[str, Any]) -> list[dict[str, Any]]:
    parts = route.get("parts")
    return [p for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []


def _has_source(source: Any) -> bool:
    return isinstance(source, dict) and isinstance(source.get("source"), str)
