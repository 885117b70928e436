"""SemEval-2020 Task 11 span metrics on small cases worked out by hand."""

from __future__ import annotations

import pytest

from framing.span_metrics import merge, si_score, tc_score


def test_partial_overlap_counts_the_shared_characters():
    # gold [0, 10), predicted [5, 15): 5 shared characters; P = 5/10, R = 5/10
    result = si_score({"a": [(5, 15)]}, {"a": [(0, 10)]})
    assert result["precision"] == pytest.approx(0.5) and result["recall"] == pytest.approx(0.5)
    assert result["f1"] == pytest.approx(0.5)


def test_one_prediction_covering_two_gold_spans():
    # gold [0, 4) and [6, 10); predicted [0, 10): P = (4 + 4) / 10 = 0.8 over 1 span; R = (4/4 + 4/4) / 2 = 1
    result = si_score({"a": [(0, 10)]}, {"a": [(0, 4), (6, 10)]})
    assert result["precision"] == pytest.approx(0.8) and result["recall"] == pytest.approx(1.0)
    assert result["f1"] == pytest.approx(2 * 0.8 / 1.8)


def test_empty_predictions_and_articles_without_gold():
    assert si_score({}, {"a": [(0, 4)]}) == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "predicted_spans": 0,
                                             "gold_spans": 1}
    # a prediction in an article without gold spans costs precision only
    result = si_score({"a": [(0, 4)], "b": [(0, 4)]}, {"a": [(0, 4)]})
    assert result["precision"] == pytest.approx(0.5) and result["recall"] == pytest.approx(1.0)


def test_overlapping_spans_are_merged_first():
    assert merge([(5, 9), (0, 6), (12, 14), (14, 15)]) == [(0, 9), (12, 14), (14, 15)]
    # two overlapping gold spans [0, 6) + [4, 10) are one gold span [0, 10); predicting it exactly is perfect
    assert si_score({"a": [(0, 10)]}, {"a": [(0, 6), (4, 10)]})["f1"] == pytest.approx(1.0)
    # the same span predicted twice counts once
    assert si_score({"a": [(0, 10), (0, 10)]}, {"a": [(0, 10)]})["precision"] == pytest.approx(1.0)


def test_tc_micro_f1_and_a_span_with_two_techniques():
    gold = [("a", "Doubt", 0, 5), ("a", "Loaded_Language", 10, 15), ("a", "Name_Calling,Labeling", 10, 15),
            ("b", "Slogans", 0, 3)]
    # the two-technique span gets both right in the other order; "b" is wrong
    result = tc_score(gold, ["Doubt", "Name_Calling,Labeling", "Loaded_Language", "Doubt"])
    assert result["micro_f1"] == pytest.approx(3 / 4)
    assert result["per_technique"]["Doubt"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3), "support": 1}
    assert result["per_technique"]["Slogans"]["recall"] == 0.0
    # predicting one technique twice for the two-technique span gets one of the two
    assert tc_score(gold[1:3], ["Loaded_Language", "Loaded_Language"])["micro_f1"] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        tc_score(gold, ["Doubt"])
