"""The content gates: every patient-visible text is plain, sourced, reviewed, safe and reachable."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

from bot.core.content import KNOWLEDGE_INTENTS, Library, Section, Source
from bot.quality.content_gates import (
    PUBLISHER_KINDS,
    Policy,
    entity_coverage_failures,
    load_policy,
    months_before,
    personal_decision_failures,
    provider_line_failures,
    readability,
    readability_failures,
    review_failures,
    source_failures,
    topic_coverage_failures,
    unreachable_section_failures,
    unreachable_topic_failures,
    wording_failures,
)
from bot.quality.nlu_annotations import Mention, training_mentions
from bot.quality.nlu_data import training_examples
from bot.quality.patient_texts import LABEL, PatientText, iter_patient_texts

ROOT = Path(__file__).resolve().parents[1]
DENSE = (
    "Pharmacokinetic variability necessitates individualized consideration of "
    "contraindications, concomitant medications, and cardiovascular comorbidities."
)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="module")
def texts(library, domain) -> list[PatientText]:
    return list(iter_patient_texts(library, domain))


@pytest.fixture(scope="module")
def mentions() -> list[Mention]:
    return training_mentions(ROOT)


def _with_topic(library: Library, intent: str, **changes) -> Library:
    topic = dataclasses.replace(library.topics[intent], **changes)
    return Library({**library.topics, intent: topic}, library.messages)


# ---------- readability ----------


def test_every_patient_text_is_plain_enough(texts, policy):
    assert readability_failures(texts, policy) == []


def test_a_hard_text_fails_naming_its_entry_and_both_scores(policy):
    failures = readability_failures(
        [PatientText("ask_side_effects.yml sections[nausea]", DENSE)], policy
    )
    assert len(failures) == 1
    assert re.fullmatch(
        r"ask_side_effects\.yml sections\[nausea\]: grade \d+\.\d \(max 8\), "
        r"reading ease -?\d+\.\d \(min 60\)",
        failures[0],
    )


def test_urls_do_not_count_as_prose():
    text = "Call or text 988. You can also chat at https://988lifeline.org/chat/get-help-now."
    assert readability(text) == readability("Call or text 988. You can also chat at .")


def test_labels_are_not_scored_for_readability(policy):
    button = PatientText("domain.yml utter_greet[0] buttons[0]", DENSE, LABEL)
    assert readability_failures([button], policy) == []


def test_every_domain_response_variation_is_a_patient_text(texts, domain):
    variations = sum(len(v) for v in domain["responses"].values())
    scored = [t for t in texts if t.where.startswith("domain.yml") and "buttons[" not in t.where]
    assert len(scored) == variations


def test_every_message_text_is_a_patient_text(texts, library):
    wheres = {t.where for t in texts}
    for region in library.messages["disclaimer"]:
        assert f"messages.yml disclaimer[{region}]" in wheres
    for key in ("provider_line", "no_topic", "more_button", "sources_heading", "closest_offer"):
        assert f"messages.yml {key}" in wheres
    assert f"messages.yml more_exhausted[{KNOWLEDGE_INTENTS[0]}]" in wheres


def test_every_answer_unit_text_is_a_patient_text(texts, library):
    wheres = {t.where for t in texts}
    for unit in library.units.values():
        name = f"answers/{unit.topic}.yml {unit.id}"
        assert {f"{name} answer", f"{name} question"} <= wheres


def test_every_topic_text_is_a_patient_text(texts, library):
    wheres = {t.where for t in texts}
    for topic in library.topics.values():
        assert {f"{topic.intent}.yml summary", f"{topic.intent}.yml more"} <= wheres
        for section in topic.sections:
            assert f"{topic.intent}.yml sections[{section.value}]" in wheres


# ---------- sources ----------


def test_every_topic_cites_allow_listed_publishers_over_https(library, policy):
    assert source_failures(library, policy.publishers) == []


def test_a_publisher_not_on_the_list_fails_naming_it(library, policy):
    blog = Source("Wellness Blog", "Ketamine changed my life", "https://blog.example/k")
    planted = _with_topic(library, "ask_benefits", sources=(blog,))
    assert source_failures(planted, policy.publishers) == [
        "ask_benefits.yml sources[0]: publisher 'Wellness Blog' is not in publishers.yml"
    ]


def test_a_topic_without_sources_fails(library, policy):
    planted = _with_topic(library, "ask_benefits", sources=())
    assert source_failures(planted, policy.publishers) == ["ask_benefits.yml: cites no source"]


def test_every_listed_publisher_has_a_known_kind(policy):
    assert set(policy.publishers.values()) <= set(PUBLISHER_KINDS)


def test_only_the_maker_of_spravato_is_a_manufacturer_source(policy):
    makers = [name for name, kind in policy.publishers.items() if kind == "manufacturer"]
    assert makers == [
        "Janssen Pharmaceuticals (maker of Spravato)",
        "Janssen-Cilag Ltd (UK maker of Spravato)",
    ]


# ---------- review dates ----------


def test_every_topic_is_reviewed_within_a_year_by_an_allowed_role(library, policy):
    assert review_failures(library, policy.reviewer_roles, dt.date.today(), 12) == []


def _mechanism_only(library: Library, **changes) -> Library:
    topic = dataclasses.replace(library.topics["ask_mechanism"], **changes)
    return Library({"ask_mechanism": topic}, library.messages)


def test_a_review_eleven_months_old_passes(library, policy):
    fresh = _mechanism_only(library, last_reviewed=dt.date(2026, 1, 10))
    assert review_failures(fresh, policy.reviewer_roles, dt.date(2026, 12, 10), 12) == []


def test_a_review_older_than_twelve_months_fails_with_its_age(library, policy):
    stale = _mechanism_only(library, last_reviewed=dt.date(2025, 11, 1))
    [failure] = review_failures(stale, policy.reviewer_roles, dt.date(2026, 11, 26), 12)
    assert failure.startswith("ask_mechanism.yml last_reviewed: 2025-11-01 is 390 days old")


def test_a_review_exactly_twelve_months_old_still_passes(library, policy):
    edge = _mechanism_only(library, last_reviewed=dt.date(2025, 11, 26))
    assert review_failures(edge, policy.reviewer_roles, dt.date(2026, 11, 26), 12) == []


def test_a_review_dated_in_the_future_fails(library, policy):
    future = _mechanism_only(library, last_reviewed=dt.date(2027, 1, 1))
    assert review_failures(future, policy.reviewer_roles, dt.date(2026, 11, 26), 12) == [
        "ask_mechanism.yml last_reviewed: 2027-01-01 is after 2026-11-26"
    ]


def test_a_persons_name_as_reviewer_fails(library, policy):
    named = _mechanism_only(library, reviewed_by="Dr. Jane Smith")
    today = named.topics["ask_mechanism"].last_reviewed
    [failure] = review_failures(named, policy.reviewer_roles, today, 12)
    assert "'Dr. Jane Smith' is not a role in reviewer_roles.yml" in failure


def test_the_role_used_now_is_allowed(library, policy):
    assert {t.reviewed_by for t in library.topics.values()} <= policy.reviewer_roles


def test_months_before_clamps_to_the_end_of_a_short_month():
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)


# ---------- safety wording ----------


def test_no_patient_text_matches_a_forbidden_pattern(texts, policy):
    assert wording_failures(texts, policy.forbidden) == []


@pytest.mark.parametrize(
    "bad",
    [
        "You should take Spravato twice a week.",
        "You should stop your antidepressant first.",
        "Many people stop taking their pills.",
        "Ask the clinic to increase your dose.",
        "A dose of 56 mg is right for you.",
        "About 0.5 mg/kg for you is typical.",
        "Take 2 sprays in each nostril.",
        "It is safe for you to drink a little.",
        "Ketamine cures depression.",
    ],
)
def test_the_wording_gate_catches_a_planted_bad_text(policy, bad):
    failures = wording_failures([PatientText("ask_benefits.yml summary", bad)], policy.forbidden)
    assert failures
    assert all(f.startswith("ask_benefits.yml summary: ") for f in failures)


def test_a_wording_failure_gives_the_reason(policy):
    [failure] = wording_failures(
        [PatientText("domain.yml utter_greet[0]", "Take 2 sprays.")], policy.forbidden
    )
    assert "'Take 2 sprays'" in failure
    assert "gives a dosing instruction" in failure


def test_the_wording_gate_also_reads_button_titles(policy):
    button = PatientText("domain.yml utter_greet[0] buttons[0]", "Should I stop taking it?", LABEL)
    assert wording_failures([button], policy.forbidden) != []


def test_general_safety_advice_passes_the_wording_gate(policy):
    fine = PatientText("x", "Talk with your care team before you make any change.")
    assert wording_failures([fine], policy.forbidden) == []


def test_every_personal_decision_answer_ends_with_the_provider_line(library):
    assert provider_line_failures(library) == []


def test_sensitive_topics_are_marked_personal_decision(library, policy):
    assert personal_decision_failures(library, policy.personal_decision_required) == []


def test_an_unmarked_sensitive_topic_fails(library, policy):
    planted = _with_topic(library, "ask_interactions", personal_decision=False)
    assert personal_decision_failures(planted, policy.personal_decision_required) == [
        "ask_interactions.yml personal_decision: must be true (listed in gates.yml)"
    ]


def test_the_sensitive_topics_of_the_brief_are_listed(policy):
    assert set(policy.personal_decision_required) >= {
        "ask_eligibility",
        "ask_interactions",
        "ask_treatment_course",
        "ask_side_effects",
        "ask_dependency_risks",
    }


# ---------- coverage ----------


def test_every_knowledge_intent_has_a_topic(library):
    assert topic_coverage_failures(library) == []


def test_a_missing_topic_is_named(library):
    topics = {k: v for k, v in library.topics.items() if k != "ask_cost_access"}
    assert topic_coverage_failures(Library(topics, library.messages)) == [
        "ask_cost_access: no topic file topics/ask_cost_access.yml"
    ]


def test_every_annotated_entity_value_has_a_section(library, mentions):
    assert entity_coverage_failures(library, mentions) == []


def test_an_annotated_value_without_a_section_fails(library):
    insomnia = Mention("ask_side_effects", "side_effect", "insomnia", "knowledge_risks.yml")
    assert entity_coverage_failures(library, [insomnia, insomnia]) == [
        "data/nlu side_effect 'insomnia' (2 examples in knowledge_risks.yml) "
        "has no section in any topic"
    ]


def test_every_section_is_reachable_from_the_training_data(library, mentions):
    assert unreachable_section_failures(library, mentions) == []


def test_a_section_no_example_annotates_is_unreachable(library, mentions):
    tremor = Section("side_effect", "tremor", "Some people shake a little.")
    topic = library.topics["ask_side_effects"]
    planted = _with_topic(library, "ask_side_effects", sections=(*topic.sections, tremor))
    assert unreachable_section_failures(planted, mentions) == [
        "ask_side_effects.yml sections[tremor]: no training example annotates "
        "side_effect 'tremor', so no question reaches it"
    ]


def test_every_topic_intent_has_training_examples(library):
    assert unreachable_topic_failures(library, training_examples(ROOT)) == []


def test_a_topic_without_training_examples_is_unreachable(library):
    examples = [(t, i) for t, i in training_examples(ROOT) if i != "ask_mechanism"]
    assert unreachable_topic_failures(library, examples) == [
        "ask_mechanism.yml: no training example has intent ask_mechanism, so no question reaches it"
    ]
