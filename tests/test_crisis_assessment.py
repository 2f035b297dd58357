"""The crisis assessment: lexicon first, then the model, then the conversation; tiers."""

from __future__ import annotations

import pytest

from bot.core.crisis.assessment import (
    CHECK_IN,
    CRISIS,
    LINE,
    NONE,
    Assessment,
    Context,
    Settings,
    assess,
    is_topic,
    states_safety,
    wants_crisis_line,
)
from bot.core.crisis.lexicon import default_detector

DETECTOR = default_detector()
QUIET = {"none": 1.0}
SETTINGS = Settings(crisis=0.5, context=0.25, concern=0.5)


def probabilities(**given: float) -> dict[str, float]:
    """Model output with the rest of the mass on ``none``."""
    return {**given, "none": 1.0 - sum(given.values())}


def run(
    text: str, probs: dict[str, float] | None = None, context: Context | None = None, **kw
) -> Assessment:
    probs = probs if probs is not None else QUIET
    return assess(text, probs, context or Context(), DETECTOR, settings=SETTINGS, **kw)


def test_a_lexicon_phrase_is_a_crisis_whatever_the_model_says():
    result = run("spravato stopped working and i want to end it all", QUIET)
    assert (result.tier, result.kind, result.reason) == (CRISIS, "suicide", "lexicon")


def test_the_lexicon_names_the_kind_of_danger():
    assert run("my husband took too many pills").kind == "emergency"
    assert run("worst headache of my life since my session").kind == "emergency"
    assert run("ive been skipping meals as punishment").kind == "self_harm"
    assert run("i bought a gun last week").kind == "means"
    assert run("i keep cutting myself").kind == "self_harm"


def test_a_clear_model_signal_is_a_crisis_of_the_most_likely_kind():
    result = run(
        "theres a gun in the house and i keep looking at it", probabilities(means=0.5, suicide=0.2)
    )
    assert (result.tier, result.kind, result.reason) == (CRISIS, "means", "model")


def test_a_weaker_signal_is_a_crisis_only_after_a_message_of_concern():
    weak = probabilities(suicide=0.3)
    assert run("ive started thinking about how i would do it", weak).tier != CRISIS
    tired = Assessment(CHECK_IN, danger=0.1, concern=0.7)
    result = run("ive started thinking about how i would do it", weak, Context(earlier=(tired,)))
    assert (result.tier, result.reason) == (CRISIS, "context")


def test_only_the_last_few_messages_count_as_context():
    old = Assessment(CHECK_IN, concern=0.9)
    calm = Assessment(NONE)
    context = Context(earlier=(calm, calm, calm, old))
    assert run("how would i even do it", probabilities(suicide=0.3), context).tier != CRISIS


def test_despair_without_intent_gets_a_check_in():
    result = run("nothing ever helps, im so tired of all of this", probabilities(distress=0.6))
    assert (result.tier, result.kind) == (CHECK_IN, None)


def test_the_check_in_is_not_asked_twice_in_a_row():
    asked = Context(earlier=(Assessment(CHECK_IN, concern=0.6),))
    assert run("still feel like nothing helps", probabilities(distress=0.6), asked).tier == LINE


def test_yes_to_the_check_in_is_a_crisis():
    result = run("yes", QUIET, Context(after_check_in=True), answered_yes=True)
    assert (result.tier, result.kind, result.reason) == (CRISIS, "suicide", "check_in_answer")


def test_yes_elsewhere_is_just_yes():
    assert run("yes", QUIET, answered_yes=True).tier == NONE


def test_a_question_about_suicide_as_a_topic_gets_the_line_not_the_card():
    result = run("does esketamine help suicidal thoughts?")
    assert (result.tier, result.reason) == (LINE, "topic")


def test_after_a_crisis_card_answers_carry_the_line():
    result = run("how long does a session take?", QUIET, Context(card_shown=True))
    assert (result.tier, result.reason) == (LINE, "after_card")


def test_an_ordinary_question_is_no_danger():
    assert run("do I have to pick up my ketamine from the pharmacy?").tier == NONE


