"""Custom actions: translate between Rasa trackers and the plain Python in ``bot/``."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.answers import Reply, answer_more, answer_topics, more_exhausted, no_topic
from bot.content import default_library, requested_region


def send(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    """Send a composed reply, with its buttons, through the dispatcher."""
    buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
    dispatcher.utter_message(text=reply.text, buttons=buttons)


def asked_entities(tracker: Tracker) -> list[tuple[str, str]]:
    """The (entity, value) pairs of the latest user message."""
    entities = tracker.latest_message.get("entities") or []
    return [(e["entity"], str(e["value"])) for e in entities if "entity" in e and "value" in e]


def asked_intents(tracker: Tracker) -> list[str]:
    """The knowledge intents asked about: each part of a two-part question, else the intent."""
    questions = tracker.latest_message.get("questions") or []
    if len(questions) >= 2:
        return [str(q["intent"]) for q in questions]
    return [(tracker.latest_message.get("intent") or {}).get("name") or ""]


class ActionAnswerTopic(Action):
    """Answer a knowledge intent (or each part of a two-part question) from curated topics."""

    def name(self) -> str:
        """Action name used in domain.yml and the rules."""
        return "action_answer_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Send the answers and remember the last topic for "tell me more"."""
        library = default_library()
        topics = [t for t in map(library.topic, asked_intents(tracker)) if t is not None]
        if not topics:
            dispatcher.utter_message(response="utter_default")
            return []
        for reply in answer_topics(topics, asked_entities(tracker), library):
            send(dispatcher, reply)
        return [SlotSet("last_topic", topics[-1].intent), SlotSet("more_given", False)]


class ActionTellMore(Action):
    """Give the deeper layer of the last topic."""

    def name(self) -> str:
        """Action name used in domain.yml and the rules."""
        return "action_tell_more"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Send the "tell me more" layer once, then suggest other topics."""
        library = default_library()
        topic = library.topic(tracker.get_slot("last_topic") or "")
        if topic is None:
            send(dispatcher, no_topic(library))
            return []
        if tracker.get_slot("more_given"):
            send(dispatcher, more_exhausted(topic, library))
            return []
        send(dispatcher, answer_more(topic, library))
        return [SlotSet("more_given", True)]


class ActionSessionStart(Action):
    """Start a session: pick the crisis region and show the one-time disclaimer."""

    def name(self) -> str:
        """Rasa's reserved name for the session start action."""
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Carry slots over, set ``region``, send the disclaimer, then listen."""
        carried = [
            SlotSet(name, value)
            for name, value in tracker.current_slot_values().items()
            if name != "session_started_metadata" and value is not None
        ]
        region, disclaimer = default_library().regional_message(
            "disclaimer", requested_region(tracker.get_slot("session_started_metadata"))
        )
        dispatcher.utter_message(text=disclaimer)
        return [
            SessionStarted(),
            *carried,
            SlotSet("region", region),
            ActionExecuted("action_listen"),
        ]
