"""The assessor's own model: whether a single message shows danger, and of which kind.

Trained for this one job (not one of 24 intents competing for probability): one
logistic regression tells danger from despair without intent (``distress``) and
from ``none``, trained mostly on hard negatives; a second names the kind of
danger, trained on the danger examples alone. Both read word and character
n-grams beside the message's MiniLM sentence embedding, in one feature vector.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from bot.core.yaml_files import read_yaml
from bot.nlu.sentence_encoder import SentenceEncoder
from bot.nlu.text_classifier import (
    class_probabilities,
    column_major,
    logistic_regression,
    ngram_features,
)

DANGER_KINDS = ("suicide", "means", "self_harm", "emergency", "other_at_risk")
DISTRESS = "distress"
NO_DANGER = "none"
DANGER = "danger"
LABELS = (*DANGER_KINDS, DISTRESS, NO_DANGER)
TRAINING_DIR = Path(__file__).resolve().parents[3] / "data" / "crisis"


def read_examples(folder: Path = TRAINING_DIR) -> list[tuple[str, str]]:
    """(text, label) pairs from every ``label: [examples]`` file in ``data/crisis/``."""
    examples: list[tuple[str, str]] = []
    for path in sorted(folder.glob("*.yml")):
        data: dict[str, list[str]] = read_yaml(path) or {}
        unknown = set(data) - set(LABELS)
        if unknown:
            raise ValueError(f"{path}: unknown labels {sorted(unknown)}; use {list(LABELS)}")
        examples += [(str(text), label) for label, texts in data.items() for text in texts]
    return examples


@dataclass
class CrisisModel:
    """Probabilities of each label for one message."""

    ngrams: FeatureUnion
    tier: LogisticRegression
    kind: LogisticRegression
    encoder_key: str
    """The sentence encoder it was trained with: messages must be embedded with it too."""

    @classmethod
    def train(
        cls, examples: Sequence[tuple[str, str]], encoder: SentenceEncoder, c: float = 10.0
    ) -> CrisisModel:
        """Fit both regressions on ``examples``."""
        texts = [text for text, _ in examples]
        labels = np.array([label for _, label in examples])
        ngrams = ngram_features().fit(texts)
        features = sparse.hstack([ngrams.transform(texts), encoder.encode(texts)]).tocsr()
        is_danger = np.isin(labels, DANGER_KINDS)
        tier = logistic_regression(c).fit(features, np.where(is_danger, DANGER, labels))
        kind = logistic_regression(c).fit(features[is_danger], labels[is_danger])
        return cls(ngrams, column_major(tier), column_major(kind), encoder.key)

    def probabilities(self, text: str, vector: np.ndarray) -> dict[str, float]:
        """Each label's probability for ``text``, whose sentence embedding is ``vector``.

        A kind's probability is the danger probability shared out by the kind model.
        """
        features = sparse.hstack([self.ngrams.transform([text]), vector[None, :]]).tocsr()
        tiers = class_probabilities(self.tier, features)
        kinds = class_probabilities(self.kind, features)
        danger = tiers.get(DANGER, 0.0)
        result = {k: danger * p for k, p in kinds.items()}
        result[DISTRESS] = tiers.get(DISTRESS, 0.0)
        result[NO_DANGER] = tiers.get(NO_DANGER, 0.0)
        return result