def test_without_a_model_only_the_lexicon_and_the_check_in_answer_raise_a_crisis():
    assert assess("theres a gun in the house", None, Context(), DETECTOR).tier == NONE
    assert assess("i want to die", None, Context(), DETECTOR).tier == CRISIS


@pytest.mark.parametrize(
    "text",
    [
        "does ketamine help suicidal ideation",
        "can you overdose on spravato",
        "is it used for self harm",
    ],
)
def test_topic_words_are_recognised(text):
    assert is_topic(text)


def test_an_assessment_survives_the_parse_data():
    original = Assessment(CRISIS, "means", 0.8, 0.9, "model")
    assert Assessment.from_dict(original.as_dict()) == original
    assert Assessment.from_dict({"tier": "unknown"}) is None
    assert Assessment.from_dict(None) is None


def test_the_crisis_line_is_wanted_only_for_the_line_tier():
    assert wants_crisis_line({"crisis_assessment": Assessment(LINE).as_dict()})
    assert not wants_crisis_line({"crisis_assessment": Assessment(NONE).as_dict()})
    assert not wants_crisis_line({})


def test_after_a_card_only_a_very_clear_signal_sends_another():
    after_card = Context(card_shown=True)
    safe_now = run(
        "it passed, im safe now. how do refills work?", probabilities(means=0.8), after_card
    )
    assert safe_now.tier == LINE
    still = run("i still have the pills right here", probabilities(means=0.95), after_card)
    assert still.tier == CRISIS
    assert run("i want to die", QUIET, after_card).tier == CRISIS


def test_the_model_names_the_kind_when_the_lexicon_matches():
    result = run(
        "sometimes i want to kill myself, cutting lets the pressure out",
        probabilities(self_harm=0.6),
    )
    assert (result.tier, result.kind, result.reason) == (CRISIS, "self_harm", "lexicon")


def test_self_harm_beside_a_negated_suicide_phrase_gets_the_self_harm_card_from_the_model():
    result = run(
        "not trying to kill myself, it just lets the pressure out", probabilities(self_harm=0.6)
    )
    assert (result.tier, result.kind, result.reason) == (CRISIS, "self_harm", "model")


def test_an_emergency_after_another_card_gets_its_own_card():
    result = run("i took all of them", probabilities(emergency=0.6), Context(card_shown=True))
    assert (result.tier, result.kind) == (CRISIS, "emergency")


@pytest.mark.parametrize(
    "text", ["im safe now, my sister is here", "I'm ok. it passed", "im not going to do anything"]
)
def test_a_statement_of_safety_is_recognised(text):
    assert states_safety(text)


@pytest.mark.parametrize(
    "text",
    [
        "my parents think im fine",
        "everyone says im okay",
        "i pretend im fine at work",
        "stop asking if im okay",
        "i tell my therapist im fine",
    ],
)
def test_what_others_believe_or_the_writer_shows_is_not_a_statement_of_safety(text):
    assert not states_safety(text)


@pytest.mark.parametrize(
    "text",
    [
        "I've decided to go and I'm ok with it",
        "not past this winter and honestly im okay with that",
    ],
)
def test_being_ok_with_something_is_not_a_statement_of_safety(text):
    assert not states_safety(text)


def test_danger_beside_what_others_believe_is_still_a_card_from_the_model():
    text = "my parents think im fine. i think im going to do it tonight"
    assert run(text, probabilities(suicide=0.9)).tier == CRISIS


def test_im_safe_beside_danger_words_is_no_card_from_the_model():
    result = run("my sister took the pills away, im safe", probabilities(means=0.9))
    assert result.tier != CRISIS


def test_im_safe_does_not_override_the_lexicon():
    assert run("im safe but i want to kill myself").tier == CRISIS


def test_a_lexicon_phrase_told_as_history_asks_the_check_in_instead_of_the_card():
    result = run("five years ago i tried to kill myself, im doing well on ketamine now", QUIET)
    assert (result.tier, result.reason) == (CHECK_IN, "lexicon_qualified")


