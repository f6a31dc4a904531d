"""`switchboard nlu train|test` through click's CliRunner, with the fake encoder."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from bot.cli.nlu import nlu
from tests.support.encoders import HashingEncoder

DATA = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello there
    - hi
    - hey hello
    - good morning
- intent: order_status
  examples: |
    - where is my order [4417](order_number)
    - track my order
    - has my order shipped
    - order status please
- intent: goodbye
  examples: |
    - bye bye
    - goodbye
    - see you later
    - talk to you later
"""


def test_train_then_test(tmp_path: Path) -> None:
    data = tmp_path / "nlu.yml"
    data.write_text(DATA)
    runner = CliRunner()
    obj = {"encoder": HashingEncoder()}

    trained = runner.invoke(nlu, ["train", str(data), "--out", str(tmp_path / "m")], obj=obj)
    assert trained.exit_code == 0, trained.output
    assert "trained 3 intents on 12 examples in" in trained.output
    assert (tmp_path / "m" / "manifest.json").is_file()

    tested = runner.invoke(nlu, ["test", str(data), "--model", str(tmp_path / "m")], obj=obj)
    assert tested.exit_code == 0, tested.output
    assert "accuracy:" in tested.stdout and "macro F1:" in tested.stdout
    assert "per-intent F1:" in tested.stdout
    # Tested on what it was trained on: said, so a perfect score is not taken at its word.
    assert tested.stderr.splitlines() == [
        "warning: 12 of 12 test examples (100%) are in the model's training data; their "
        "results overstate accuracy on new messages (test on examples kept out of training)"
    ]

    as_json = runner.invoke(
        nlu, ["test", str(data), "--model", str(tmp_path / "m"), "--json"], obj=obj
    )
    report = json.loads(as_json.stdout)
    assert set(report["per_intent_f1"]) == {"greet", "order_status", "goodbye"}
    assert report["examples"] == 12


def test_bad_data_is_a_clean_error(tmp_path: Path) -> None:
    data = tmp_path / "bad.yml"
    data.write_text("nlu:\n- intent: a\n  examples: |\n    - only one\n")
    result = CliRunner().invoke(
        nlu, ["train", str(data), "--out", str(tmp_path / "m")], obj={"encoder": HashingEncoder()}
    )
    assert result.exit_code == 1
    assert f"{data}:2: intent 'a' has 1 example(s)" in result.output


def test_missing_model_is_a_clean_error(tmp_path: Path) -> None:
    data = tmp_path / "nlu.yml"
    data.write_text(DATA)
    result = CliRunner().invoke(
        nlu,
        ["test", str(data), "--model", str(tmp_path / "none")],
        obj={"encoder": HashingEncoder()},
    )
    assert result.exit_code == 1
    assert "cannot load NLU model" in result.output


def _tested_on(tmp_path: Path, held_out_yaml: str) -> Result:
    """`nlu test --json` on `held_out_yaml`, with a model trained on DATA."""
    data = tmp_path / "nlu.yml"
    data.write_text(DATA)
    held_out = tmp_path / "held-out.yml"
    held_out.write_text(held_out_yaml)
    runner = CliRunner()
    obj = {"encoder": HashingEncoder()}
    runner.invoke(nlu, ["train", str(data), "--out", str(tmp_path / "m")], obj=obj)
    tested = runner.invoke(
        nlu, ["test", str(held_out), "--model", str(tmp_path / "m"), "--json"], obj=obj
    )
    assert tested.exit_code == 0, tested.output
    return tested


def test_test_data_may_have_a_single_example_per_intent(tmp_path: Path) -> None:
    tested = _tested_on(
        tmp_path,
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hello again\n'
        "- intent: goodbye\n  examples: |\n    - bye for now\n",
    )
    assert json.loads(tested.output)["examples"] == 2
    assert "training data" not in tested.stderr  # new messages: no warning


def test_test_data_with_an_intent_the_model_lacks_is_warned_of_with_close_names(
    tmp_path: Path,
) -> None:
    tested = _tested_on(
        tmp_path,
        'version: "3.1"\nnlu:\n- intent: greeting\n  examples: |\n    - hello again\n'
        "    - hi there\n- intent: refund\n  examples: |\n    - my money back\n"
        "- intent: nlu_fallback\n  examples: |\n    - what is the capital of peru\n"
        "- intent: goodbye\n  examples: |\n    - bye for now\n",
    )
    # Out-of-scope examples (the fallback intent) are no model's intent: not warned of.
    assert tested.stderr.splitlines() == [
        "warning: the model has no intent 'greeting' (2 examples in the data score 0); "
        "close names: greet",
        "warning: the model has no intent 'refund' (1 example in the data score 0); "
        "no close name in it",
    ]
    assert json.loads(tested.stdout)["examples"] == 5  # the report is still whole JSON
