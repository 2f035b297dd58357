"""The TF-IDF classifier keeps its weights column-major, without changing any prediction."""

from __future__ import annotations

import copy

import numpy as np

from bot.nlu.text_classifier import predict_ranking, ready_for_prediction, train_classifier

TEXTS = [
    "what is ketamine",
    "is ketamine an anesthetic",
    "does ketamine make you sick",
    "side effects of spravato",
    "how much does it cost",
    "is spravato covered by insurance",
]
INTENTS = ["what", "what", "side", "side", "cost", "cost"]


def test_trained_weights_are_column_major_so_predictions_copy_nothing():
    classifier = train_classifier(TEXTS, INTENTS)
    assert classifier[-1].coef_.T.flags.c_contiguous


def test_column_major_weights_give_the_same_ranking_as_row_major():
    fast = train_classifier(TEXTS, INTENTS)
    slow = copy.deepcopy(fast)
    slow[-1].coef_ = np.ascontiguousarray(slow[-1].coef_)
    for text in ["ketamine nausea?", "what does it cost", "what is esketamine", ""]:
        assert predict_ranking(fast, text) == predict_ranking(slow, text)


def test_ready_for_prediction_converts_a_loaded_row_major_classifier_in_place():
    classifier = train_classifier(TEXTS, INTENTS)
    classifier[-1].coef_ = np.ascontiguousarray(classifier[-1].coef_)
    assert ready_for_prediction(classifier) is classifier
    assert classifier[-1].coef_.T.flags.c_contiguous
