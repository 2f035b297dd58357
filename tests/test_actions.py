"""Actions, run with real trackers and a CollectingDispatcher: events and messages."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAnswerQuestion, ActionSessionStart, ActionTellMore
from bot.core.answer_selection import Settings
from bot.core.appointment import summary


def make_tracker(
    intent: str = "greet",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    text: str = "a question",
    answers: list[dict[str, Any]] | None = None,
) -> Tracker:
    return Tracker(
        sender_id="test-user",
        slots=slots or {},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.9},
            "intent_ranking": [{"name": intent, "confidence": 0.9}],
            "entities": entities or [],
            "answers": answers or [],
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def match(unit: str, score: float = 0.9) -> dict[str, Any]:
    return {"unit": unit, "score": score, "probability": score, "similarity": score}


async def test_a_topic_button_sends_the_section_asked_about_and_remembers_the_topic(library):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "ask_side_effects",
        [{"entity": "side_effect", "value": "nausea", "start": 0, "end": 6}],
        text="/ask_side_effects",
    )
    events = await ActionAnswerQuestion().run(dispatcher, tracker, {})
    nausea = next(s for s in library.topic("ask_side_effects").sections if s.value == "nausea")
    [message] = dispatcher.messages
    assert nausea.text in message["text"]
    assert message["buttons"][0]["payload"] == "/ask_more"
    assert events == [
        SlotSet("last_topic", "ask_side_effects"),
        SlotSet("more_given", False),
        SlotSet("last_unit", None),
        SlotSet("declined", None),
        SlotSet("shown_units", ["side_effects_overview"]),
    ]


async def test_a_topic_button_answer_is_in_the_appointment_summary(library):
    tracker = make_tracker("ask_benefits", text="/ask_benefits")
    events = await ActionAnswerQuestion().run(CollectingDispatcher(), tracker, {})
    shown = next(e["value"] for e in events if e["name"] == "shown_units")
    text = summary(shown, library).text
    assert library.unit("benefits_overview").question in text


async def test_a_question_gets_the_closest_unit_and_remembers_it(library):
    unit = library.unit("spravato_taste")
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(unit.topic, answers=[match(unit.id)])
    events = await ActionAnswerQuestion().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["text"].startswith(unit.answer)
    assert SlotSet("last_unit", unit.id) in events
    assert SlotSet("shown_units", [unit.id]) in events


async def test_a_unit_button_gets_that_unit(library):
    unit = library.unit("spravato_taste")
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "unit", "value": unit.id}]
    tracker = make_tracker(unit.topic, entities, text=f'/{unit.topic}{{"unit": "{unit.id}"}}')
    await ActionAnswerQuestion().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["text"].startswith(unit.answer)


async def test_a_personal_question_with_a_close_unit_gets_its_facts_and_the_care_team(library):
    unit = library.unit("spravato_taste")
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("ask_personal_advice", answers=[match(unit.id)])
    await ActionAnswerQuestion().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["text"].startswith(unit.answer)
    assert library.message("provider_line") in message["text"]


async def test_a_personal_question_without_a_close_unit_is_declined_for_the_rules():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("ask_personal_advice", answers=[match("spravato_taste", 0.1)])
    events = await ActionAnswerQuestion().run(dispatcher, tracker, {})
    assert dispatcher.messages == []
    assert SlotSet("declined", "personal") in events


async def test_a_question_no_unit_fits_gets_an_honest_no_and_the_closest(library):
    dispatcher = CollectingDispatcher()
    near = (Settings().suggestion_floor + Settings().threshold) / 2  # close, not close enough
    tracker = make_tracker("ask_side_effects", answers=[match("spravato_taste", near)])
    await ActionAnswerQuestion().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["text"].startswith(library.regional_message("no_good_answer", "us")[1])
    assert [b["title"] for b in message["buttons"]] == [library.unit("spravato_taste").question]


async def test_a_miss_keeps_the_last_answer_for_tell_me_more():
    dispatcher = CollectingDispatcher()
    slots = {"last_unit": "spravato_taste", "shown_units": ["spravato_taste"]}
    tracker = make_tracker("ask_side_effects", slots=slots, answers=[match("spravato_taste", 0.1)])
    events = await ActionAnswerQuestion().run(dispatcher, tracker, {})
    assert events == [SlotSet("declined", None)]


async def test_a_topic_button_for_a_non_knowledge_intent_sends_the_default():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("greet", text="/greet")
    events = await ActionAnswerQuestion().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "utter_default"
    assert events == [SlotSet("declined", None)]


async def test_tell_more_after_a_unit_gives_its_first_related_unit_not_shown(library):
    unit = next(u for u in library.units.values() if len(u.related) >= 2)
    dispatcher = CollectingDispatcher()
    slots = {"last_unit": unit.id, "shown_units": [unit.id, unit.related[0]]}
    events = await ActionTellMore().run(dispatcher, make_tracker("ask_more", slots=slots), {})
    assert dispatcher.messages[0]["text"].startswith(library.unit(unit.related[1]).answer)
    assert SlotSet("last_unit", unit.related[1]) in events


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


async def test_a_two_part_question_gets_one_unit_per_part(library):
    first, second = library.unit("spravato_taste"), library.unit("horse_tranquilizer")
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(first.topic)
    tracker.latest_message["answer_parts"] = [[match(first.id)], [match(second.id)]]
    events = await ActionAnswerQuestion().run(dispatcher, tracker, {})
    one, two = dispatcher.messages
    assert one["text"].startswith(first.answer) and not one["buttons"]
    assert two["text"].startswith(second.answer)
    assert SlotSet("last_unit", second.id) in events
