"""Rasa policy: ask the check-in question after the reply to an uncertain message.

When the crisis assessor (:mod:`bot.nlu.crisis_guard`) marks a message
``check_in`` (despair without intent), the person still gets the answer they
asked for; once that reply is complete, this policy adds ``utter_check_in``
("Are you having thoughts of harming yourself?", Yes/No). It runs in the Rasa
server, so the check-in does not depend on the action server. Its priority is
above the RulePolicy's, so it wins the tie with the rule that would listen.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.core.crisis.assessment import ASSESSMENT_KEY, CHECK_IN, CHECK_IN_RESPONSE

ANSWER_ACTION = "action_answer_question"
# The answer action sets it when a decline reply follows (data/stories/rules.yml).
DECLINED_SLOT = "declined"


def wants_check_in(tracker: DialogueStateTracker) -> bool:
    """True when the latest message was marked ``check_in`` and its reply is complete."""
    replied = False
    last_action: str | None = None
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            tier = (event.parse_data.get(ASSESSMENT_KEY) or {}).get("tier")
            return tier == CHECK_IN and replied and last_action not in (None, ACTION_LISTEN_NAME)
        if isinstance(event, BotUttered):
            replied = True
        elif isinstance(event, ActionExecuted):
            if event.action_name == CHECK_IN_RESPONSE:
                return False
            last_action = last_action or event.action_name
    return False


def reply_pending(tracker: DialogueStateTracker) -> bool:
    """True when the answer action declined and its decline reply is still to come."""
    return (
        tracker.latest_action_name == ANSWER_ACTION and tracker.get_slot(DECLINED_SLOT) is not None
    )


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False
)
class CheckInPolicy(Policy):
    """Predicts ``utter_check_in`` after a complete reply to a ``check_in`` message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Above the RulePolicy (4), which predicts listening with the same confidence."""
        return {"priority": 5}

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        """Nothing to learn."""
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """``utter_check_in`` when due, listening right after it, else no opinion."""
        probabilities = self._default_predictions(domain)
        if tracker.latest_action_name == CHECK_IN_RESPONSE:
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        elif wants_check_in(tracker) and not reply_pending(tracker):
            probabilities[domain.index_for_action(CHECK_IN_RESPONSE)] = 1.0
        return self._prediction(probabilities)
