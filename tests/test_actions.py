"""Actions, run with real trackers and a CollectingDispatcher: events and messages."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAnswerTopic, ActionSessionStart, ActionTellMore


def make_tracker(
    intent: str = "greet",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
) -> Tracker:
    return Tracker(
        sender_id="test-user",
        slots=slots or {},
        latest_message={
            "text": "a question",
            "intent": {"name": intent, "confidence": 0.9},
            "entities": entities or [],
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def test_answer_topic_sends_the_section_asked_about_and_remembers_the_topic(library):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "ask_side_effects", [{"entity": "side_effect", "value": "nausea", "start": 0, "end": 6}]
    )
    events = await ActionAnswerTopic().run(dispatcher, tracker, {})
    nausea = next(s for s in library.topic("ask_side_effects").sections if s.value == "nausea")
    [message] = dispatcher.messages
    assert nausea.text in message["text"]
    assert message["buttons"][0]["payload"] == "/ask_more"
    assert events == [SlotSet("last_topic", "ask_side_effects"), SlotSet("more_given", False)]


async def test_answer_topic_for_a_non_knowledge_intent_sends_the_default():
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerTopic().run(dispatcher, make_tracker("greet"), {})
    assert dispatcher.messages[0]["response"] == "utter_default"
    assert events == []


async def test_tell_more_gives_the_deeper_layer_once(library):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("ask_more", slots={"last_topic": "ask_mechanism", "more_given": False})
    events = await ActionTellMore().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["text"].startswith(library.topic("ask_mechanism").more)
    assert events == [SlotSet("more_given", True)]


async def test_tell_more_twice_says_that_is_all(library):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("ask_more", slots={"last_topic": "ask_mechanism", "more_given": True})
    events = await ActionTellMore().run(dispatcher, tracker, {})
    assert library.topic("ask_mechanism").more not in dispatcher.messages[0]["text"]
    assert dispatcher.messages[0]["buttons"]
    assert events == []


async def test_tell_more_without_a_topic_asks_for_one():
    dispatcher = CollectingDispatcher()
    events = await ActionTellMore().run(dispatcher, make_tracker("ask_more"), {})
    assert len(dispatcher.messages[0]["buttons"]) == 4
    assert events == []


async def test_session_start_sends_the_regional_disclaimer_and_carries_slots(domain, monkeypatch):
    monkeypatch.delenv("ASSISTANT_REGION", raising=False)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={"last_topic": "ask_benefits", "session_started_metadata": {"region": "UK"}}
    )
    events = await ActionSessionStart().run(dispatcher, tracker, domain)
    assert events[0] == SessionStarted()
    assert SlotSet("last_topic", "ask_benefits") in events
    assert SlotSet("region", "uk") in events
    assert events[-1] == ActionExecuted("action_listen")
    assert "116 123" in dispatcher.messages[0]["text"]


async def test_session_start_defaults_to_us_resources(domain, monkeypatch):
    monkeypatch.delenv("ASSISTANT_REGION", raising=False)
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(dispatcher, make_tracker(), domain)
    assert SlotSet("region", "us") in events
    assert "988" in dispatcher.messages[0]["text"]


async def test_answer_topic_answers_both_parts_of_a_two_part_question(library):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("ask_side_effects")
    tracker.latest_message["questions"] = [
        {"intent": "ask_side_effects", "text": "what are the side effects"},
        {"intent": "ask_cost_access", "text": "what does it cost"},
    ]
    events = await ActionAnswerTopic().run(dispatcher, tracker, {})
    first, second = dispatcher.messages
    assert first["text"].startswith(library.topic("ask_side_effects").summary)
    assert second["text"].startswith(library.topic("ask_cost_access").summary)
    assert events[0] == SlotSet("last_topic", "ask_cost_access")
