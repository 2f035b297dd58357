"""Crisis handling: the NLU guard overrides the classifier, and the reply needs no action server."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.crisis_guard import CrisisGuard
from bot.safety import default_detector
from tests.variations import choose_variation

ROOT = Path(__file__).resolve().parents[1]


def classified(text: str, intent: str, confidence: float) -> Message:
    prediction = {"name": intent, "confidence": confidence}
    return Message(data={TEXT: text, INTENT: prediction, INTENT_RANKING_KEY: [prediction]})


def test_guard_overrides_a_knowledge_prediction_for_a_crisis_message():
    message = classified("spravato stopped working and i want to end it all", "ask_benefits", 0.8)
    [result] = CrisisGuard(default_detector()).process([message])
    assert result.get(INTENT) == {"name": "crisis", "confidence": 1.0}
    assert [r["name"] for r in result.get(INTENT_RANKING_KEY)] == ["crisis", "ask_benefits"]


def test_guard_leaves_other_messages_as_classified():
    message = classified("does it help suicidal thoughts", "ask_benefits", 0.8)
    [result] = CrisisGuard(default_detector()).process([message])
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
    [result] = CrisisGuard(default_detector()).process([message])
    assert result.get("crisis_guard") == {"classified_as": "goodbye"}
