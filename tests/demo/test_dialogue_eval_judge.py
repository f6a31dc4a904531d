"""The judge of the dialogue evaluation, on outcomes read from stored replies: the route
the router writes, and the legacy reader for replies stored without one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crm_store.records import InteractionRecord
from demo.dialogue_eval import Expectation, judge, outcome_of
from demo.dialogue_eval.cases import parse_expectation
from demo.dialogue_eval.data_set import help_centre_articles
from knowledge.answers import FALLBACK_TEXT

BASE = "https://help.acme-outfitters.example"
KNOWN = help_centre_articles()


def reply(
    text: str = "...",
    *,
    route: dict[str, Any] | None = None,
    intent: str | None = None,
    sources: list[str] = (),  # type: ignore[assignment]
    attributes: dict[str, Any] | None = None,
) -> InteractionRecord:
    extra = dict(attributes or {})
    if route is not None:
        extra["route"] = route
    return InteractionRecord(
        id=1, conversation_id=1, customer_id=1, seq=2, direction="outbound", author="bot",
        channel="webchat", text=text, provider_message_id=None, intent=intent,
        confidence=None, sources=[{"source": f"{BASE}/{s}"} for s in sources],
        in_reply_to_id=None, delivery_status=None, attributes=extra,
        created_at=datetime.now(UTC),
    )  # fmt: skip


def expect(raw: dict[str, Any]) -> Expectation:
    return parse_expectation(raw, "test", KNOWN)


def test_an_article_passes_only_when_every_cited_article_is_acceptable() -> None:
    refunds = expect({"article": "refunds"})
    right = outcome_of([reply(route={"decision": "answer", "articles": ["refunds"]})])
    wrong = outcome_of([reply(route={"decision": "answer", "articles": ["return-policy"]})])
    nothing = outcome_of([reply(route={"decision": "fallback"})])
    assert judge(refunds, right).passed
    assert judge(refunds, wrong).wrong_cited and not judge(refunds, wrong).passed
    assert judge(refunds, nothing).fallback_on_answerable
    # What the reply's sources cite counts as cited too.
    cited_aside = outcome_of(
        [reply(route={"decision": "answer", "articles": ["refunds"]}, sources=["exchanges"])]
    )
    assert judge(refunds, cited_aside).wrong_cited


def test_a_clarifying_question_offering_the_article_passes_and_is_counted_apart() -> None:
    clarify = outcome_of(
        [reply(route={"decision": "clarify", "options": ["refunds", "exchanges"]})]
    )
    verdict = judge(expect({"any_of": ["refunds", "return-policy"]}), clarify)
    assert verdict.passed and verdict.via_clarify
    assert not judge(expect({"article": "warranty"}), clarify).passed


def test_several_questions_need_every_part_answered() -> None:
    both = expect({"articles": ["refunds", ["exchanges", "size-guide"]]})
    parts = {
        "decision": "answer",
        "parts": [
            {"decision": "answer", "articles": ["refunds"]},
            {"decision": "answer", "articles": ["size-guide"]},
        ],
    }
    assert judge(both, outcome_of([reply(route=parts)])).passed
    one = outcome_of([reply(route={"decision": "answer", "articles": ["refunds"]})])
    assert not judge(both, one).passed


def test_actions_forms_handovers_languages_and_fallbacks() -> None:
    order = outcome_of([reply(route={"decision": "action", "action": "action_order_status"})])
    assert judge(expect({"action": "action_order_status"}), order).passed
    assert not judge(expect({"form": "lead_form"}), order).passed
    spanish = outcome_of([reply(route={"decision": "language", "language": "es"}),
                          reply(route={"decision": "offer"})])  # fmt: skip
    assert judge(expect({"language": "es"}), spanish).passed
    assert not judge(expect({"language": "fr"}), spanish).passed
    fallback = outcome_of([reply(route={"decision": "fallback"}, sources=["refunds"])])
    # A fallback that stores the passages it tried as sources cites them.
    assert not judge(expect({"fallback": True}), fallback).passed
    offer = outcome_of([reply(route={"decision": "offer"})])
    assert judge(expect({"fallback": True}), offer).passed
    assert not judge(expect({"handover": True}), offer).passed


def test_the_legacy_reader_reads_replies_stored_without_a_route() -> None:
    answered = outcome_of([reply(intent="knowledge_question", sources=["refunds"])])
    assert answered.legacy and answered.cited == {"refunds"}
    tried = outcome_of([reply(FALLBACK_TEXT, intent="nlu_fallback", sources=["refunds"])])
    assert tried.decisions == ("fallback",) and not tried.cited
    handed = outcome_of([reply(intent="talk_to_human", attributes={"handoff_id": 7})])
    assert judge(expect({"handover": True}), handed).passed
    form = outcome_of([reply("Happy to help with that. What's your name?", intent="lead_form")])
    assert judge(expect({"form": "lead_form"}), form).passed
