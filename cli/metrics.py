"""Binary classification metrics for the positive class, stdlib only.

``recall = TP / (TP + FN)``. ROC AUC is the rank statistic (Mann-Whitney U with
average ranks for ties), which equals the area under the ROC curve.

Probability of the positive class, by what the endpoint returns:

* ``probabilities`` and ``labels``: read the positive label's entry.
* ``probability`` from an ensembling (AutoGluon) model: the probability of the
  *predicted* label, so for binary problems P(positive) = p if predicted == positive
  else 1 - p.
* ``probability`` from an HPO model: the probability of the class Autopilot treats as
  True, whatever was predicted. ``auto`` recognises it by values below 0.5 (impossible
  for a binary predicted-label probability) and takes that class to be the label
  predicted where p > 0.5.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from cli.errors import EvaluationError
from cli.scoring import Prediction

SEMANTICS = ("auto", "predicted-label", "true-class")


@dataclass(frozen=True)
class ConfusionMatrix:
    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def confusion(actual: Sequence[str], predicted: Sequence[str], positive: str) -> ConfusionMatrix:
    if len(actual) != len(predicted):
        raise EvaluationError(f"{len(actual)} labels but {len(predicted)} predictions")
    counts = Counter((a == positive, p == positive) for a, p in zip(actual, predicted, strict=True))
    return ConfusionMatrix(
        tp=counts[(True, True)],
        fp=counts[(False, True)],
        tn=counts[(False, False)],
        fn=counts[(True, False)],
    )


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def scores(matrix: ConfusionMatrix) -> dict[str, float | None]:
    precision = _ratio(matrix.tp, matrix.tp + matrix.fp)
    recall = _ratio(matrix.tp, matrix.tp + matrix.fn)
    f1 = (
        _ratio(2 * precision * recall, precision + recall)
        if precision is not None and recall is not None
        else None
    )
    return {
        "accuracy": _ratio(matrix.tp + matrix.tn, matrix.total),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "specificity": _ratio(matrix.tn, matrix.tn + matrix.fp),
    }


def roc_auc(actual_positive: Sequence[bool], score: Sequence[float]) -> float | None:
    """Area under the ROC curve; None when only one class is present."""
    positives = sum(actual_positive)
    negatives = len(actual_positive) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(score)), key=lambda i: score[i])
    ranks = [0.0] * len(score)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and score[order[j + 1]] == score[order[i]]:
            j += 1
        average = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = average
        i = j + 1
    rank_sum = sum(r for r, is_pos in zip(ranks, actual_positive, strict=True) if is_pos)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def positive_probabilities(
    predictions: Sequence[Prediction],
    positive: str,
    classes: set[str],
    semantics: str = "auto",
) -> tuple[list[float] | None, str]:
    """P(positive) per row and how it was derived, or (None, reason)."""
    if predictions and all(p.probabilities and p.labels for p in predictions):
        result = []
        for p in predictions:
            labels = list(p.labels or ())
            if positive not in labels or len(labels) != len(p.probabilities or ()):
                break
            result.append(p.probabilities[labels.index(positive)])
        else:
            return result, "probabilities and labels"
    if not predictions or any(p.probability is None or p.label is None for p in predictions):
        return None, "no probability in the response"
    if len(classes) > 2:
        return None, "probability of one label only; needs probabilities and labels for AUC"
    values = [p.probability for p in predictions]
    if semantics == "auto":
        semantics = "true-class" if any(v < 0.5 for v in values) else "predicted-label"
    if semantics == "predicted-label":
        converted = [
            v if p.label == positive else 1 - v for p, v in zip(predictions, values, strict=True)
        ]
        return converted, "probability of the predicted label"
    if semantics != "true-class":
        raise EvaluationError(f"unknown probability semantics {semantics!r}")
    above = Counter(p.label for p in predictions if p.probability > 0.5)
    if above:
        true_class = above.most_common(1)[0][0]
    else:
        predicted = {p.label for p in predictions}
        others = sorted(classes - predicted)
        if len(others) != 1:
            return None, "cannot tell which class 'probability' refers to"
        true_class = others[0]
    result = [v if true_class == positive else 1 - v for v in values]
    return result, f"probability of class {true_class!r}"


@dataclass(frozen=True)
class Evaluation:
    """What `make evaluate` and `make batch-predict` report for labelled rows."""

    matrix: ConfusionMatrix
    values: dict[str, float | None]
    auc_source: str
    negative_class: str


def evaluate(
    actual: Sequence[str],
    predictions: Sequence[Prediction],
    positive: str,
    semantics: str = "auto",
) -> Evaluation:
    """Confusion matrix, scores and ROC AUC of ``predictions`` against the true labels."""
    predicted = [p.label or "" for p in predictions]
    matrix = confusion(actual, predicted, positive)
    values = scores(matrix)
    classes = set(actual) | set(predicted)
    probabilities, auc_source = positive_probabilities(predictions, positive, classes, semantics)
    values["roc_auc"] = (
        roc_auc([label == positive for label in actual], probabilities)
        if probabilities is not None
        else None
    )
    negatives = sorted(classes - {positive})
    negative = negatives[0] if len(negatives) == 1 else f"not {positive}"
    return Evaluation(matrix=matrix, values=values, auc_source=auc_source, negative_class=negative)
