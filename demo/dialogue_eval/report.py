"""The evaluation's figures from judged cases, with the goals of issue 14 beside them."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from demo.dialogue_eval.cases import CLASSES
from demo.dialogue_eval.driver import CaseResult, MessageResult

GOAL_OVERALL = 0.92
GOAL_PER_CLASS = 0.85
GOAL_FALLBACK_ON_ANSWERABLE = 0.05
GOAL_WRONG_CITED = 0.03
_ARTICLE_KINDS = ("article", "any_of", "articles")


@dataclass(frozen=True, slots=True)
class Figures:
    """Pass counts per class and overall, and the article figures, over some cases."""

    per_class: dict[str, tuple[int, int]]
    overall: tuple[int, int]
    clarifications: int  # messages answered with a clarifying question
    clarify_passes: int  # ... whose options held an expected article (counted as passes)
    answerable: int  # messages (singles and turns) expecting articles
    fallback_on_answerable: int
    wrong_cited: int
    suggested: int  # fallbacks on answerable that listed an expected article

    @classmethod
    def of(cls, results: Sequence[CaseResult]) -> Figures:
        per_class = {
            name: (
                sum(r.passed for r in results if r.case_class == name),
                sum(r.case_class == name for r in results),
            )
            for name in CLASSES
        }
        messages = [m for r in results for m in r.messages if m.verdict is not None]
        answerable = [m for m in messages if m.expect and m.expect.kind in _ARTICLE_KINDS]
        return cls(
            per_class,
            (sum(r.passed for r in results), len(results)),
            sum("clarify" in m.outcome.decisions for m in messages),
            sum(m.verdict.via_clarify for m in messages if m.verdict),
            len(answerable),
            sum(m.verdict.fallback_on_answerable for m in answerable if m.verdict),
            sum(m.verdict.wrong_cited for m in answerable if m.verdict),
            sum(m.verdict.suggested for m in answerable if m.verdict),
        )

    @property
    def rate(self) -> float:
        return _rate(*self.overall)

    def goals_met(self) -> bool:
        classes = [_rate(*c) for c in self.per_class.values() if c[1]]
        return (
            self.rate >= GOAL_OVERALL
            and all(rate >= GOAL_PER_CLASS for rate in classes)
            and _rate(self.fallback_on_answerable, self.answerable) <= GOAL_FALLBACK_ON_ANSWERABLE
            and _rate(self.wrong_cited, self.answerable) <= GOAL_WRONG_CITED
        )


def _rate(passed: int, total: int) -> float:
    return passed / total if total else 0.0


def _cell(passed: int, total: int) -> str:
    return f"{_rate(passed, total):.3f} ({passed}/{total})" if total else "-"


def figures_table(by_split: dict[str, Sequence[CaseResult]]) -> list[str]:
    columns = [*CLASSES, "overall"]
    lines = [f"{'split':8}" + "".join(f"{c:>18}" for c in columns)]
    for split, results in by_split.items():
        figures = Figures.of(results)
        cells = [_cell(*figures.per_class[c]) for c in CLASSES] + [_cell(*figures.overall)]
        lines.append(f"{split:8}" + "".join(f"{c:>18}" for c in cells))
    goals = [f">= {GOAL_PER_CLASS:.2f}"] * len(CLASSES) + [f">= {GOAL_OVERALL:.2f}"]
    lines.append(f"{'goal':8}" + "".join(f"{g:>18}" for g in goals))
    lines.append("")
    for split, results in by_split.items():
        f = Figures.of(results)
        lines.append(
            f"{split:8}clarifying questions {f.clarifications} ({f.clarify_passes} passed as "
            "offering the expected article); "
            f"fallback on answerable {_cell(f.fallback_on_answerable, f.answerable)} "
            f"(goal <= {GOAL_FALLBACK_ON_ANSWERABLE:.2f}; {f.suggested} of them listed an "
            "expected article); wrong answers with a cited source "
            f"{_cell(f.wrong_cited, f.answerable)} (goal <= {GOAL_WRONG_CITED:.2f}); "
            f"goals {'MET' if f.goals_met() else 'not met'}"
        )
    return lines


def worst_articles(results: Sequence[CaseResult], limit: int = 10) -> list[str]:
    """Expected article -> what was got, for the articles failed most often."""
    asked: Counter[str] = Counter()
    failed: dict[str, Counter[str]] = defaultdict(Counter)
    for message in _article_messages(results):
        assert message.expect is not None and message.verdict is not None
        expected = message.expect.article_label
        asked[expected] += 1
        if not message.verdict.passed:
            failed[expected][message.outcome.describe()] += 1
    ranked = sorted(failed, key=lambda k: (-sum(failed[k].values()), k))[:limit]
    lines = ["worst articles (expected -> got, count):"]
    for key in ranked:
        got = ", ".join(f"{what} x{n}" for what, n in failed[key].most_common(4))
        lines.append(f"  {key} ({sum(failed[key].values())}/{asked[key]} failed) -> {got}")
    return lines if ranked else [*lines, "  none"]


def _article_messages(results: Sequence[CaseResult]) -> list[MessageResult]:
    return [
        m
        for r in results
        for m in r.messages
        if m.expect is not None and m.expect.kind in _ARTICLE_KINDS
    ]


def failure_lines(results: Sequence[CaseResult]) -> list[str]:
    lines = []
    for result in results:
        if result.passed:
            continue
        lines.append(f"FAIL {result.case_id} [{result.case_class}, {result.split}]")
        for message in result.messages:
            if message.verdict is None:
                lines.append(f"    . {message.text!r} -> {message.outcome.describe()}")
                continue
            mark = "ok" if message.verdict.passed else "XX"
            assert message.expect is not None
            lines.append(
                f"   {mark} {message.text!r}: expected {message.expect.describe()}, "
                f"got {message.outcome.describe()}"
            )
    return lines


def by_rule(results: Sequence[CaseResult]) -> list[str]:
    """Judged messages per router rule (`attributes.route.rule`), passed and failed: which
    rule of the routing decision goes wrong, and how often it is used."""
    passed: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for message in (m for r in results for m in r.messages if m.verdict is not None):
        rule = "+".join(dict.fromkeys(message.outcome.rules)) or "no reply"
        (passed if message.verdict.passed else failed)[rule] += 1
    lines = ["judged messages by the router's rule (passed / all):"]
    for rule in sorted(passed.keys() | failed.keys(), key=lambda r: (-failed[r], r)):
        lines.append(f"  {rule:44} {passed[rule]:4} / {passed[rule] + failed[rule]:<4}")
    return lines
