"""Rasa NLU component: route messages with crisis phrases to ``crisis``.

It runs last in the pipeline, after DIET and the FallbackClassifier, so that a
high-risk message gets the crisis response whatever the classifier predicted.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.override import override_intent
from bot.safety import CrisisDetector, default_detector

CRISIS_INTENT = "crisis"
GUARD_KEY = "crisis_guard"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class CrisisGuard(GraphComponent, IntentClassifier):
    """Overrides the predicted intent with ``crisis`` when the lexicon matches."""

    def __init__(self, detector: CrisisDetector) -> None:
        """Wrap a crisis detector."""
        self._detector = detector

    @classmethod
    def required_components(cls) -> list[type]:
        """Runs after an intent classifier, whose prediction it may override."""
        return [IntentClassifier]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CrisisGuard:
        """Build the component with the project's crisis lexicon."""
        return cls(default_detector())

    def process(self, messages: list[Message]) -> list[Message]:
        """Set intent ``crisis`` (confidence 1) on each message with a crisis phrase."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not self._detector.is_crisis(text):
                continue
            classified = (message.get(INTENT) or {}).get("name")
            # Kept in the parse data so evaluations can see what the lexicon caught.
            override_intent(message, CRISIS_INTENT, GUARD_KEY, {"classified_as": classified})
        return messages
