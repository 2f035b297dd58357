"""Entity annotations in the training data resolve to the values Rasa would extract."""

from __future__ import annotations

from pathlib import Path

from bot.core.content import ENTITY_TYPES
from bot.quality.nlu_annotations import (
    annotated_values,
    read_mentions,
    read_synonyms,
    training_mentions,
)

ROOT = Path(__file__).resolve().parents[1]
SYNONYMS = {"spravato": "esketamine", "infusion": "iv"}


def test_a_plain_annotation_takes_the_lower_cased_text():
    assert annotated_values("is [Ketamine](medication) safe", SYNONYMS) == [
        ("medication", "ketamine")
    ]


def test_a_synonym_maps_a_plain_annotation_to_its_value():
    assert annotated_values("what is [Spravato](medication)", SYNONYMS) == [
        ("medication", "esketamine")
    ]


def test_an_explicit_value_wins_over_the_text():
    example = 'how long is an [infusion]{"entity": "route", "value": "iv"}'
    assert annotated_values(example, {}) == [("route", "iv")]


def test_a_json_annotation_without_a_value_uses_the_synonyms():
    assert annotated_values('[spravato]{"entity": "medication"}', SYNONYMS) == [
        ("medication", "esketamine")
    ]


def test_every_annotation_in_a_line_is_found():
    example = "is [spravato](medication) given by [infusion](route)"
    assert annotated_values(example, SYNONYMS) == [("medication", "esketamine"), ("route", "iv")]


def test_mentions_keep_the_intent_and_file(tmp_path):
    nlu = tmp_path / "risks.yml"
    nlu.write_text(
        'version: "3.1"\nnlu:\n- synonym: nausea\n  examples: |\n    - throwing up\n'
        "- intent: ask_side_effects\n  examples: |\n"
        "    - does it cause [throwing up](side_effect)\n"
    )
    mentions = read_mentions([nlu], read_synonyms([nlu]))
    assert [(m.intent, m.entity, m.value, m.file) for m in mentions] == [
        ("ask_side_effects", "side_effect", "nausea", "risks.yml")
    ]


def test_training_data_annotates_only_known_entity_types():
    assert {m.entity for m in training_mentions(ROOT)} <= set(ENTITY_TYPES)
