"""Rasa NLU component: rank the answer units for each message.

It indexes the answer units of ``content/answers/`` when the model is trained
(:class:`bot.nlu.retrieval.UnitIndex`) and adds to the parse data, for every message,
``answers``: the closest units with their scores, and, when the message asks
several questions, ``answer_parts``: the closest units for each, ranked as if their
misspelled treatment words were spelled right (:mod:`bot.core.spelling`). The answer action
chooses among them (:mod:`bot.core.answer_selection`). Ranking happens here, beside the
classifier that already embeds the message, so the embedding is computed once.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.core.content import default_library
from bot.core.crisis_lines import LINES_FILE
from bot.core.questions import split_questions
from bot.core.spelling import Speller, content_speller
from bot.core.wordings import answer_files, load_wordings
from bot.nlu.persisted import PersistedComponent, files_digest
from bot.nlu.retrieval import ANSWERS_KEY, DEFAULT_SIMILARITY_WEIGHT, PARTS_KEY, UnitIndex
from bot.nlu.sentence_encoder import encoder_for
from bot.nlu.tuned_encoder import training_encoder

MAX_PARTS = 3


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class AnswerRetriever(PersistedComponent):
    """Adds the closest answer units to the parse data."""

    saved_as = "unit_index.joblib"
    untrained_warning = "AnswerRetriever has no index; messages get no answer units"
    _index: UnitIndex | None = None
    _speller: Speller | None = None

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Default settings.

        ``similarity_weight``: what a unit's best cosine adds to its probability;
        ``limit``: how many units are kept.
        """
        return {"similarity_weight": DEFAULT_SIMILARITY_WEIGHT, "limit": 10}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The answer units, their wordings and the crisis lines they name: an edit retrains."""
        return files_digest([LINES_FILE, *answer_files()])

    def train(self, training_data: TrainingData) -> Resource:
        """Index the answer units and their training wordings, and persist the index."""
        library = default_library()
        self._index = UnitIndex.build(
            library.units.values(),
            training_encoder(training_data),
            extra=load_wordings(library),
        )
        return self.persist(self._index)

    def restore(self, saved: UnitIndex) -> None:
        """Take back the index built at training, and get ready to answer.

        The encoder's graph and the content are built now, while the model loads, not
        on the first person's message: the server answers its health check (and the
        load balancer sends it messages) only once the model is loaded.
        """
        self._index = saved
        encoder_for(saved.encoder_key).encode(["ready"])
        self._speller = content_speller(default_library())

    def _rank(self, text: str) -> list[dict[str, Any]]:
        assert self._index is not None
        vector = encoder_for(self._index.encoder_key).encode_one(text)
        ranked = self._index.rank(
            text, vector, float(self._config["similarity_weight"]), int(self._config["limit"])
        )
        return [c.as_dict() for c in ranked]

    def process(self, messages: list[Message]) -> list[Message]:
        """Add ``answers`` (and ``answer_parts`` for several questions) to each message."""
        if self._index is None:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text.strip():
                continue
            if self._speller is not None:
                text = self._speller.fix(text)
            message.set(ANSWERS_KEY, self._rank(text), add_to_output=True)
            parts = split_questions(text)
            if 2 <= len(parts) <= MAX_PARTS:
                message.set(PARTS_KEY, [self._rank(p) for p in parts], add_to_output=True)
        return messages
