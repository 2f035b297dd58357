"""Intent classification metrics for the NLU benchmark and the quality floor test."""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.metrics import accuracy_score, f1_score

from bot.core.content import CRISIS_INTENT

FALLBACK = "nlu_fallback"


def recall(expected: Sequence[str], predicted: Sequence[str], label: str) -> float:
    """Share of the messages labelled ``label`` that were predicted as ``label``."""
    relevant = [p for e, p in zip(expected, predicted, strict=True) if e == label]
    return sum(p == label for p in relevant) / len(relevant) if relevant else 0.0


def precision(expected: Sequence[str], predicted: Sequence[str], label: str) -> float:
    """Share of the messages predicted as ``label`` that really are ``label``."""
    chosen = [e for e, p in zip(expected, predicted, strict=True) if p == label]
    return sum(e == label for e in chosen) / len(chosen) if chosen else 0.0


def intent_metrics(
    expected: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> dict[str, float]:
    """Accuracy, macro-F1, crisis recall and precision, out-of-scope recall, fallback rate.

    A fallback prediction counts as wrong: the person got no answer to their question.
    """
    return {
        "accuracy": float(accuracy_score(expected, predicted)),
        "macro_f1": float(
            f1_score(expected, predicted, labels=list(labels), average="macro", zero_division=0)
        ),
        "crisis_recall": recall(expected, predicted, CRISIS_INTENT),
        "crisis_precision": precision(expected, predicted, CRISIS_INTENT),
        "out_of_scope_recall": recall(expected, predicted, "out_of_scope"),
        "fallback_rate": sum(p == FALLBACK for p in predicted) / max(1, len(predicted)),
    }
