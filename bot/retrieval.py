"""Find the answer units closest to a question.

Each unit is matched through its wordings (its question and example wordings): a
question's score for a unit is its best similarity to any of them, as a blend of
MiniLM sentence-embedding cosine (paraphrases: "knocked out" near "awake") and
TF-IDF cosine on words and character n-grams (rare exact words and misspellings:
"lamictal", "spravado"). The index is built at training time
(:mod:`bot.nlu.answer_retriever`) and kept in the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, make_union
from sklearn.preprocessing import normalize

from bot.content import AnswerUnit
from bot.sentence_encoder import SentenceEncoder

DEFAULT_DENSE_WEIGHT = 0.6
"""The embedding cosine's share of a unit's score; TF-IDF has the rest."""


@dataclass(frozen=True)
class Candidate:
    """One unit's match to a question: the blended score and its two parts."""

    unit: str
    score: float
    dense: float
    sparse: float

    def as_dict(self) -> dict[str, Any]:
        """A plain mapping, for the parse data that Rasa stores in the tracker."""
        return {
            "unit": self.unit,
            "score": round(self.score, 4),
            "dense": round(self.dense, 4),
            "sparse": round(self.sparse, 4),
        }


def _features() -> FeatureUnion:
    return make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
    )


@dataclass
class UnitIndex:
    """Every wording of every unit, as embeddings and as TF-IDF vectors."""

    unit_ids: tuple[str, ...]
    starts: np.ndarray
    """Row of each unit's first wording; a unit's wordings are consecutive rows."""
    dense: np.ndarray
    features: FeatureUnion
    sparse_rows: sparse.csr_matrix

    @classmethod
    def build(cls, units: Iterable[AnswerUnit], encoder: SentenceEncoder) -> UnitIndex:
        """Embed and vectorise the wordings of ``units``."""
        unit_ids: list[str] = []
        starts: list[int] = []
        wordings: list[str] = []
        for unit in units:
            unit_ids.append(unit.id)
            starts.append(len(wordings))
            wordings.extend(unit.texts)
        if not wordings:
            raise ValueError("no answer units to index")
        features = _features()
        rows = normalize(features.fit_transform(wordings)).tocsr()
        return cls(tuple(unit_ids), np.asarray(starts), encoder.encode(wordings), features, rows)

    def _per_unit(self, similarities: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(similarities, self.starts)

    def scores(self, text: str, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each unit's best embedding and best TF-IDF similarity to ``text``."""
        dense = self._per_unit(self.dense @ vector)
        query = normalize(self.features.transform([text]))
        sparse_sims = np.asarray((self.sparse_rows @ query.T).todense()).ravel()
        return dense, self._per_unit(sparse_sims)

    def rank(
        self,
        text: str,
        vector: np.ndarray,
        dense_weight: float = DEFAULT_DENSE_WEIGHT,
        limit: int = 10,
    ) -> list[Candidate]:
        """The ``limit`` units closest to ``text``, best first."""
        dense, sparse_scores = self.scores(text, vector)
        blended = dense_weight * dense + (1 - dense_weight) * sparse_scores
        best = np.argsort(-blended, kind="stable")[:limit]
        return [
            Candidate(
                self.unit_ids[i], float(blended[i]), float(dense[i]), float(sparse_scores[i])
            )
            for i in best
        ]


def candidates_from(data: Sequence[Any] | None) -> list[Candidate]:
    """Candidates read back from parse data (``Candidate.as_dict`` mappings)."""
    return [
        Candidate(str(c["unit"]), float(c["score"]), float(c["dense"]), float(c["sparse"]))
        for c in data or []
        if isinstance(c, dict) and "unit" in c
    ]
