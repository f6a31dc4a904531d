from __future__ import annotations

from datetime import datetime

import pytest

from nlu import EntityExtractor

NOW = datetime(2025, 3, 5, 10, 0)  # a Wednesday


@pytest.fixture
def extractor() -> EntityExtractor:
    return EntityExtractor(
        regexes={"order_number": [r"\b[A-D]-\d{4,8}\b"]},
        lookups={"account": ["Acme", "Globex Corporation"]},
        synonyms={"acme": "Acme Corp", "globex corporation": "Globex"},
    )


def values(extractor: EntityExtractor, text: str, entity: str) -> list[object]:
    return [e.value for e in extractor.extract(text, NOW) if e.entity == entity]


def test_email_is_found_and_lower_cased(extractor: EntityExtractor) -> None:
    [email] = extractor.extract("write to Jo.Doe+x@Example.COM please", NOW)
    assert (email.entity, email.value, email.start, email.end) == (
        "email", "jo.doe+x@example.com", 9, 29,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("call me on (415) 555-2671", "+14155552671"),
        ("my mobile is 415.555.2671", "+14155552671"),
        ("UK office: +44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_become_e164(extractor: EntityExtractor, text: str, e164: str) -> None:
    assert values(extractor, text, "phone") == [e164]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("where is my order 4417?", "4417"),
        ("order #88213 is late", "88213"),
        ("order number 731204 please", "731204"),
        ("status of A-10023", "A-10023"),
        ("status AO7719", "AO7719"),
        ("has my order AB123456 shipped yet", "AB123456"),
    ],
)
def test_order_numbers(extractor: EntityExtractor, text: str, number: str) -> None:
    assert values(extractor, text, "order_number") == [number]


def test_a_bare_number_is_not_an_order(extractor: EntityExtractor) -> None:
    assert values(extractor, "I have 4417 reasons", "order_number") == []


@pytest.mark.parametrize(
    "text",
    [
        "is the GTX2000 shell warm enough for winter camping",
        "is GTX2000 waterproof?",
        "BF2024 code not working",
    ],
)
def test_a_product_model_or_discount_code_is_not_an_order(
    extractor: EntityExtractor, text: str
) -> None:
    assert values(extractor, text, "order_number") == []


@pytest.mark.parametrize(
    ("text", "ticket"),
    [("any news on T-1234?", "T-1234"), ("ticket #5590 still open", "T-5590")],
)
def test_ticket_numbers(extractor: EntityExtractor, text: str, ticket: str) -> None:
    assert values(extractor, text, "ticket_number") == [ticket]


@pytest.mark.parametrize(
    ("text", "money"),
    [
        ("I was charged $1,299.50", {"amount": 1299.5, "currency": "USD"}),
        ("refund 30 euros", {"amount": 30.0, "currency": "EUR"}),
        ("it cost £12", {"amount": 12.0, "currency": "GBP"}),
        ("pay USD 40 now", {"amount": 40.0, "currency": "USD"}),
    ],
)
def test_money(extractor: EntityExtractor, text: str, money: dict[str, object]) -> None:
    assert values(extractor, text, "money") == [money]


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("deliver on 2025-04-01", "2025-04-01"),
        ("since 12 March", "2025-03-12"),
        ("since March 3rd, 2024", "2024-03-03"),
        ("call me tomorrow", "2025-03-06"),
        ("next Monday works", "2025-03-10"),
        ("last Friday it broke", "2025-02-28"),
        ("in 2 weeks", "2025-03-19"),
    ],
)
def test_dates_relative_to_now(extractor: EntityExtractor, text: str, iso: str) -> None:
    assert values(extractor, text, "date") == [iso]


def test_impossible_date_is_ignored(extractor: EntityExtractor) -> None:
    assert values(extractor, "on 31 February", "date") == []


def test_lookup_and_synonym_give_the_canonical_value(extractor: EntityExtractor) -> None:
    [account] = extractor.extract("summary for ACME please", NOW)
    assert (account.entity, account.value, account.start, account.end) == (
        "account", "Acme Corp", 12, 16,
    )  # fmt: skip
    assert account.to_rasa()["processors"] == ["EntitySynonymMapper"]
    assert values(extractor, "brief me on Globex Corporation", "account") == ["Globex"]


def test_rasa_shape_and_no_overlaps(extractor: EntityExtractor) -> None:
    entities = [e.to_rasa() for e in extractor.extract("order B-20931 for jo@x.io", NOW)]
    assert [(e["entity"], e["value"]) for e in entities] == [
        ("order_number", "B-20931"),
        ("email", "jo@x.io"),
    ]
    assert set(entities[0]) == {
        "entity", "value", "start", "end", "confidence_entity", "extractor",
    }  # fmt: skip
