"""Find the answer units closest to a question.

Each unit is known by its wordings: its question, its example wordings, its
training wordings (``data/answers/``, :mod:`bot.core.wordings`) and its answer. A
question's score for a unit adds two views of it:

- ``probability``: a logistic regression over MiniLM sentence embeddings with one class
  per unit (paraphrases: "knocked out" near "awake"). Units compete for the
  probability, so a question that fits two units equally scores low for both, and the
  answer action says it has no good answer instead of guessing. One more class, learnt
  from questions no unit answers, takes probability from every unit when a question
  looks like those;
- ``similarity``: the best cosine similarity to any one wording, embedding and TF-IDF
  (word and character n-grams: rare exact words and misspellings, "lamictal",
  "spravado") half each. The index is built when the model is trained
(:mod:`bot.nlu.answer_retriever`) and kept in the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import normalize

from bot.core.content import AnswerUnit
from bot.core.wordings import Wordings
from bot.nlu.sentence_encoder import SentenceEncoder
from bot.nlu.text_classifier import logistic_regression, ngram_features

ANSWERS_KEY = "answers"
"""Parse data key: the closest units to the whole message."""
PARTS_KEY = "answer_parts"
"""Parse data key: the closest units to each question, when a message asks several."""

DEFAULT_SIMILARITY_WEIGHT = 0.5
"""How much the best cosine similarity adds to the classifier's probability."""
NO_UNIT = ""
"""The classifier's label for questions that no unit answers."""


@dataclass(frozen=True)
class Candidate:
    """One unit's match to a question: the score and its two views."""

    unit: str
    score: float
    probability: float
    similarity: float

    def as_dict(self) -> dict[str, Any]:
        """A plain mapping, for the parse data that Rasa stores in the tracker."""
        return {
            "unit": self.unit,
            "score": round(self.score, 4),
            "probability": round(self.probability, 4),
            "similarity": round(self.similarity, 4),
        }


@dataclass
class UnitIndex:
    """Every wording of every unit as embeddings and TF-IDF vectors, and a unit classifier."""

    unit_ids: tuple[str, ...]
    starts: np.ndarray
    """Row of each unit's first wording; a unit's wordings are consecutive rows."""
    dense: np.ndarray
    features: FeatureUnion
    sparse_by_feature: sparse.csr_matrix
    """The wordings' TF-IDF vectors, one row per feature: a question's few n-grams
    touch only their own rows."""
    classifier: LogisticRegression
    columns: np.ndarray
    """The classifier's column of each unit, in ``unit_ids`` order."""
    encoder_key: str
    """The sentence encoder the wordings were embedded with: queries must use it too."""

    @classmethod
    def build(
        cls,
        units: Iterable[AnswerUnit],
        encoder: SentenceEncoder,
        c: float = 10.0,
        extra: Wordings | None = None,
    ) -> UnitIndex:
        """Embed, vectorise and learn the wordings of ``units``, with their ``extra`` ones."""
        extra = extra or Wordings()
        unit_ids: list[str] = []
        starts: list[int] = []
        wordings: list[str] = []
        labels: list[str] = []
        for unit in units:
            unit_ids.append(unit.id)
            starts.append(len(wordings))
            texts = (*unit.texts, *extra.of(unit.id), unit.answer)
            wordings.extend(texts)
            labels.extend([unit.id] * len(texts))
        if len(unit_ids) < 2:
            raise ValueError("retrieval needs at least two answer units")
        features = ngram_features(chars=(3, 5))
        by_feature = normalize(features.fit_transform(wordings)).T.tocsr()
        dense = encoder.encode(wordings)
        if extra.none:
            dense_none = encoder.encode(list(extra.none))
            fitted = np.vstack([dense, dense_none]), [*labels, *[NO_UNIT] * len(extra.none)]
        else:
            fitted = dense, labels
        classifier = logistic_regression(c).fit(*fitted)
        classes = [str(label) for label in classifier.classes_]
        columns = np.array([classes.index(u) for u in unit_ids])
        return cls(
            tuple(unit_ids),
            np.asarray(starts),
            dense,
            features,
            by_feature,
            classifier,
            columns,
            encoder.key,
        )

    def _per_unit(self, similarities: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(similarities, self.starts)

    def similarity(self, text: str, vector: np.ndarray, dense_weight: float = 0.5) -> np.ndarray:
        """Each unit's best cosine similarity to ``text``: embedding and TF-IDF mixed as given."""
        query = normalize(self.features.transform([text]))
        sparse_cosine = (query @ self.sparse_by_feature).toarray().ravel()
        dense_cosine = self.dense @ vector
        return self._per_unit(dense_weight * dense_cosine + (1 - dense_weight) * sparse_cosine)

    def rank(
        self,
        text: str,
        vector: np.ndarray,
        similarity_weight: float = DEFAULT_SIMILARITY_WEIGHT,
        limit: int = 10,
    ) -> list[Candidate]:
        """The ``limit`` units closest to ``text``, best first."""
        probability = self.classifier.predict_proba(vector[None, :])[0][self.columns]
        similarity = self.similarity(text, vector)
        scores = probability + similarity_weight * similarity
        best = np.argsort(-scores, kind="stable")[:limit]
        return [
            Candidate(
                self.unit_ids[i], float(scores[i]), float(probability[i]), float(similarity[i])
            )
            for i in best
        ]


def candidates_from(data: Sequence[Any] | None) -> list[Candidate]:
    """Candidates read back from parse data (``Candidate.as_dict`` mappings)."""
    fields = ("score", "probability", "similarity")
    return [
        Candidate(str(c["unit"]), *(float(c.get(f, 0.0)) for f in fields))
        for c in data or []
        if isinstance(c, dict) and "unit" in c
    ]
