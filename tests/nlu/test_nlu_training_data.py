from __future__ import annotations

import textwrap

import pytest

from nlu import DEMO_DATA_DIR, TrainingDataError, load_training_data, parse_training_yaml

GOOD = textwrap.dedent(
    """\
    version: "3.1"
    nlu:
    - intent: order_status
      examples: |
        - where is my order [4417](order_number)?
        - status of [acme](account:Acme Corp) order
        - ship to [Paris]{"entity": "city", "value": "Paris, FR", "role": "destination"}
        - where is it [London]{"entity": "city", "group": "2"} now
    - intent: greet
      examples: |
        - hi
        - hello
    - synonym: Acme Corp
      examples: |
        - acme inc
        - ACME
    - regex: order_number
      examples: |
        - \\b[A-Z]-\\d{4,8}\\b
    - lookup: city
      examples: |
        - Paris
        - London
    """
)


def test_annotations_of_all_three_forms() -> None:
    data = parse_training_yaml(GOOD, "good.yml")
    by_text = {example.text: example for example in data.examples}

    plain = by_text["where is my order 4417?"].entities[0]
    assert (plain.entity, plain.value, plain.start, plain.end) == ("order_number", "4417", 18, 22)

    valued = by_text["status of acme order"].entities[0]
    assert (valued.entity, valued.value, valued.text) == ("account", "Acme Corp", "acme")

    dict_form = by_text["ship to Paris"].entities[0]
    assert (dict_form.entity, dict_form.value) == ("city", "Paris, FR")
    assert dict_form.extras == {"role": "destination"}
    assert by_text["where is it London now"].entities[0].extras == {"group": "2"}


def test_synonyms_regexes_and_lookups() -> None:
    data = parse_training_yaml(GOOD, "good.yml")
    assert data.synonyms["acme inc"] == "Acme Corp"
    assert data.synonyms["acme"] == "Acme Corp"  # ACME, and the inline [acme](account:...)
    assert data.synonyms["paris"] == "Paris, FR"
    assert data.regexes == {"order_number": [r"\b[A-Z]-\d{4,8}\b"]}
    assert data.lookups == {"city": ["Paris", "London"]}
    assert data.intents == ["greet", "order_status"]


def test_several_files_merge(write_yaml) -> None:  # type: ignore[no-untyped-def]
    first = write_yaml(GOOD, "a.yml")
    second = write_yaml(
        "nlu:\n- intent: greet\n  examples: |\n    - hey\n- lookup: city\n  examples: |\n"
        "    - Rome\n",
        "b.yml",
    )
    data = load_training_data([first, second])
    assert sum(e.intent == "greet" for e in data.examples) == 3
    assert data.lookups["city"] == ["Paris", "London", "Rome"]


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("nlu:\n- story: x\n  examples: |\n    - a\n", 2, "unknown block"),
        (
            "nlu:\n- intent: a\n  examples: |\n    - one\n    - two [4417](order_number\n"
            "- intent: b\n  examples: |\n    - x\n    - y\n",
            5,
            "broken entity annotation",
        ),
        (
            'nlu:\n- intent: a\n  examples: |\n    - one\n    - [x]{"value": "y"}\n',
            5,
            '"entity"',
        ),
        (
            "nlu:\n- intent: a\n  examples: |\n    - one\n    - two\n"
            "- intent: lonely\n  examples: |\n    - only one\n",
            6,
            "at least 2",
        ),
        ("nlu:\n- intent: a\n  examples: |\n    - one\n   bad: [\n", 5, "bad YAML"),
    ],
)
def test_errors_name_file_line_and_problem(text: str, line: int, problem: str) -> None:
    with pytest.raises(TrainingDataError) as caught:
        parse_training_yaml(text, "broken.yml")
    assert caught.value.source == "broken.yml"
    assert caught.value.line == line, str(caught.value)
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"broken.yml:{line}: ")


def test_too_few_examples_across_files_names_the_file(write_yaml) -> None:  # type: ignore[no-untyped-def]
    path = write_yaml("nlu:\n- intent: a\n  examples: |\n    - one\n")
    with pytest.raises(TrainingDataError) as caught:
        load_training_data([path])
    assert (caught.value.source, caught.value.line) == (str(path), 2)


def test_shipped_support_data_is_rich_enough() -> None:
    data = load_training_data([DEMO_DATA_DIR])
    counts = {intent: 0 for intent in data.intents}
    for example in data.examples:
        counts[example.intent] += 1
    assert len(counts) == 17
    assert min(counts.values()) >= 25
    assert {"order_number", "ticket_number"} <= set(data.regexes)
