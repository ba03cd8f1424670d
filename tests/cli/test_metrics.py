"""Metrics against hand-computed values."""

from __future__ import annotations

import pytest

from cli import metrics
from cli.scoring import Prediction

ACTUAL = ["yes", "yes", "yes", "no", "no", "no", "no", "yes", "no", "no"]
PREDICTED = ["yes", "no", "yes", "no", "yes", "no", "no", "yes", "no", "yes"]


def test_confusion_matrix_by_hand():
    # Pairs: TP FN TP TN FP TN TN TP TN FP
    assert metrics.confusion(ACTUAL, PREDICTED, "yes") == metrics.ConfusionMatrix(
        tp=3, fp=2, tn=4, fn=1
    )


def test_scores_by_hand():
    values = metrics.scores(metrics.ConfusionMatrix(tp=3, fp=2, tn=4, fn=1))
    assert values["accuracy"] == pytest.approx(0.7)
    assert values["precision"] == pytest.approx(0.6)
    # TP / (TP + FN), not TN / (TN + FN) (= 0.8 here).
    assert values["recall"] == pytest.approx(0.75)
    assert values["f1"] == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    assert values["specificity"] == pytest.approx(4 / 6)


def test_scores_without_predicted_positives_are_undefined_not_zero_division():
    values = metrics.scores(metrics.ConfusionMatrix(tp=0, fp=0, tn=5, fn=2))
    assert values["precision"] is None
    assert values["recall"] == 0.0
    assert values["f1"] is None


def test_confusion_length_mismatch():
    with pytest.raises(metrics.EvaluationError):
        metrics.confusion(["yes"], [], "yes")


def test_roc_auc_tiny_example_with_a_tie():
    # Positive scores 0.9, 0.4 against negatives 0.5, 0.1, 0.4:
    # 0.9 beats all three (3), 0.4 beats 0.1 (1) and ties 0.4 (0.5) -> 4.5 / 6.
    actual = [True, True, False, False, False]
    score = [0.9, 0.4, 0.5, 0.1, 0.4]
    assert metrics.roc_auc(actual, score) == pytest.approx(0.75)


def test_roc_auc_extremes_and_single_class():
    assert metrics.roc_auc([True, False], [0.9, 0.1]) == 1.0
    assert metrics.roc_auc([True, False], [0.1, 0.9]) == 0.0
    assert metrics.roc_auc([True, False], [0.5, 0.5]) == 0.5
    assert metrics.roc_auc([True, True], [0.1, 0.9]) is None


def p(label, probability=None, probabilities=None, labels=None):
    return Prediction(label, probability, probabilities, labels)


def test_ensembling_probability_is_of_the_predicted_label():
    values, source = metrics.positive_probabilities(
        [p("yes", 0.8), p("no", 0.9), p("no", 0.6)], "yes", {"yes", "no"}
    )
    assert values == pytest.approx([0.8, 0.1, 0.4])
    assert source == "probability of the predicted label"


def test_hpo_probability_is_of_the_true_class_detected_from_values():
    values, source = metrics.positive_probabilities(
        [p("yes", 0.8), p("no", 0.3), p("no", 0.1)], "yes", {"yes", "no"}
    )
    assert values == pytest.approx([0.8, 0.3, 0.1])
    assert source == "probability of class 'yes'"


def test_hpo_true_class_may_be_the_negative_one():
    values, _ = metrics.positive_probabilities([p("no", 0.8), p("yes", 0.3)], "yes", {"yes", "no"})
    assert values == pytest.approx([0.2, 0.7])


def test_forced_semantics():
    rows = [p("yes", 0.8), p("no", 0.9)]
    forced, _ = metrics.positive_probabilities(rows, "yes", {"yes", "no"}, "true-class")
    assert forced == pytest.approx([0.8, 0.9])


def test_probabilities_and_labels_win():
    rows = [p("yes", 0.8, (0.2, 0.8), ("no", "yes")), p("no", 0.7, (0.7, 0.3), ("no", "yes"))]
    values, source = metrics.positive_probabilities(rows, "yes", {"yes", "no"})
    assert values == pytest.approx([0.8, 0.3])
    assert source == "probabilities and labels"


def test_no_usable_probability():
    assert metrics.positive_probabilities([p("yes")], "yes", {"yes", "no"})[0] is None
    multi = [p("a", 0.6), p("b", 0.7)]
    assert metrics.positive_probabilities(multi, "a", {"a", "b", "c"})[0] is None
