"""Rasa NLU component: the crisis assessor, last in the pipeline.

For each message it reads the conversation so far from the tracker (Rasa passes
it to NLU components that ask for it), assesses the message
(:func:`bot.core.crisis.assessment.assess`: lexicon, the assessor's own model,
context) and stores the assessment in the parse data, where the tracker keeps it
for the next message. Clear danger becomes intent ``crisis``, with an entity
``danger_<kind>`` for the kinds that have their own card (means at hand,
self-harm, emergency, someone else at risk), which the rules in
``data/stories/rules.yml`` route to that card: plain responses, so no action
server is needed. A ``crisis`` that the intent classifier predicted but the
assessor does not confirm gives way to the next intent (and, if the classifier
was confident, to the check-in).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.core.content import CRISIS_INTENT, default_library
from bot.core.crisis.assessment import (
    ASSESSMENT_KEY,
    CARD_RESPONSE,
    CHECK_IN_RESPONSE,
    CRISIS,
    Assessment,
    Context,
    Settings,
    assess,
)
from bot.core.crisis.lexicon import LEXICON_FILE, CrisisDetector, default_detector
from bot.core.crisis.model import NO_DANGER, TRAINING_DIR, CrisisModel, read_examples
from bot.nlu.override import override_intent
from bot.nlu.persisted import PersistedComponent, files_digest
from bot.nlu.sentence_encoder import PRECISION, default_encoder, encoder_for

GUARD_KEY = "crisis_guard"
# Suicidal thoughts get utter_crisis; these kinds get utter_crisis_<kind>.
KINDS_WITH_OWN_CARD = ("means", "self_harm", "emergency", "other_at_risk")


def conversation_context(tracker: DialogueStateTracker | None, turns: int) -> Context:
    """What the tracker says before the message (:class:`bot.core.crisis.assessment.Context`).

    The assessments of the user's last ``turns`` messages since the last crisis card,
    whether a card was shown in this session, and whether the last reply was the check-in.
    """
    earlier: list[Assessment] = []
    card_shown = False
    last_action: str | None = None
    for event in reversed(tracker.events if tracker else []):
        if isinstance(event, ActionExecuted):
            if event.action_name == ACTION_SESSION_START_NAME:
                break
            if last_action is None and event.action_name != ACTION_LISTEN_NAME:
                last_action = event.action_name
            card_shown = card_shown or (event.action_name or "").startswith(CARD_RESPONSE)
        elif isinstance(event, UserUttered) and not card_shown and len(earlier) < turns:
            stored = Assessment.from_dict(event.parse_data.get(ASSESSMENT_KEY))
            if stored is not None:
                earlier.append(stored)
    return Context(tuple(earlier), card_shown, last_action == CHECK_IN_RESPONSE)


def training_examples(
    training_data: TrainingData, detector: CrisisDetector
) -> list[tuple[str, str]]:
    """The assessor's own examples, plus every NLU and answer-unit example.

    NLU ``crisis`` examples take the kind of the lexicon phrase they contain
    ("suicide" when none); every other example is a negative: questions about the
    treatment, including about suicidality as a topic, are what the assessor must
    leave alone.
    """
    examples = read_examples()
    for message in training_data.intent_examples:
        text = message.get(TEXT)
        if message.get(INTENT) == CRISIS_INTENT:
            phrase = detector.find(text)
            examples.append((text, detector.kind_of(phrase) if phrase else "suicide"))
        else:
            examples.append((text, NO_DANGER))
    for unit in default_library().units.values():
        examples.extend((example, NO_DANGER) for example in unit.examples)
    return examples


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class CrisisGuard(PersistedComponent, IntentClassifier):
    """Assesses each message in its conversation; clear danger becomes intent ``crisis``."""

    saved_as = "crisis_model.joblib"
    untrained_warning = "CrisisGuard has no model; only the crisis lexicon is used"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The tier thresholds (:class:`bot.core.crisis.assessment.Settings`)."""
        defaults = Settings()
        return {
            "crisis": defaults.crisis,
            "context": defaults.context,
            "concern": defaults.concern,
            "repeat": defaults.repeat,
            "classifier": defaults.classifier,
            "turns": defaults.turns,
        }

    def __init__(
        self,
        config: dict[str, Any] | None = None,
        model_storage: ModelStorage | None = None,
        resource: Resource | None = None,
    ) -> None:
        """Hold the settings and where to persist; untrained, the lexicon works already.

        Without arguments: the lexicon alone, with the default settings.
        """
        config = {**self.get_default_config(), **(config or {})}
        super().__init__(config, model_storage, resource)
        self._settings = Settings(**{k: config[k] for k in self.get_default_config()})
        self._model: CrisisModel | None = None
        self._detector = default_detector()

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The lexicon, the training files and the encoder's precision: a change retrains."""
        return files_digest([LEXICON_FILE, *sorted(TRAINING_DIR.glob("*.yml"))]) + PRECISION

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the assessor's model and persist it."""
        examples = training_examples(training_data, self._detector)
        # The published encoder, not the one tuned on answer wordings: with the tuned one
        # the model caught less danger and raised more alarms on the read crisis sets
        # (docs/crisis.md).
        self._model = CrisisModel.train(examples, default_encoder())
        return self.persist(self._model)

    def restore(self, saved: CrisisModel) -> None:
        """Take back the model trained with the Rasa model (and check its encoder is loaded)."""
        encoder_for(saved.encoder_key)
        self._model = saved

    def assess(
        self, text: str, context: Context, classified: str | None, confidence: float = 0.0
    ) -> Assessment:
        """The assessment of one message whose classified intent had ``confidence``."""
        probabilities = None
        if self._model is not None and text.strip():
            vector = encoder_for(self._model.encoder_key).encode_one(text)
            probabilities = self._model.probabilities(text, vector)
        return assess(
            text,
            probabilities,
            context,
            self._detector,
            answered_yes=classified == "affirm",
            classifier_crisis=confidence if classified == CRISIS_INTENT else 0.0,
            settings=self._settings,
        )

    def process(
        self, messages: list[Message], tracker: DialogueStateTracker | None = None
    ) -> list[Message]:
        """Assess each message; route clear danger to ``crisis`` with its kind."""
        context = conversation_context(tracker, self._settings.turns)
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or text.startswith("/"):
                continue
            predicted = message.get(INTENT) or {}
            classified = predicted.get("name")
            assessment = self.assess(text, context, classified, predicted.get("confidence") or 0.0)
            message.set(ASSESSMENT_KEY, assessment.as_dict(), add_to_output=True)
            if assessment.tier == CRISIS:
                # Kept in the parse data so evaluations can see what the classifier said.
                override_intent(message, CRISIS_INTENT, GUARD_KEY, {"classified_as": classified})
                if assessment.kind in KINDS_WITH_OWN_CARD:
                    danger = {
                        "entity": f"danger_{assessment.kind}",
                        "value": assessment.kind,
                        "extractor": type(self).__name__,
                    }
                    message.set(
                        ENTITIES, [*(message.get(ENTITIES) or []), danger], add_to_output=True
                    )
            elif classified == CRISIS_INTENT:
                _give_way(message)
                given_way = {"classified_as": classified, "confidence": predicted.get("confidence")}
                message.set(GUARD_KEY, given_way, add_to_output=True)
        return messages


def _give_way(message: Message) -> None:
    """Replace an unconfirmed ``crisis`` by the next intent in the ranking."""
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != CRISIS_INTENT]
    if ranking:
        message.set(INTENT, ranking[0], add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
