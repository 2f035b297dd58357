"""An intent classifier on sentence embeddings: logistic regression over MiniLM vectors.

A third opinion in :mod:`bot.nlu.blended_classifier`: embeddings place paraphrases
close together ("is it injected" near "how is it given"), where word and
character n-grams see different words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.linear_model import LogisticRegression

from bot.nlu.sentence_encoder import SentenceEncoder, encoder_for
from bot.nlu.text_classifier import class_probabilities, logistic_regression


@dataclass
class EmbeddingClassifier:
    """Logistic regression over the embeddings of the encoder ``encoder_key`` names."""

    model: LogisticRegression
    encoder_key: str

    def ranking(self, text: str) -> dict[str, float]:
        """Probability of each intent for ``text``."""
        vector = encoder_for(self.encoder_key).encode_one(text)
        return class_probabilities(self.model, vector[None, :])


def train_embedding_classifier(
    encoder: SentenceEncoder, texts: Sequence[str], intents: Sequence[str], c: float = 30.0
) -> EmbeddingClassifier:
    """Logistic regression fitted on the embeddings of the examples."""
    model = logistic_regression(c)
    model.fit(encoder.encode(list(texts)), list(intents))
    return EmbeddingClassifier(model, encoder.key)
