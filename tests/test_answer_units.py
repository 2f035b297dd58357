"""The answer units: enough of them, one question each, each reachable and well formed."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml

from bot.core.content import KNOWLEDGE_INTENTS, ContentError, load_library
from bot.quality.content_gates import load_policy


def test_there_are_at_least_200_units(library):
    assert len(library.units) >= 200


def test_every_topic_has_units_and_an_overview(library):
    topics = Counter(u.topic for u in library.units.values())
    assert set(topics) == set(KNOWLEDGE_INTENTS)
    for intent in KNOWLEDGE_INTENTS:
        assert library.unit(f"{intent.removeprefix('ask_')}_overview") is not None, intent


def test_every_unit_has_two_to_five_distinct_example_wordings(library):
    for unit in library.units.values():
        assert 2 <= len(set(unit.examples)) == len(unit.examples) <= 5, unit.id


def test_every_unit_cites_one_or_two_sources(library):
    for unit in library.units.values():
        assert 1 <= len(unit.sources) <= 2, unit.id


def test_every_answer_is_short(library):
    limit = load_policy().max_answer_words
    for unit in library.units.values():
        assert len(unit.answer.split()) <= limit, unit.id


def test_every_question_is_a_question(library):
    for unit in library.units.values():
        assert unit.question.endswith("?"), unit.id


def test_every_related_unit_exists_and_is_not_itself(library):
    for unit in library.units.values():
        for related in unit.related:
            assert related != unit.id and library.unit(related) is not None, unit.id


def test_no_answer_carries_a_url_or_a_sources_line(library):
    for unit in library.units.values():
        assert not re.search(r"https?://|Sources:", unit.answer), unit.id


def _write_units(folder, units):
    answers = folder / "answers"
    answers.mkdir(parents=True, exist_ok=True)
    (answers / "ask_mechanism.yml").write_text(
        yaml.safe_dump({"topic": "ask_mechanism", "units": units})
    )


def _unit(**changes):
    unit = {
        "id": "how_it_works",
        "question": "How does it work?",
        "examples": ["how does ketamine work", "whats the mechanism"],
        "answer": "It acts on glutamate.",
        "sources": [{"publisher": "P", "title": "T", "url": "https://x.test"}],
        "last_reviewed": "2026-11-28",
        "reviewed_by": "nurse",
    }
    return {**unit, **changes}


@pytest.fixture
def content(tmp_path):
    from bot.core.content import CONTENT_DIR

    for name in ("messages.yml",):
        (tmp_path / name).write_text((CONTENT_DIR / name).read_text())
    (tmp_path / "topics").symlink_to(CONTENT_DIR / "topics")
    return tmp_path


def test_the_loader_rejects_a_unit_id_used_twice(content):
    _write_units(content, [_unit(), _unit()])
    with pytest.raises(ContentError, match="unit id 'how_it_works' is used twice"):
        load_library(content)


def test_the_loader_rejects_a_related_id_that_does_not_exist(content):
    _write_units(content, [_unit(related=["nowhere"])])
    with pytest.raises(ContentError, match="related ids not found: nowhere"):
        load_library(content)


def test_the_loader_rejects_a_unit_with_one_example(content):
    _write_units(content, [_unit(examples=["only one"])])
    with pytest.raises(ContentError, match="how_it_works: needs 2 to 5 examples"):
        load_library(content)


def test_the_loader_rejects_three_sources(content):
    source = {"publisher": "P", "title": "T", "url": "https://x.test"}
    _write_units(content, [_unit(sources=[source] * 3)])
    with pytest.raises(ContentError, match="at most 2 sources"):
        load_library(content)


def test_the_loader_rejects_a_topic_that_is_not_a_knowledge_intent(content):
    answers = content / "answers"
    answers.mkdir()
    (answers / "x.yml").write_text(yaml.safe_dump({"topic": "greet", "units": [_unit()]}))
    with pytest.raises(ContentError, match="topic 'greet' is not a knowledge intent"):
        load_library(content)
