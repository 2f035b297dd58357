"""Retrieval over answer units: paraphrases, misspellings, and the parse-data round trip."""

from __future__ import annotations

import pytest

from bot.core.wordings import Wordings
from bot.nlu.retrieval import UnitIndex, candidates_from
from bot.nlu.sentence_encoder import default_encoder

TOPICS = ("ask_administration", "ask_interactions", "ask_what_is_ketamine")


@pytest.fixture(scope="module")
def units(library):
    """Three topics' units: enough to compete, quicker to index than all."""
    return [u for u in library.units.values() if u.topic in TOPICS]


@pytest.fixture(scope="module")
def index(units):
    return UnitIndex.build(units, default_encoder())


def top(index, text):
    return index.rank(text, default_encoder().encode_one(text), limit=3)[0]


def test_a_unit_own_question_is_its_best_match(index, units):
    for unit in units[::10]:
        assert top(index, unit.question).unit == unit.id


def test_a_paraphrase_in_other_words_finds_its_unit(index):
    assert top(index, "am i going to be knocked out for the spray").unit == "awake_during_spravato"


def test_a_misspelled_drug_name_still_finds_its_unit(index):
    assert top(index, "does lamictle make ketamin not work").unit == "lamotrigine_with_ketamine"


def test_a_score_is_the_probability_plus_half_the_similarity(index):
    best = top(index, "what does spravato taste like")
    assert best.score == pytest.approx(best.probability + 0.5 * best.similarity, abs=1e-6)


def test_a_question_that_fits_no_unit_scores_low(index):
    assert top(index, "what time does the football game start tonight").score < 0.3


def test_candidates_survive_the_trip_through_parse_data(index):
    ranked = index.rank("bladder problems", default_encoder().encode_one("bladder problems"))
    again = candidates_from([c.as_dict() for c in ranked])
    assert [c.unit for c in again] == [c.unit for c in ranked]


def test_parse_data_that_is_not_a_candidate_is_skipped():
    assert candidates_from([None, "x", {"score": 1}]) == []
    assert candidates_from(None) == []


def test_the_encoder_remembers_a_text_it_just_embedded():
    encoder = default_encoder()
    first = encoder.encode_one("a message seen twice")
    assert encoder.encode_one("a message seen twice") is first


def test_a_training_wording_teaches_its_unit_a_new_way_of_asking(index, units):
    question = "is there a funny flavour in the back of the mouth"
    taught = UnitIndex.build(
        units, default_encoder(), extra=Wordings({"spravato_taste": (question,)})
    )
    before, after = (
        next(
            c
            for c in i.rank(question, default_encoder().encode_one(question), limit=50)
            if c.unit == "spravato_taste"
        )
        for i in (index, taught)
    )
    assert after.score > before.score


def test_questions_no_unit_answers_take_probability_from_every_unit(index, units):
    question = "what is the parking situation at your clinic"
    vector = default_encoder().encode_one(question)
    taught = UnitIndex.build(
        units, default_encoder(), extra=Wordings(none=(question, "where do I park"))
    )
    assert (
        taught.rank(question, vector)[0].probability < index.rank(question, vector)[0].probability
    )
