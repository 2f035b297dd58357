"""Rasa NLU component: blend DIET with two more classifiers, and find two-part questions.

Placed right after DIET. It trains two logistic regressions on the same examples,
one on TF-IDF word and character n-grams (:mod:`bot.nlu.text_classifier`), one on
MiniLM sentence embeddings (:mod:`bot.nlu.embedding_classifier`), then for each message:

1. averages the three rankings (``diet_weight``, ``embedding_weight``, the rest to
   TF-IDF), since they make different mistakes on unseen wording;
2. splits the text into questions (:mod:`bot.core.questions`) and, when two or more parts
   are confidently different knowledge questions, adds them as ``questions`` to the
   parse data so the answer action can answer each.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.pipeline import Pipeline
from typing_extensions import Self

from bot.core.content import KNOWLEDGE_INTENTS
from bot.core.questions import split_questions
from bot.nlu import persisted
from bot.nlu.embedding_classifier import EmbeddingClassifier, train_embedding_classifier
from bot.nlu.persisted import PersistedComponent
from bot.nlu.sentence_encoder import encoder_for
from bot.nlu.text_classifier import predict_ranking, ready_for_prediction, train_classifier
from bot.nlu.tuned_encoder import training_encoder

QUESTIONS_KEY = "questions"
_EMBEDDING_FILE = "embedding.joblib"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class BlendedIntentClassifier(PersistedComponent, IntentClassifier):
    """Second-opinion intent classifier and two-part question detector."""

    saved_as = "tfidf.joblib"
    untrained_warning = (
        "BlendedIntentClassifier has no trained classifier; it will pass DIET through"
    )

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Default settings.

        ``diet_weight`` and ``embedding_weight``: DIET's and the embedding classifier's
        shares of the blend (TF-IDF gets the rest); ``part_threshold``: the confidence
        each part of a two-part question needs; ``c``: regularisation strength.
        """
        return {
            "diet_weight": 0.5,
            "embedding_weight": 0.0,
            "part_threshold": 0.5,
            "c": 30.0,
            "ranking_length": 10,
        }

    def __init__(
        self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource
    ) -> None:
        """Hold the config and where to persist; untrained, it passes DIET through."""
        super().__init__(config, model_storage, resource)
        self._classifier: Pipeline | None = None
        self._embedding_classifier: EmbeddingClassifier | None = None

    @classmethod
    def required_components(cls) -> list[type]:
        """None that Rasa can check: place it right after DIET, whose ranking it blends.

        (Rasa checks required components along the training graph, where DIET's
        training node is not an ancestor of this one.)
        """
        return []

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> Self:
        """The component with the classifiers trained with the model."""
        component = super().load(config, model_storage, resource, execution_context)
        embedding = persisted.load(model_storage, resource, _EMBEDDING_FILE)
        if config["embedding_weight"] > 0 and embedding is None:
            raise ValueError(
                "BlendedIntentClassifier: embedding_weight is set but the model has no embedding "
                "classifier; retrain"
            )
        if embedding is not None:
            encoder_for(embedding.encoder_key)  # a missing encoder fails the load, not a message
        component._embedding_classifier = embedding
        return component

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the classifiers on the intent examples and persist them."""
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        texts = [m.get(TEXT) for m in examples]
        intents = [m.get(INTENT) for m in examples]
        self._classifier = train_classifier(texts, intents, self._config["c"])
        if self._config["embedding_weight"] > 0:
            self._embedding_classifier = train_embedding_classifier(
                training_encoder(training_data), texts, intents, self._config["c"]
            )
        if self._embedding_classifier is not None:
            self.persist(self._embedding_classifier, _EMBEDDING_FILE)
        return self.persist(self._classifier)

    def restore(self, saved: Pipeline) -> None:
        """Take back the TF-IDF classifier trained with the model."""
        self._classifier = ready_for_prediction(saved)

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
        diet_weight = float(self._config["diet_weight"])
        diet = {r["name"]: r["confidence"] for r in message.get(INTENT_RANKING_KEY) or []}
        opinions = [(diet_weight, diet)]
        tfidf_weight = 1 - diet_weight
        if self._embedding_classifier is not None:
            embedding_weight = float(self._config["embedding_weight"])
            embedding = self._embedding_classifier.ranking(text)
            opinions.append((embedding_weight, embedding))
            tfidf_weight -= embedding_weight
        opinions.append((tfidf_weight, predict_ranking(self._classifier, text)))
        names = {name for _, opinion in opinions for name in opinion}
        blended = {
            name: sum(weight * opinion.get(name, 0.0) for weight, opinion in opinions)
            for name in names
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
