"""The step both guards share: put an intent first, whatever was predicted."""

from __future__ import annotations

from typing import Any

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


def override_intent(message: Message, intent: str, key: str, details: dict[str, Any]) -> None:
    """Set ``intent`` with confidence 1 at the top of the ranking; record ``details`` under ``key``.

    The earlier ranking stays below it (without ``intent``), so evaluations can see
    what the classifiers said.
    """
    chosen = {"name": intent, "confidence": 1.0}
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
    message.set(INTENT, chosen, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
    message.set(key, details, add_to_output=True)
