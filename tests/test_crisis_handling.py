"""Crisis handling: the guard reads the conversation, and the replies need no action server."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.core.crisis.assessment import CHECK_IN, CRISIS, NONE, Assessment
from bot.nlu.crisis_guard import KINDS_WITH_OWN_CARD, CrisisGuard, conversation_context
from bot.policies.check_in import wants_check_in
from bot.quality.patient_texts import choose_variation

ROOT = Path(__file__).resolve().parents[1]


def classified(text: str, intent: str, confidence: float) -> Message:
    prediction = {"name": intent, "confidence": confidence}
    return Message(data={TEXT: text, INTENT: prediction, INTENT_RANKING_KEY: [prediction]})


def test_guard_overrides_a_knowledge_prediction_for_a_crisis_message():
    message = classified("spravato stopped working and i want to end it all", "ask_benefits", 0.8)
    [result] = CrisisGuard().process([message])
    assert result.get(INTENT) == {"name": "crisis", "confidence": 1.0}
    assert [r["name"] for r in result.get(INTENT_RANKING_KEY)] == ["crisis", "ask_benefits"]


def test_guard_leaves_other_messages_as_classified():
    message = classified("does it help suicidal thoughts", "ask_benefits", 0.8)
    [result] = CrisisGuard().process([message])
    assert result.get(INTENT)["name"] == "ask_benefits"


def test_crisis_rule_uses_a_response_not_a_custom_action():
    rules = yaml.safe_load((ROOT / "data/stories/rules.yml").read_text())["rules"]
    [rule] = [r for r in rules if {"intent": "crisis"} in r["steps"]]
    assert rule["steps"][-1] == {"action": "utter_crisis"}


def test_default_crisis_response_gives_988_and_911(domain):
    text = choose_variation(domain["responses"]["utter_crisis"], {})["text"]
    assert "988" in text and "911" in text


def test_each_region_has_its_own_crisis_resources(domain):
    uk = choose_variation(domain["responses"]["utter_crisis"], {"region": "uk"})["text"]
    ca = choose_variation(domain["responses"]["utter_crisis"], {"region": "ca"})["text"]
    assert "116 123" in uk and "999" in uk
    assert "988" in ca


def test_every_region_slot_value_has_a_crisis_variation(domain):
    regions = domain["slots"]["region"]["values"]
    variations = domain["responses"]["utter_crisis"]
    covered = {c["value"] for v in variations for c in v.get("condition", [])}
    assert set(regions) - {"us"} <= covered


REGION_NUMBERS = [("us", ["988", "911"]), ("uk", ["999", "116 123"]), ("ca", ["988", "911"])]


@pytest.mark.parametrize(
    "response", ["utter_personal_advice", "utter_fallback", "utter_out_of_scope", "utter_goodbye"]
)
@pytest.mark.parametrize(("region", "numbers"), REGION_NUMBERS)
def test_replies_where_missed_crisis_messages_land_give_the_crisis_line(
    domain, response, region, numbers
):
    text = choose_variation(domain["responses"][response], {"region": region})["text"]
    assert all(number in text for number in numbers)


def test_guard_records_what_the_classifier_had_said():
    message = classified("im gonna kil myself", "goodbye", 0.9)
    [result] = CrisisGuard().process([message])
    assert result.get("crisis_guard") == {"classified_as": "goodbye"}


# --- the conversation the assessor reads --------------------------------------------------


def user(text: str, tier: str = NONE, concern: float = 0.0) -> list:
    parse = {"crisis_assessment": Assessment(tier, concern=concern).as_dict()}
    return [ActionExecuted("action_listen"), UserUttered(text, parse_data=parse)]


def tracker(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "t", [e for group in events for e in (group if isinstance(group, list) else [group])]
    )


def test_the_context_holds_the_earlier_messages_newest_first():
    context = conversation_context(
        tracker(
            user("hi"),
            ActionExecuted("utter_greet"),
            user("so tired", CHECK_IN, 0.7),
            ActionExecuted("action_answer_question"),
        ),
        turns=3,
    )
    assert [a.tier for a in context.earlier] == [CHECK_IN, NONE]
    assert not context.card_shown and not context.after_check_in


def test_a_crisis_card_ends_the_context_and_is_remembered():
    context = conversation_context(
        tracker(
            user("i want to die", CRISIS, 1.0),
            ActionExecuted("utter_crisis_means"),
            user("im safe now"),
        ),
        turns=3,
    )
    assert [a.tier for a in context.earlier] == [NONE]
    assert context.card_shown


def test_a_new_session_starts_a_new_context():
    context = conversation_context(
        tracker(
            user("i want to die", CRISIS),
            ActionExecuted("utter_crisis"),
            ActionExecuted("action_session_start"),
            SessionStarted(),
        ),
        turns=3,
    )
    assert context.earlier == () and not context.card_shown


def test_the_context_knows_when_the_last_reply_was_the_check_in():
    context = conversation_context(
        tracker(
            user("so tired", CHECK_IN, 0.7),
            ActionExecuted("action_answer_question"),
            ActionExecuted("utter_check_in"),
        ),
        turns=3,
    )
    assert context.after_check_in


def test_the_check_in_follows_a_complete_reply_to_an_uncertain_message():
    answered = tracker(
        user("so tired of all this", CHECK_IN, 0.7),
        ActionExecuted("action_answer_question"),
        BotUttered("an answer"),
    )
    assert wants_check_in(answered)
    not_yet = tracker(user("so tired of all this", CHECK_IN, 0.7))
    assert not wants_check_in(not_yet)
    asked = tracker(
        user("so tired", CHECK_IN, 0.7),
        ActionExecuted("action_answer_question"),
        BotUttered("a"),
        ActionExecuted("utter_check_in"),
    )
    assert not wants_check_in(asked)


def test_no_check_in_for_an_ordinary_message():
    answered = tracker(
        user("how long does it last"),
        ActionExecuted("action_answer_question"),
        BotUttered("an answer"),
    )
    assert not wants_check_in(answered)


# --- the cards ----------------------------------------------------------------------------

CARD_NUMBERS = {"us": ["911"], "uk": ["999"], "ca": ["911"]}


@pytest.mark.parametrize("kind", KINDS_WITH_OWN_CARD)
def test_each_kind_of_danger_has_a_rule_from_its_entity_to_its_card(kind):
    rules = yaml.safe_load((ROOT / "data/stories/rules.yml").read_text())["rules"]
    step = {"intent": "crisis", "entities": [f"danger_{kind}"]}
    [rule] = [r for r in rules if step in r["steps"]]
    assert rule["steps"][-1] == {"action": f"utter_crisis_{kind}"}


@pytest.mark.parametrize("kind", KINDS_WITH_OWN_CARD)
@pytest.mark.parametrize("region", ["us", "uk", "ca"])
def test_each_card_has_its_regions_emergency_number(domain, kind, region):
    text = choose_variation(domain["responses"][f"utter_crisis_{kind}"], {"region": region})["text"]
    assert all(number in text for number in CARD_NUMBERS[region])
    if region == "uk":
        assert "911" not in text and "988" not in text


@pytest.mark.parametrize("region", ["us", "uk", "ca"])
def test_the_emergency_card_says_to_call_for_help_first(domain, region):
    text = choose_variation(domain["responses"]["utter_crisis_emergency"], {"region": region})[
        "text"
    ]
    assert text.startswith(f"Call {'999' if region == 'uk' else '911'} now.")


@pytest.mark.parametrize("region", ["us", "uk", "ca"])
def test_the_emergency_card_adds_the_crisis_line_after_the_emergency_number(domain, region):
    # An overdose may be on purpose, and suicidal writers use emergency words loosely.
    text = choose_variation(domain["responses"]["utter_crisis_emergency"], {"region": region})[
        "text"
    ]
    crisis, emergency = ("116 123", "999") if region == "uk" else ("988", "911")
    last_bullet = [line for line in text.splitlines() if line.startswith("- ")][-1]
    assert crisis in last_bullet and f"after you call {emergency}" in last_bullet
    assert text.endswith(f"Please call {emergency}.")


def test_the_check_in_offers_yes_as_crisis_and_no_as_deny(domain):
    [variation] = domain["responses"]["utter_check_in"]
    assert [b["payload"] for b in variation["buttons"]] == ["/crisis", "/deny"]
