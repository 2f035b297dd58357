"""The summary to take to an appointment: the answers given, and questions to ask."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAnswerQuestion, ActionAppointmentSummary
from bot.core.answers import Reply
from bot.core.appointment import SUMMARY_PAYLOAD, first_sentence, key_point, offer_summary, summary
from bot.core.content import Library
from bot.quality.content_gates import load_policy, readability
from tests.servers import say
from tools.stack import started

ASKED = ["cost_spravato", "nausea_and_vomiting", "how_long_side_effects_last"]


def tracker(shown: list[str], texts: Sequence[str] = (), intent: str = "ask_summary") -> Tracker:
    """A conversation in which ``texts`` were typed and the units ``shown`` answered."""
    events: list[dict[str, Any]] = [
        {"event": "user", "text": text, "parse_data": {"intent": {"name": "crisis"}}}
        for text in texts
    ]
    return Tracker(
        sender_id="summary-test",
        slots={"shown_units": shown, "region": "us"},
        latest_message={"text": "summarize", "intent": {"name": intent, "confidence": 0.9}},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def test_it_lists_each_question_asked_with_its_key_point(library: Library) -> None:
    text = summary(ASKED, library).text
    for key in ASKED:
        unit = library.units[key]
        assert f"- {unit.question} {key_point(unit.answer)}" in text


def test_the_questions_for_the_prescriber_follow_the_topics_asked_about(library: Library) -> None:
    text = summary(ASKED, library).text
    questions = library.messages["appointment_questions"]
    cost, effects = questions["ask_cost_access"], questions["ask_side_effects"]
    assert f"1. {cost}" in text and f"2. {effects}" in text
    assert "3. " in text and "6. " not in text


def test_before_any_answer_it_offers_the_usual_questions(library: Library) -> None:
    text = summary([], library).text
    assert library.message("summary_none") in text
    assert text.count("\n1. ") + text.count("\n2. ") + text.count("\n3. ") == 3


def test_at_most_five_questions_however_many_topics(library: Library) -> None:
    overviews = [t.overview_unit for t in library.topics.values()]
    text = summary(overviews, library).text
    assert "5. " in text and "6. " not in text


@pytest.mark.parametrize("start", range(0, 250, 25))
def test_it_reads_at_grade_8_or_below(library: Library, start: int) -> None:
    keys = list(library.units)[start : start + 4]
    score = readability(summary(keys, library).text)
    assert score.passes(load_policy()), (keys, score)


def test_the_first_sentence_keeps_abbreviations_whole() -> None:
    assert first_sentence("It is approved in the U.S. for adults. More.") == (
        "It is approved in the U.S. for adults."
    )


def test_a_bare_yes_is_followed_by_the_sentence_that_says_more() -> None:
    assert key_point("Yes. It is approved for adults. More here.") == (
        "Yes. It is approved for adults."
    )


async def test_every_line_is_the_assistant_s_own_text_never_what_was_typed(
    library: Library,
) -> None:
    dispatcher = CollectingDispatcher()
    said = tracker(ASKED, ["I want to end my life tonight", "my name is Ana, 555 0100"])
    said.latest_message["text"] = "summarize, I want to end my life"
    await ActionAppointmentSummary().run(dispatcher, said, {})
    [message] = dispatcher.messages
    units = [library.units[key] for key in ASKED]
    own = {
        *(library.message(k) for k in ("summary_heading", "summary_asked", "summary_note")),
        library.message("summary_questions"),
        *(f"- {u.question} {key_point(u.answer)}" for u in units),
    }
    questions = set(library.messages["appointment_questions"].values())
    for line in filter(None, message["text"].split("\n")):
        number, _, question = line.partition(". ")
        assert line in own or (number.isdigit() and question in questions), line


def test_from_the_third_answer_on_the_reply_offers_the_summary(library: Library) -> None:
    replies = [Reply("answer")]
    assert offer_summary(replies, 2, library) == replies
    [offered] = offer_summary(replies, 3, library)
    assert offered.buttons[-1].payload == SUMMARY_PAYLOAD


async def test_the_third_answer_in_a_conversation_carries_the_button(library: Library) -> None:
    dispatcher = CollectingDispatcher()
    asked = tracker(ASKED[:2], intent="ask_side_effects")
    asked.latest_message.update(
        text="how long does it last",
        answers=[{"unit": ASKED[2], "score": 0.9, "probability": 0.9, "similarity": 0.9}],
        intent_ranking=[{"name": "ask_side_effects", "confidence": 0.9}],
        entities=[],
    )
    await ActionAnswerQuestion().run(dispatcher, asked, {})
    assert dispatcher.messages[-1]["buttons"][-1]["payload"] == SUMMARY_PAYLOAD


@pytest.mark.model
def test_over_rest_summarize_gives_the_summary(tmp_path: Path, library: Library) -> None:
    with started(tmp_path) as stack:
        url = stack.url
        for question in ("how much does spravato cost?", "does ketamine cause nausea?"):
            say(url, "summary-1", question)
        typed = " ".join(say(url, "summary-1", "can you summarize this for my appointment"))
        pressed = " ".join(say(url, "summary-1", SUMMARY_PAYLOAD))
        body = json.dumps({"sender": "summary-2", "message": "summarize"}).encode()
        request = urllib.request.Request(f"{url}/webhooks/rest/webhook", body)
        with urllib.request.urlopen(request, timeout=60) as reply:
            fresh = " ".join(m.get("text", "") for m in json.loads(reply.read()))
    for text in (typed, pressed):
        assert library.message("summary_heading") in text
        assert library.units["cost_spravato"].question in text
    assert library.message("summary_none") in fresh