def test_history_in_one_sentence_does_not_excuse_danger_in_another():
    result = run("in 2018 i tried to kill myself. now i want to end it all again", QUIET)
    assert (result.tier, result.reason) == (CRISIS, "lexicon")


def test_a_lexicon_phrase_told_as_history_is_still_a_card_when_the_model_sees_danger():
    result = run("years ago i tried to kill myself and i will again", probabilities(suicide=0.9))
    assert (result.tier, result.reason) == (CRISIS, "model")


def test_a_negation_elsewhere_in_the_sentence_does_not_qualify_a_phrase():
    assert run("i cant do this anymore i want to die", QUIET).tier == CRISIS


def test_a_lexicon_phrase_told_as_history_after_a_card_gets_the_line():
    result = run("back in college i tried to kill myself", QUIET, Context(card_shown=True))
    assert result.tier == LINE


def test_a_negated_lexicon_phrase_asks_the_check_in_instead_of_the_card():
    result = run("no, im not going to hurt myself, its just a bad day", QUIET)
    assert (result.tier, result.reason) == (CHECK_IN, "lexicon_qualified")


def test_a_negation_before_a_few_linking_words_still_qualifies_a_phrase():
    result = run("im not having any thoughts of harming myself, just grief", QUIET)
    assert (result.tier, result.reason) == (CHECK_IN, "lexicon_qualified")


def test_an_overdose_hours_ago_is_no_history():
    assert run("my mother overdosed two hours ago and wont wake up", QUIET).tier == CRISIS


def test_last_year_is_history_but_last_week_is_not():
    told = run("last year i tried to end my life, now im doing well", QUIET)
    assert (told.tier, told.reason) == (CHECK_IN, "lexicon_qualified")
    assert run("last week i tried to end my life", QUIET).tier == CRISIS


@pytest.mark.parametrize(
    "text",
    [
        "it hasnt been this bad since 2019 and tonight i want to die",
        "years ago i tried to kill myself, tonight i will again",
    ],
)
def test_a_past_time_in_a_sentence_that_says_tonight_is_no_history(text):
    result = run(text, QUIET)
    assert (result.tier, result.reason) == (CRISIS, "lexicon")


def test_no_before_linking_words_qualifies_a_phrase():
    result = run("im safe, no thoughts of hurting myself at all, why the boxed warning?", QUIET)
    assert (result.tier, result.reason) == (CHECK_IN, "lexicon_qualified")


@pytest.mark.parametrize("text", ["no i want to die", "no gonna kill myself tonight"])
def test_no_before_anything_but_thoughts_does_not_qualify_a_phrase(text):
    assert run(text, QUIET).tier == CRISIS


def test_a_negation_before_a_new_subject_does_not_qualify_a_phrase():
    assert run("ketamine didnt work i want to die", QUIET).tier == CRISIS


def test_a_doubled_negation_does_not_qualify_a_phrase():
    assert run("i cant not think about killing myself", QUIET).tier == CRISIS


def test_a_negation_followed_by_other_words_does_not_qualify_a_phrase():
    assert run("i dont care anymore i want to die", QUIET).tier == CRISIS
    assert run("i dont even know anymore just want to die", QUIET).tier == CRISIS


@pytest.mark.parametrize(
    "text",
    [
        "the nurse asked if id been hurting myself, i said no",
        "everyone keeps checking if im suicidal since i started spravato",
        "if i told you i was having thoughts of hurting myself would you give me a hotline",
    ],
)
def test_a_phrase_someone_asked_about_or_the_writer_supposes_asks_the_check_in(text):
    result = run(text, QUIET)
    assert (result.tier, result.reason) == (CHECK_IN, "lexicon_qualified")


@pytest.mark.parametrize(
    "text",
    [
        "the phq 9 question about thoughts youd be better off dead: i scored 0 again",
        "the survey asked how often youd be better off dead and i said not at all",
    ],
)
def test_a_screening_forms_words_quoted_back_ask_the_check_in(text):
    result = run(text, QUIET)
    assert (result.tier, result.reason) == (CHECK_IN, "lexicon_qualified")


