"""The evaluation of Switchboard's answers on the demo help centre (issue 14): realistic
customer messages and short conversations with their expected outcomes (YAML beside
this file), the loader that checks them, the judge, and the driver that puts them to a
running app through the web chat API. bench/dialogue_eval.py prints the figures;
tests/bot/test_dialogue_eval_slice.py runs a slice of them."""

from demo.dialogue_eval.cases import CaseError, Conversation, Expectation, Single
from demo.dialogue_eval.data_set import DataSet, load_data_set, load_issue_examples
from demo.dialogue_eval.driver import CaseResult, EvaluationDriver, StoredReplies
from demo.dialogue_eval.judge import Verdict, judge
from demo.dialogue_eval.outcome import Outcome, outcome_of

__all__ = [
    "CaseError",
    "CaseResult",
    "Conversation",
    "DataSet",
    "EvaluationDriver",
    "Expectation",
    "Outcome",
    "Single",
    "StoredReplies",
    "Verdict",
    "judge",
    "load_data_set",
    "load_issue_examples",
    "outcome_of",
]
