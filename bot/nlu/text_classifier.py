"""A TF-IDF + logistic regression intent classifier (scikit-learn).

Two uses: the benchmark's simple non-Rasa baseline, and inside the Rasa pipeline
(:mod:`bot.nlu.blended_classifier`) as a second opinion blended with DIET and as the
classifier of each part of a two-part question.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline, make_union


def ngram_features(chars: tuple[int, int] = (2, 5)) -> FeatureUnion:
    """Untrained TF-IDF features: word 1-2-grams and character n-grams (2-5 by default)."""
    return make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=chars, sublinear_tf=True),
    )


def logistic_regression(c: float = 30.0, seed: int = 42) -> LogisticRegression:
    """The untrained logistic regression that every classifier of the project ends with."""
    return LogisticRegression(C=c, max_iter=5000, random_state=seed)


def class_probabilities(model: Any, features: Any) -> dict[str, float]:
    """Probability of each class for the one row of ``features`` (a fitted scikit-learn model)."""
    probabilities = model.predict_proba(features)[0]
    return {str(k): float(p) for k, p in zip(model.classes_, probabilities, strict=True)}


def build_classifier(c: float = 30.0, seed: int = 42) -> Pipeline:
    """An untrained pipeline: :func:`ngram_features`, then logistic regression."""
    return make_pipeline(ngram_features(), logistic_regression(c, seed))


def train_classifier(texts: Sequence[str], intents: Sequence[str], c: float = 30.0) -> Pipeline:
    """A classifier fitted on the given examples."""
    classifier = build_classifier(c)
    classifier.fit(list(texts), list(intents))
    return ready_for_prediction(classifier)


def ready_for_prediction(classifier: Pipeline) -> Pipeline:
    """Store the logistic regression's weights column-major (in place); same predictions.

    scikit-learn computes ``features @ coef_.T``, and SciPy needs that right-hand side
    C-contiguous: with the default row-major ``coef_`` it copied the whole weight matrix
    (intents x 18,000 features, about 3 MB) for every message, a third of the
    classifier's time per message (``make bench-load`` profile). Column-major ``coef_``
    makes ``coef_.T`` C-contiguous, so nothing is copied.
    """
    model = classifier[-1]
    if isinstance(model, LogisticRegression):
        column_major(model)
    return classifier


def column_major(model: LogisticRegression) -> LogisticRegression:
    """``model`` with its weights stored column-major (in place), so predicting copies none."""
    model.coef_ = np.asfortranarray(model.coef_)
    return model


def predict_ranking(classifier: Pipeline, text: str) -> dict[str, float]:
    """Probability of each intent for ``text``."""
    return class_probabilities(classifier, [text])
