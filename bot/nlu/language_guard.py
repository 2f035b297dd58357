"""Rasa NLU component: mark messages written in another language as ``other_language``.

It runs after the intent classifiers and before :class:`bot.nlu.crisis_guard.CrisisGuard`,
so a crisis phrase in Spanish ("quiero morir") still gets the crisis response.
The English vocabulary it judges by (:mod:`bot.core.language`) is learned from the
training data and saved with the model.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.core.content import default_library
from bot.core.language import english_vocabulary, other_language
from bot.nlu.override import override_intent
from bot.nlu.persisted import PersistedComponent

OTHER_LANGUAGE_INTENT = "other_language"
GUARD_KEY = "language_guard"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LanguageGuard(PersistedComponent, IntentClassifier):
    """Overrides the predicted intent with ``other_language`` for non-English messages."""

    saved_as = "english_words.json"

    def __init__(
        self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource
    ) -> None:
        """Hold where to persist; untrained, it knows only the stop words."""
        super().__init__(config, model_storage, resource)
        self._english = english_vocabulary([])

    @classmethod
    def required_components(cls) -> list[type]:
        """None that Rasa can check: place it after the intent classifiers.

        (Its training node has no classifier before it in Rasa's training graph.)
        """
        return []

    @classmethod
    def read_saved(cls, model_storage: ModelStorage, resource: Resource) -> list[str]:
        """The vocabulary saved at training, as JSON so that it can be read; a model has it."""
        with model_storage.read_from(resource) as folder:
            words: list[str] = json.loads((folder / cls.saved_as).read_text(encoding="utf-8"))
        return words

    def restore(self, saved: list[str]) -> None:
        """Take back the vocabulary learnt at training."""
        self._english = frozenset(saved)

    def train(self, training_data: TrainingData) -> Resource:
        """Learn the English vocabulary from the examples and the curated content."""
        texts = [
            m.get(TEXT)
            for m in training_data.intent_examples
            if m.get(TEXT) and m.get(INTENT) != OTHER_LANGUAGE_INTENT
        ]
        library = default_library()
        texts += [t.summary for t in library.topics.values()]
        texts += [s.text for t in library.topics.values() for s in t.sections]
        self._english = english_vocabulary(texts)
        assert self._storage is not None and self._resource is not None
        with self._storage.write_to(self._resource) as folder:
            words = json.dumps(sorted(self._english))
            (folder / self.saved_as).write_text(words, encoding="utf-8")
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Set intent ``other_language`` (confidence 1) on each non-English message."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str):
                continue
            language = other_language(text, self._english)
            if language is None:
                continue
            override_intent(message, OTHER_LANGUAGE_INTENT, GUARD_KEY, {"language": language})
        return messages