@pytest.mark.parametrize(
    "text",
    [
        "the intake form made me realise i want to die",
        "took the survey then tried to kill myself",
        "survey says kms tonight",
        "no form of treatment has worked want to die",
        "i lied on the phq 9 question about being better off dead. the truth is nearly every day",
        "scored 3 on the phq item about being better off dead",
    ],
)
def test_a_form_named_near_danger_that_is_not_a_no_stays_a_card(text):
    assert run(text, QUIET).tier == CRISIS


def test_wondering_if_is_the_writers_own_thought_and_stays_a_card():
    assert run("i sometimes wonder if id be better off dead", QUIET).tier == CRISIS
    assert run("i wonder if i told anyone i want to kill myself", QUIET).tier == CRISIS


@pytest.mark.parametrize(
    "text",
    [
        "mom keeps asking if im okay, honestly im planning to kill myself tonight",
        "is spravato helping? not really, planning to kill myself",
        "i dont want to try, want to die",
    ],
)
def test_a_comma_ends_what_was_asked_or_negated(text):
    assert run(text, QUIET).tier == CRISIS


def test_an_emergency_is_never_what_someone_else_asked_about():
    assert (
        run("the dispatcher asked if he was breathing, he is not breathing", QUIET).tier == CRISIS
    )


def test_a_phrase_asked_about_is_still_a_card_when_the_model_sees_danger():
    text = "my therapist asked if i want to die and honestly yes, tonight i do"
    assert run(text, probabilities(suicide=0.9)).tier == CRISIS


def test_in_the_past_beside_danger_now_is_still_a_card():
    assert run("never felt like this in the past, i want to die", QUIET).tier == CRISIS


def test_used_to_tells_a_lexicon_phrase_as_history():
    assert run("i used to want to die every day and now i dont", QUIET).tier == CHECK_IN


def test_a_negation_further_back_does_not_qualify_a_phrase():
    assert run("not sure why but i want to die", QUIET).tier == CRISIS


def test_a_lexicon_phrase_asked_about_in_general_is_a_topic_question():
    result = run("what do you do if a patient says theyre suicidal during a session?", QUIET)
    assert (result.tier, result.reason) == (LINE, "topic")


def test_a_lexicon_phrase_asked_about_in_general_is_still_a_card_when_the_model_sees_danger():
    text = "if someone has made up their mind to kill themselves, is there any point? thats me"
    assert run(text, probabilities(suicide=0.8)).tier == CRISIS


def test_the_writers_own_words_before_a_phrase_keep_it_a_card():
    assert run("what if i just end it all tonight", QUIET).tier == CRISIS
    assert run("what do i do if my son wants to kill himself", QUIET).tier == CRISIS


def test_help_arriving_after_an_emergency_card_is_no_second_card():
    result = run(
        "the ambulance is here now, thank you",
        probabilities(emergency=0.9),
        Context(card_shown=True),
    )
    assert result.tier == LINE


@pytest.mark.parametrize(
    "text",
    [
        "someone call 911 hes not breathing",
        "if nothing changes im ending it tonight",
        "people would be better off without me",
        "can someone tell me why i want to die?",
        "anyone else feel like ending it all?",
        "does anybody want to kill themselves after this drug? because i do",
        "what to do if husband says he will kill himself tonight",
        "is anyone out there, can someone help pls wanna die",
        "what happens if someone says they want to die? i might be that someone",
        "if someone says theyre suicidal do you call anyone? its not hypothetical",
    ],
)
def test_a_phrase_is_asked_in_general_only_in_a_question_without_the_writers_own_words(text):
    assert run(text, QUIET).tier == CRISIS


def test_every_phrase_in_a_sentence_is_judged():
    text = "people say they feel suicidal on ketamine and now i want to kill myself"
    assert run(text, QUIET).tier == CRISIS


def test_the_writer_asking_is_not_being_asked():
    text = "i asked if i could come in earlier because i want to kill myself"
    assert run(text, QUIET).tier == CRISIS


def test_help_that_has_not_come_is_not_safety():
    assert not states_safety("no ambulance has come yet and his lips look grey")
