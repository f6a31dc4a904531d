"""The judge: does the outcome of one message meet its expectation?

Rules (issue 14, "Evaluation"):
- article / any_of: at least one article cited and every cited article acceptable. A
  clarifying question whose options include an acceptable article passes too, and is
  counted apart (`via_clarify`).
- articles (several questions): every group has a cited article, nothing else cited.
- action / form: a reply with that decision names that action or form.
- handover, offer, clarify, small_talk: a reply with that decision (an offer must not
  have opened a handoff).
- language: a reply with decision `language` detecting that code, and nothing cited.
- fallback: nothing cited and every decision is `fallback` or `offer`.
For an article expectation, "wrong cited" is citing an article that is not acceptable
and "fallback on answerable" is citing nothing (and no clarify that offers it).
"""

from __future__ import annotations

from dataclasses import dataclass

from demo.dialogue_eval.cases import Expectation
from demo.dialogue_eval.outcome import Outcome

_ARTICLE_KINDS = ("article", "any_of", "articles")


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    via_clarify: bool = False
    fallback_on_answerable: bool = False
    wrong_cited: bool = False
    # a fallback on an answerable message that listed an acceptable article among its
    # suggestions ("One of these might help"): still a fallback, counted apart
    suggested: bool = False


def judge(expect: Expectation, outcome: Outcome) -> Verdict:
    decisions = set(outcome.decisions)
    if expect.kind in _ARTICLE_KINDS:
        return _judge_articles(expect, outcome)
    if expect.kind == "clarify":
        return Verdict("clarify" in decisions)
    if expect.kind in ("action", "form"):
        return Verdict(expect.kind in decisions and expect.name in outcome.actions)
    if expect.kind == "offer":
        return Verdict("offer" in decisions and "handover" not in decisions)
    if expect.kind in ("handover", "small_talk"):
        return Verdict(expect.kind in decisions)
    if expect.kind == "language":
        return Verdict(
            "language" in decisions and expect.name in outcome.languages and not outcome.cited
        )
    assert expect.kind == "fallback", expect.kind
    return Verdict(bool(decisions) and decisions <= {"fallback", "offer"} and not outcome.cited)


def _judge_articles(expect: Expectation, outcome: Outcome) -> Verdict:
    acceptable = expect.acceptable
    cited = outcome.cited
    wrong = bool(cited - acceptable)
    if not cited:
        offered = "clarify" in outcome.decisions and bool(outcome.options & acceptable)
        if offered and expect.kind != "articles":
            return Verdict(True, via_clarify=True)
        suggested = "fallback" in outcome.decisions and bool(outcome.options & acceptable)
        return Verdict(False, fallback_on_answerable=True, suggested=suggested)
    answered_all = all(set(group) & cited for group in expect.articles)
    return Verdict(answered_all and not wrong, wrong_cited=wrong)
