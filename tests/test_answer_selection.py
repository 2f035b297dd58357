"""Choosing the answer: a unit per question, the topic as a prior, an honest miss otherwise."""

from __future__ import annotations

from bot.core.answer_selection import (
    ANSWER,
    DECLINE_OUT_OF_SCOPE,
    NO_GOOD_ANSWER,
    NOT_UNDERSTOOD,
    PERSONAL,
    Settings,
    choose,
)
from bot.nlu.retrieval import Candidate

TOPICS = {"taste": "ask_administration", "bladder": "ask_side_effects", "cost": "ask_cost_access"}
SETTINGS = Settings(
    prior_weight=0.2, threshold=0.6, out_of_scope_threshold=0.75, suggestion_floor=0.3
)


def c(unit: str, score: float) -> Candidate:
    return Candidate(unit, score, score, score)


def pick(intent: str, candidates, parts=(), ranking=None):
    return choose(intent, ranking or {intent: 0.9}, candidates, parts, TOPICS, SETTINGS)


def test_a_clear_match_is_the_answer():
    choice = pick("ask_administration", [c("taste", 0.8), c("bladder", 0.3)])
    assert (choice.kind, choice.units) == (ANSWER, ("taste",))


def test_the_predicted_topic_lifts_its_unit_over_a_close_one():
    ranking = {"ask_side_effects": 0.8, "ask_administration": 0.1}
    choice = pick("ask_side_effects", [c("taste", 0.62), c("bladder", 0.58)], ranking=ranking)
    assert choice.units == ("bladder",)


def test_the_topic_is_a_prior_not_a_gate():
    choice = pick("ask_cost_access", [c("taste", 0.85), c("cost", 0.2)])
    assert choice.units == ("taste",)


def test_a_weak_match_on_a_knowledge_question_is_an_honest_miss_with_the_closest():
    choice = pick(
        "ask_administration",
        [c("taste", 0.35), c("bladder", 0.32), c("cost", 0.1)],
        ranking={"ask_administration": 0.1},
    )
    assert (choice.kind, choice.units) == (NO_GOOD_ANSWER, ())
    assert choice.suggestions == ("taste", "bladder")


def test_a_personal_question_with_a_match_gets_the_facts_marked_personal():
    choice = pick("ask_personal_advice", [c("bladder", 0.8)])
    assert (choice.kind, choice.units) == (PERSONAL, ("bladder",))
    assert choice.personal


def test_a_personal_question_without_a_match_goes_to_the_care_team():
    choice = pick("ask_personal_advice", [c("bladder", 0.2)])
    assert (choice.kind, choice.units) == (PERSONAL, ())


def test_out_of_scope_needs_a_stronger_match():
    assert pick("out_of_scope", [c("taste", 0.7)]).kind == DECLINE_OUT_OF_SCOPE
    assert pick("out_of_scope", [c("taste", 0.8)]).units == ("taste",)


def test_a_fallback_with_nothing_close_was_not_understood():
    assert pick("nlu_fallback", [c("taste", 0.1)]).kind == NOT_UNDERSTOOD


def test_a_fallback_with_something_close_offers_it():
    choice = pick("nlu_fallback", [c("taste", 0.4)])
    assert (choice.kind, choice.suggestions) == (NO_GOOD_ANSWER, ("taste",))


def test_two_questions_that_each_match_a_different_unit_get_both():
    parts = [[c("taste", 0.8)], [c("cost", 0.7)]]
    choice = pick("ask_administration", [c("taste", 0.6)], parts)
    assert choice.units == ("taste", "cost")


def test_two_questions_where_only_one_matches_get_the_whole_message_answer():
    parts = [[c("taste", 0.8)], [c("cost", 0.2)]]
    assert pick("ask_administration", [c("taste", 0.7)], parts).units == ("taste",)


def test_a_unit_the_content_no_longer_has_is_ignored():
    assert pick("ask_administration", [c("gone", 0.99), c("taste", 0.7)]).units == ("taste",)


def test_every_candidate_is_ranked_for_measuring():
    choice = pick("ask_administration", [c("bladder", 0.3), c("taste", 0.8)])
    assert choice.ranked == ("taste", "bladder")
