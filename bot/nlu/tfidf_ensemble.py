"""Rasa NLU component: blend DIET with a TF-IDF classifier, and find two-part questions.

Placed right after DIET. It trains a TF-IDF + logistic regression classifier
(:mod:`bot.text_classifier`) on the same examples, then for each message:

1. averages DIET's intent confidences with the classifier's (``diet_weight``), since
   the two make different mistakes on unseen wording;
2. splits the text into questions (:mod:`bot.questions`) and, when two or more parts
   are confidently different knowledge questions, adds them as ``questions`` to the
   parse data so the answer action can answer each.
"""

from __future__ import annotations

import logging
from typing import Any

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.pipeline import Pipeline

from bot.content import KNOWLEDGE_INTENTS
from bot.questions import split_questions
from bot.text_classifier import predict_ranking, train_classifier

QUESTIONS_KEY = "questions"
_FILE = "tfidf.joblib"
logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfEnsemble(GraphComponent, IntentClassifier):
    """Second-opinion intent classifier and two-part question detector."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Default settings.

        ``diet_weight``: DIET's share of the blend; ``part_threshold``: the confidence
        each part of a two-part question needs; ``c``: regularisation strength.
        """
        return {"diet_weight": 0.5, "part_threshold": 0.5, "c": 30.0, "ranking_length": 10}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        classifier: Pipeline | None = None,
    ) -> None:
        """Hold the config, where to persist, and the trained classifier if any."""
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._classifier = classifier

    @classmethod
    def required_components(cls) -> list[type]:
        """None that Rasa can check: place it right after DIET, whose ranking it blends.

        (Rasa checks required components along the training graph, where DIET's
        training node is not an ancestor of this one.)
        """
        return []

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TfidfEnsemble:
        """An untrained component."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfEnsemble:
        """The component with the classifier trained with the model."""
        try:
            with model_storage.read_from(resource) as folder:
                classifier = joblib.load(folder / _FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("TfidfEnsemble has no trained classifier; it will pass DIET through")
            classifier = None
        return cls(config, model_storage, resource, classifier)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the TF-IDF classifier on the intent examples and persist it."""
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        self._classifier = train_classifier(
            [m.get(TEXT) for m in examples], [m.get(INTENT) for m in examples], self._config["c"]
        )
        with self._storage.write_to(self._resource) as folder:
            joblib.dump(self._classifier, folder / _FILE)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Blend the intent ranking and mark two-part questions."""
        if self._classifier is None:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text.strip():
                continue
            self._blend(message, text)
            questions = self._questions(text)
            if questions:
                message.set(QUESTIONS_KEY, questions, add_to_output=True)
        return messages

    def _blend(self, message: Message, text: str) -> None:
        assert self._classifier is not None
        weight = float(self._config["diet_weight"])
        diet = {r["name"]: r["confidence"] for r in message.get(INTENT_RANKING_KEY) or []}
        tfidf = predict_ranking(self._classifier, text)
        blended = {
            name: weight * diet.get(name, 0.0) + (1 - weight) * tfidf.get(name, 0.0)
            for name in set(diet) | set(tfidf)
        }
        ranking = [
            {"name": name, "confidence": confidence}
            for name, confidence in sorted(blended.items(), key=lambda kv: -kv[1])
        ][: int(self._config["ranking_length"])]
        message.set(INTENT, ranking[0], add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)

    def _questions(self, text: str) -> list[dict[str, Any]]:
        assert self._classifier is not None
        parts = split_questions(text)
        if len(parts) < 2:
            return []
        found: list[dict[str, Any]] = []
        for part in parts:
            intent, confidence = max(
                predict_ranking(self._classifier, part).items(), key=lambda kv: kv[1]
            )
            known = {q["intent"] for q in found}
            if (
                intent in KNOWLEDGE_INTENTS
                and confidence >= self._config["part_threshold"]
                and intent not in known
            ):
                found.append({"intent": intent, "text": part, "confidence": confidence})
        return found if len(found) >= 2 else []
