"""An intent classifier on sentence embeddings: logistic regression over MiniLM vectors.

A third opinion in :mod:`bot.nlu.blended_classifier`: embeddings place paraphrases
close together ("is it injected" near "how is it given"), where word and
character n-grams see different words.
"""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.linear_model import LogisticRegression

from bot.nlu.sentence_encoder import SentenceEncoder
from bot.nlu.text_classifier import class_probabilities, logistic_regression


def train_embedding_classifier(
    encoder: SentenceEncoder, texts: Sequence[str], intents: Sequence[str], c: float = 30.0
) -> LogisticRegression:
    """Logistic regression fitted on the embeddings of the examples."""
    model = logistic_regression(c)
    model.fit(encoder.encode(list(texts)), list(intents))
    return model


def embedding_ranking(
    model: LogisticRegression, encoder: SentenceEncoder, text: str
) -> dict[str, float]:
    """Probability of each intent for ``text``."""
    return class_probabilities(model, encoder.encode_one(text)[None, :])
