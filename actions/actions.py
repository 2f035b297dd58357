"""Custom actions: translate between Rasa trackers and the plain Python in ``bot/``."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.core.answer_selection import (
    DECLINE_OUT_OF_SCOPE,
    NOT_UNDERSTOOD,
    PERSONAL,
    choose_for_parse,
)
from bot.core.answers import (
    Reply,
    answer_more,
    answer_topics,
    answer_units,
    more_exhausted,
    no_good_answer,
    no_more_related,
    no_topic,
)
from bot.core.appointment import offer_summary, summary
from bot.core.clinic import current_profile
from bot.core.content import Library, default_library, regional_library
from bot.core.crisis.assessment import wants_crisis_line

# The value of the "declined" slot for each way of declining when no answer unit fits;
# the rules then send utter_personal_advice, utter_out_of_scope or utter_fallback.
DECLINED = {
    PERSONAL: "personal",
    DECLINE_OUT_OF_SCOPE: "out_of_scope",
    NOT_UNDERSTOOD: "not_understood",
}


def send(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    """Send a composed reply, with its buttons, through the dispatcher."""
    buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
    dispatcher.utter_message(text=reply.text, buttons=buttons)


def send_answers(
    dispatcher: CollectingDispatcher, tracker: Tracker, replies: list[Reply], library: Library
) -> None:
    """Send answers, then the crisis line when the assessor asked for it beside them."""
    for reply in replies:
        send(dispatcher, reply)
    if wants_crisis_line(tracker.latest_message):
        dispatcher.utter_message(
            text=library.regional_message("crisis_line", tracker.get_slot("region"))[1]
        )


def asked_unit(tracker: Tracker) -> str | None:
    """The unit a button asked for (``/ask_x{"unit": "id"}``), if any."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "unit":
            return str(entity.get("value"))
    return None


def shown_event(tracker: Tracker, unit_ids: list[str]) -> EventType:
    """``shown_units`` with ``unit_ids`` added: "tell me more" and the summary read it."""
    shown = list(tracker.get_slot("shown_units") or [])
    return SlotSet("shown_units", shown + [u for u in unit_ids if u not in shown])


def unit_events(tracker: Tracker, unit_ids: list[str]) -> list[EventType]:
    """Remember the units given, for "tell me more"."""
    return [
        SlotSet("last_unit", unit_ids[-1]),
        shown_event(tracker, unit_ids),
        SlotSet("last_topic", None),
        SlotSet("declined", None),
    ]


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


class ActionAnswerQuestion(Action):
    """Answer the question asked: the closest answer unit, a topic summary, or an honest miss."""

    def name(self) -> str:
        """Action name used in domain.yml and the rules."""
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Send the answers and remember what was given for "tell me more"."""
        library = regional_library(tracker.get_slot("region"))
        unit = asked_unit(tracker)
        if unit is not None and library.unit(unit) is not None:
            send_answers(dispatcher, tracker, answer_units([unit], library), library)
            return unit_events(tracker, [unit])
        text = str(tracker.latest_message.get("text") or "")
        if text.startswith("/"):
            return self._topic_summary(dispatcher, tracker, library)
        choice = choose_for_parse(tracker.latest_message, library.unit_topics)
        if choice.units:
            replies = answer_units(list(choice.units), library, choice.personal)
            given = set(tracker.get_slot("shown_units") or []) | set(choice.units)
            send_answers(dispatcher, tracker, offer_summary(replies, len(given), library), library)
            return unit_events(tracker, list(choice.units))
        # The last answer stays remembered: "tell me more" after a miss continues it.
        if choice.kind in DECLINED:
            return [SlotSet("declined", DECLINED[choice.kind])]
        region = tracker.get_slot("region")
        send(dispatcher, no_good_answer(choice.suggestions, region, library))
        return [SlotSet("declined", None)]

    @staticmethod
    def _topic_summary(
        dispatcher: CollectingDispatcher, tracker: Tracker, library: Library
    ) -> list[EventType]:
        """A topic button (``/ask_side_effects``): the topic's summary, as before units."""
        topics = [t for t in map(library.topic, asked_intents(tracker)) if t is not None]
        if not topics:
            dispatcher.utter_message(response="utter_default")
            return [SlotSet("declined", None)]
        send_answers(
            dispatcher, tracker, answer_topics(topics, asked_entities(tracker), library), library
        )
        # The topic's overview unit stands for it in the appointment summary.
        return [
            SlotSet("last_topic", topics[-1].intent),
            SlotSet("more_given", False),
            SlotSet("last_unit", None),
            SlotSet("declined", None),
            shown_event(tracker, [t.overview_unit for t in topics]),
        ]


class ActionTellMore(Action):
    """Tell me more: the next related question of the last answer, or a topic's deeper layer."""

    def name(self) -> str:
        """Action name used in domain.yml and the rules."""
        return "action_tell_more"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The next related unit not shown yet; for a topic, its deeper layer once."""
        library = regional_library(tracker.get_slot("region"))
        last_unit = library.unit(tracker.get_slot("last_unit") or "")
        if last_unit is not None:
            shown = set(tracker.get_slot("shown_units") or [])
            unshown = [u for u in last_unit.related if u not in shown]
            if unshown:
                send_answers(dispatcher, tracker, answer_units(unshown[:1], library), library)
                return unit_events(tracker, unshown[:1])
            send(dispatcher, no_more_related(library))
            return []
        topic = library.topic(tracker.get_slot("last_topic") or "")
        if topic is None:
            send(dispatcher, no_topic(library))
            return []
        if tracker.get_slot("more_given"):
            send(dispatcher, more_exhausted(topic, library))
            return []
        send_answers(dispatcher, tracker, [answer_more(topic, library)], library)
        return [SlotSet("more_given", True)]


class ActionSessionStart(Action):
    """Start a session: pick the crisis region and show the one-time disclaimer."""

    def name(self) -> str:
        """Rasa's reserved name for the session start action."""
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Carry slots over, set ``region`` and the clinic's contact, send the disclaimer."""
        carried = [
            SlotSet(name, value)
            for name, value in tracker.current_slot_values().items()
            if name != "session_started_metadata" and value is not None
        ]
        metadata = tracker.get_slot("session_started_metadata")
        region, disclaimer = default_library().session_disclaimer(metadata)
        dispatcher.utter_message(text=disclaimer)
        clinic = current_profile().clinic
        contact = clinic.contact() if clinic else ""
        return [
            SessionStarted(),
            *carried,
            SlotSet("region", region),
            SlotSet("care_team_contact", f" {contact}" if contact else ""),
            ActionExecuted("action_listen"),
        ]


class ActionAppointmentSummary(Action):
    """The summary to take to an appointment: the answers given so far, what to ask."""

    def name(self) -> str:
        """Action name used in domain.yml and the rules."""
        return "action_appointment_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Send the summary of the units shown in this conversation."""
        library = regional_library(tracker.get_slot("region"))
        send(dispatcher, summary(list(tracker.get_slot("shown_units") or []), library))
        return []
