from __future__ import annotations

import json

from nlu import evaluate_intents


def test_report_figures_and_confusions() -> None:
    report = evaluate_intents(
        ["greet", "greet", "deny", "affirm"], ["greet", "deny", "deny", "affirm"]
    )
    assert report.accuracy == 0.75
    assert report.per_intent_f1["affirm"] == 1.0
    assert round(report.per_intent_f1["greet"], 3) == 0.667
    assert report.top_confusions == [{"expected": "greet", "predicted": "deny", "count": 1}]
    assert json.loads(json.dumps(report.to_dict()))["macro_f1"] == report.macro_f1
